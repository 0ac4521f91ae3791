// The chat's views over every author's feed:
//   messages  a list view, sort key "<channel>!<timestamp>" so one channel is one key range
//   channels  a small view of our own: channel -> { messages, last }
//   meta      a kv view: "nick:<feed key>" and "topic:<channel>", heads with links (forks visible)
// Each view validates every entry (records.ts) and ignores what does not fit.
// Timestamps from the future are clamped to the indexing peer's clock, so a
// peer whose clock runs ahead cannot pin its messages to the bottom.
import type { Entry, View, ViewBatch, ViewContext } from '@kappa-ts/kappa-core'
import { compareAddress } from '@kappa-ts/kappa-core'
import { listView } from '@kappa-ts/view-list'
import { kvView, type KvHead } from '@kappa-ts/view-kv'
import { notChatRecord, parseMessage, parseNick, parseTopic, type Envelope, type ChatMessage } from './records.js'

const TS_DIGITS = 16

/** The list sort key of a message: channel names cannot contain '!', and '!' sorts below every channel character. */
export function messageSortKey (channel: string, timestamp: number): string {
  return `${channel}!${String(timestamp).padStart(TS_DIGITS, '0')}`
}

/** [channel, timestamp] back from a sort key. */
export function decodeSortKey (sortKey: string | number): [string, number] {
  const s = String(sortKey)
  const bang = s.lastIndexOf('!')
  return [s.slice(0, bang), Number(s.slice(bang + 1))]
}

/** The key range of one channel in the messages list. */
export function channelRange (channel: string): { gte: string; lt: string } {
  return { gte: `${channel}!`, lt: `${channel}"` }
}

/** Clamp a timestamp to now (at index time). */
export function clamp (timestamp: number, now: () => number = Date.now): number {
  return Math.min(timestamp, now())
}

export interface MetaValue { text: string; timestamp: number }
export type MetaHead = KvHead<MetaValue>

/**
 * The deterministic choice among the heads of a kv key (a fork after concurrent
 * changes): the highest (timestamp, feed key, address). Every peer holding the same
 * heads shows the same value, whatever order they arrived in.
 */
export function resolveHeads (heads: MetaHead[]): MetaHead | null {
  let best: MetaHead | null = null
  for (const h of heads) {
    if (best === null || compareHeads(h, best) > 0) best = h
  }
  return best
}

function compareHeads (a: MetaHead, b: MetaHead): number {
  if (a.value.timestamp !== b.value.timestamp) return a.value.timestamp - b.value.timestamp
  if (a.key !== b.key) return a.key < b.key ? -1 : 1
  return compareAddress(a.address, b.address)
}

export interface ChannelInfo { messages: number; last: number }

export function chatViews (now: () => number = Date.now) {
  const messages = listView<Envelope<ChatMessage>>({
    map (entry) {
      const env = parseMessage(entry.value)
      return env === null ? null : messageSortKey(env.value!.channel, clamp(env.timestamp, now))
    }
  })

  const meta = kvView<MetaValue>({
    map (entry: Entry<unknown>) {
      const nick = parseNick(entry.value, entry.key)
      if (nick !== null) return { key: `nick:${entry.key}`, links: nick.links, value: { text: nick.value!.nick, timestamp: clamp(nick.timestamp, now) } }
      const topic = parseTopic(entry.value)
      if (topic !== null) return { key: `topic:${topic.id}`, links: topic.links, value: { text: topic.value!.topic, timestamp: clamp(topic.timestamp, now) } }
      return null
    }
  })

  const channels = {
    version: 1,
    onError: 'skip',
    async map (entries: Entry<unknown>[], batch: ViewBatch, ctx: ViewContext) {
      const seen = new Map<string, ChannelInfo>()
      for (const entry of entries) {
        // every entry of a chat's feeds passes here: what is no chat record is recorded once, by this view
        const problem = notChatRecord(entry.value, entry.key)
        if (problem !== null) {
          batch.skip(entry, problem)
          continue
        }
        const env = parseMessage(entry.value) ?? parseTopic(entry.value)
        if (env === null) continue
        const channel = env.value!.channel
        let info = seen.get(channel)
        if (info === undefined) {
          info = (await ctx.db.get(channel) as ChannelInfo | undefined) ?? { messages: 0, last: 0 }
          seen.set(channel, info)
        }
        if (env.schema === 'chat/message') {
          info.messages += 1
          info.last = Math.max(info.last, clamp(env.timestamp, now))
        }
      }
      for (const [channel, info] of seen) batch.put(channel, info)
    },
    api: {
      async all (ctx: ViewContext): Promise<Array<{ channel: string } & ChannelInfo>> {
        const out: Array<{ channel: string } & ChannelInfo> = []
        for await (const [channel, info] of ctx.db.iterator()) out.push({ channel: channel as string, ...(info as ChannelInfo) })
        return out
      }
    }
  } satisfies View

  return { messages, meta, channels }
}
