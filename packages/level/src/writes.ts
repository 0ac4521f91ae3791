// The write path: a put, a del or a batch becomes ONE append to this peer's log
// (one entry per batch, split into several entries of the same append only when
// it would not fit in one block), each write linking the heads of its key that
// this peer knows. It resolves once the view has applied it (read-your-writes).
//
// Links must include this peer's own writes that are appended but not applied
// yet, or two quick writes of one key would be concurrent with each other. Writes
// of the same key are therefore chained: a write waits until earlier writes of
// its keys have been appended (not applied), then links them.
import type { Writer } from '@kappa-ts/kappa-core'
import { encodeEntry, encodeOp, encodedSize, MAX_CLOCK, type EncodedOp, type LevelEntry, type WriteOp } from './entry-format.js'
import { KappaLevelError } from './errors.js'
import { decodeHeads } from './heads.js'
import { groupKey, type Stored } from './keys.js'
import type { OwnWrites } from './own-writes.js'
import { appendedPositions, entryKey, opId } from './positions.js'
import { getMany, type Tables } from './tables.js'

export type WriteRequest = { del: false; key: Stored; value: Stored } | { del: true; key: Stored }

/**
 * Most bytes of JSON in one entry. Hypercore suggests blocks under 15 MB and a
 * replication message cannot exceed 16 MB; a batch bigger than this is split into
 * several entries of one append.
 */
export const MAX_ENTRY_BYTES = 8 * 1024 * 1024

interface Pending { group: string; id: string }

export class LevelWriter {
  /** Per key: resolves when the latest write of it has been appended. */
  private readonly appending = new Map<string, Promise<void>>()
  /** Per key: this peer's writes appended but not applied yet (id -> clock). */
  private readonly unapplied = new Map<string, Map<string, number>>()
  /** Per entry of ours not applied yet: the writes it holds. */
  private readonly byEntry = new Map<string, Pending[]>()

  constructor (
    private readonly writer: Writer,
    private readonly tables: () => Tables,
    private readonly own: OwnWrites
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
    const done = (async () => {
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
    return done
  }

  /** The view applied these entries (of any feed): forget our writes in them. */
  applied (entries: ReadonlyArray<{ key: string; at: string }>): void {
    for (const { key, at } of entries) {
      if (key !== this.writer.key) continue
      const pending = this.byEntry.get(at)
      if (pending !== undefined) {
        this.byEntry.delete(at)
        for (const { group, id } of pending) {
          const m = this.unapplied.get(group)
          if (m === undefined) continue
          m.delete(id)
          if (m.size === 0) this.unapplied.delete(group)
        }
      }
      this.own.applied(at)
    }
  }

  private async append (groups: string[], requests: WriteRequest[]): Promise<Array<Promise<void>>> {
    // ours first, then the view: a write of ours applied in between is in one or the other
    const mine = groups.map((g) => {
      const m = this.unapplied.get(g)
      return m === undefined ? null : [...m]
    })
    const records = await getMany(this.tables().heads, requests.map((r) => r.key))
    const ops: WriteOp[] = []
    const opGroups: string[] = []
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!
      let links: string[] = []
      let top = 0
      const record = records[i]
      if (record !== undefined) {
        for (const h of decodeHeads(record as string)) {
          links.push(h.id)
          if (h.clock > top) top = h.clock
        }
      }
      const own = mine[i]
      if (own !== null && own !== undefined) {
        const seen = new Set(links)
        for (const [id, clock] of own) {
          if (!seen.has(id)) links.push(id)
          if (clock > top) top = clock
        }
      }
      // deleting a key nothing ever wrote (as far as we know) changes nothing
      if (r.del && links.length === 0) continue
      if (links.length === 0) links = []
      const clock = Math.min(top + 1, MAX_CLOCK)
      ops.push(r.del ? { del: true, key: r.key, clock, links } : { del: false, key: r.key, value: r.value, clock, links })
      opGroups.push(groups[i]!)
    }
    if (ops.length === 0) return []

    const entries = splitEntries(ops.map(encodeOp))
    this.own.begin()
    let first: number
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
      const at = entryKey(this.writer.key, positions[e]!)
      const count = entries[e]!.entry.ops.length
      if (!this.own.wasApplied(at)) {
        const pending: Pending[] = new Array(count)
        for (let i = 0; i < count; i++) {
          const op = ops[opIndex + i]!
          const group = opGroups[opIndex + i]!
          const id = opId(this.writer.key, positions[e]!, i)
          pending[i] = { group, id }
          let m = this.unapplied.get(group)
          if (m === undefined) this.unapplied.set(group, m = new Map())
          m.set(id, op.clock)
        }
        this.byEntry.set(at, pending)
      }
      waits.push(this.own.wait(at))
      opIndex += count
    }
    this.own.end()
    return waits
  }
}

/** Cuts a batch's ops into entries of at most MAX_ENTRY_BYTES (one op alone must fit). */
function splitEntries (ops: EncodedOp[]): Array<{ entry: LevelEntry }> {
  const out: Array<{ entry: LevelEntry }> = []
  let current: EncodedOp[] = []
  let size = 32
  for (const op of ops) {
    const n = encodedSize(op)
    if (n + 32 > MAX_ENTRY_BYTES) {
      throw new KappaLevelError('ERR_TOO_LARGE', `a write of ${n} bytes does not fit in a log entry (at most ${MAX_ENTRY_BYTES} bytes of JSON); nothing was written`)
    }
    if (size + n > MAX_ENTRY_BYTES && current.length > 0) {
      out.push({ entry: encodeEntry(current) })
      current = []
      size = 32
    }
    current.push(op)
    size += n
  }
  if (current.length > 0) out.push({ entry: encodeEntry(current) })
  return out
}
