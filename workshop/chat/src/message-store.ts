// The lines a client shows, per channel, kept sorted by (timestamp, author, id)
// and deduplicated by id: history read at start and live messages may overlap,
// and a message synced late (an old timestamp) goes to its place, not the bottom.
import type { ChatLine } from './chat.js'

/** The order lines are shown in: by timestamp, then author, then id (the same on every peer). */
export function compareLines (a: ChatLine, b: ChatLine): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

const before = (a: ChatLine, b: ChatLine): boolean => compareLines(a, b) < 0

export class MessageStore {
  private readonly byChannel = new Map<string, ChatLine[]>()
  private readonly ids = new Set<string>()
  /** Most lines kept per channel (the oldest go). */
  constructor (readonly maxPerChannel = 5000) {}

  /** Adds a line; false if it was already there. */
  add (line: ChatLine): boolean {
    if (this.ids.has(line.id)) return false
    this.ids.add(line.id)
    let list = this.byChannel.get(line.channel)
    if (list === undefined) this.byChannel.set(line.channel, list = [])
    let i = list.length
    while (i > 0 && before(line, list[i - 1]!)) i--
    list.splice(i, 0, line)
    if (list.length > this.maxPerChannel) this.ids.delete(list.shift()!.id)
    return true
  }

  lines (channel: string): readonly ChatLine[] { return this.byChannel.get(channel) ?? [] }

  channels (): string[] { return [...this.byChannel.keys()].sort() }

  /** Applies a nick change to lines already shown. */
  renick (author: string, nick: string): void {
    for (const list of this.byChannel.values()) {
      for (let i = 0; i < list.length; i++) if (list[i]!.author === author) list[i] = { ...list[i]!, nick }
    }
  }
}
