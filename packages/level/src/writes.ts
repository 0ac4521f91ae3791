// The write path: a put, a del or a batch becomes ONE append to this peer's log
// (one entry per batch, split into several entries of the same append only when
// it would not fit in one block), each write linking the heads of its key that
// this peer knows. It resolves once the view has applied it (read-your-writes).
//
// Links must include this peer's own writes that are appended but not applied
// yet, or two quick writes of one key would be concurrent with each other. Writes
// of the same key are therefore chained: a write waits until earlier writes of
// its keys have been appended (not applied), then links them.
import type { Address, Writer } from '@kappa-ts/kappa-core'
import { encodeEntries, MAX_CLOCK, type WriteOp } from './entry-format.js'
import { KappaLevelError } from './errors.js'
import { readHeads } from './heads-store.js'
import type { KeyFilter } from './key-filter.js'
import { groupKey, type Stored } from './keys.js'
import type { OwnWrites } from './own-writes.js'
import { appendedPositions, entryKey, opId, type Position } from './positions.js'
import type { Tables } from './tables.js'

export type WriteRequest = { del: false; key: Stored; value: Stored } | { del: true; key: Stored }

/**
 * Most bytes in one entry. Hypercore suggests blocks under 15 MB and a replication
 * message cannot exceed 16 MB; a batch bigger than this is split into several
 * entries of one append.
 */
export const MAX_ENTRY_BYTES = 8 * 1024 * 1024

/** Shared by every write that replaces nothing; never mutated. */
const NO_LINKS: string[] = []

/** An entry of ours appended but not applied yet: its writes, looked up by key only when asked. */
interface PendingEntry {
  position: Position
  groups: string[]
  clocks: number[]
  index: Map<string, number> | null
}

export class LevelWriter {
  /** Per key: resolves when the latest write of it has been appended. */
  private readonly appending = new Map<string, Promise<void>>()
  /** Our entries appended but not applied yet, by entry key. */
  private readonly unapplied = new Map<string, PendingEntry>()

  constructor (
    private readonly writer: Writer,
    private readonly tables: () => Tables,
    private readonly own: OwnWrites,
    private readonly filter: KeyFilter | null
  ) {}

  get key (): string { return this.writer.key }

  /** Appends the writes (last one per key wins, as in a Level batch); resolves once applied. */
  write (requests: WriteRequest[]): Promise<void> {
    const byKey = new Map<string, WriteRequest>()
    for (const r of requests) byKey.set(groupKey(r.key), r)
    const groups = [...byKey.keys()]
    // register synchronously, so a write issued right after this one waits for it
    const earlier: Array<Promise<void>> = []
    for (const g of groups) {
      const p = this.appending.get(g)
      if (p !== undefined) earlier.push(p)
    }
    let release!: () => void
    const appended = new Promise<void>((resolve) => { release = resolve })
    for (const g of groups) this.appending.set(g, appended)
    return (async () => {
      let waits: Array<Promise<void>>
      try {
        if (earlier.length > 0) await Promise.all(earlier)
        waits = await this.append(groups, [...byKey.values()])
      } finally {
        release()
        for (const g of groups) if (this.appending.get(g) === appended) this.appending.delete(g)
      }
      await Promise.all(waits)
    })()
  }

  /** The view applied these entries of ours (entry keys). */
  applied (entries: string[]): void {
    for (const at of entries) {
      this.unapplied.delete(at)
      this.own.applied(at)
    }
  }

  /** Our writes of `group` appended but not applied: [id, clock]. */
  private mine (group: string): Array<[string, number]> | null {
    let out: Array<[string, number]> | null = null
    for (const e of this.unapplied.values()) {
      if (e.index === null) {
        e.index = new Map()
        for (let i = 0; i < e.groups.length; i++) e.index.set(e.groups[i]!, i)
      }
      const i = e.index.get(group)
      if (i !== undefined) (out ??= []).push([opId(this.writer.key, e.position, i), e.clocks[i]!])
    }
    return out
  }

  private async append (groups: string[], requests: WriteRequest[]): Promise<Array<Promise<void>>> {
    // ours first, then the view: a write of ours applied in between is in one or the other
    const mine = this.unapplied.size === 0 ? null : groups.map((g) => this.mine(g))
    const found = await readHeads(this.tables(), requests.map((r) => r.key), this.filter)
    const ops: WriteOp[] = []
    const opGroups: string[] = []
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!
      let links = NO_LINKS
      let top = 0
      const f = found[i]
      if (f !== undefined && f.heads.length > 0) {
        links = []
        for (const h of f.heads) {
          links.push(h.id)
          if (h.clock > top) top = h.clock
        }
      }
      const own = mine?.[i]
      if (own !== null && own !== undefined) {
        if (links === NO_LINKS) links = []
        const seen = new Set(links)
        for (const [id, clock] of own) {
          if (!seen.has(id)) links.push(id)
          if (clock > top) top = clock
        }
      }
      // deleting a key nothing ever wrote (as far as we know) changes nothing
      if (r.del && links.length === 0) continue
      const clock = Math.min(top + 1, MAX_CLOCK)
      ops.push(r.del ? { del: true, key: r.key, clock, links } : { del: false, key: r.key, value: r.value, clock, links })
      opGroups.push(groups[i]!)
    }
    if (ops.length === 0) return []

    const entries = encodeEntries(ops, MAX_ENTRY_BYTES, (size) =>
      new KappaLevelError('ERR_TOO_LARGE', `a write of ${size} bytes does not fit in a log entry (at most ${MAX_ENTRY_BYTES}); nothing was written`))
    this.own.begin()
    let first: Address[]
    try {
      first = await this.writer.append(entries.map((e) => e.entry))
    } catch (err) {
      this.own.end()
      throw err
    }
    const positions = appendedPositions(first, entries.length)
    const waits: Array<Promise<void>> = []
    let opIndex = 0
    for (let e = 0; e < entries.length; e++) {
      const position = positions[e]!
      const at = entryKey(this.writer.key, position)
      const count = entries[e]!.count
      if (!this.own.wasApplied(at)) {
        const clocks = new Array<number>(count)
        for (let i = 0; i < count; i++) clocks[i] = ops[opIndex + i]!.clock
        this.unapplied.set(at, { position, groups: opGroups.slice(opIndex, opIndex + count), clocks, index: null })
      }
      waits.push(this.own.wait(at))
      opIndex += count
    }
    this.own.end()
    return waits
  }
}
