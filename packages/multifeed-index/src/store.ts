// The on-disk layout of one index under its db:
//
//   meta/state          { version, generation, stale: [old generations still to clear] }
//   g<N>/cursors/<feed> { fork, ranges: [[start, end), ...], entries, skipped }
//                       per-feed progress: the blocks done, the entries they hold,
//                       and how many entries (or blocks) of them were skipped
//   g<N>/skipped/<feed>!<block>!<index>  { code, reason }: what was skipped and why
//   g<N>/data/...       the consumer's own data (json values)
//   summary/cursors     every cursor of the generation in one value, written at a clean
//                       close and deleted at open (cursor-summary.ts)
//
// Everything a generation knows lives under g<N>, so clearing a view and its
// cursors "in one step" is a single put of meta/state pointing at a fresh
// generation; the old one is deleted afterwards, in the background, and again on
// the next open if the process died before that finished.
import type { AbstractLevel, AbstractSublevel, AbstractChainedBatch } from 'abstract-level'
import { IndexError } from './errors.js'
import { RangeSet, type Range } from './ranges.js'
import { decodeSummary, encodeSummary } from './cursor-summary.js'

// abstract-level's generics are invariant (a Level<string, unknown>, its sublevels
// and a MemoryLevel are not assignable to any one precise instantiation), so these
// three aliases are the one place that uses `any` type arguments.
/** Any abstract-level database or sublevel; the index owns everything under it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
export type IndexDb = AbstractLevel<any, any, any>
/** A sublevel with string keys and json values (the consumer's data). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
export type DataSublevel = AbstractSublevel<any, any, string, any>
/** The chained batch map() writes into; committed once, with the cursors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
export type IndexBatch = AbstractChainedBatch<any, any, any>

export type Version = number | string | null

export interface Meta { version: Version; generation: number; stale: number[] }
export interface CursorRecord {
  fork: number
  /** Blocks done (indexed or skipped), as [start, end) ranges. */
  ranges: Range[]
  /** Entries those blocks hold. */
  entries: number
  /** Skip records of this feed (entries, or whole blocks, that could not be indexed). */
  skipped: number
}

/** An entry (or a whole block) that could not be indexed, kept with the reason. */
export interface SkippedEntry {
  /** Feed key, hex. */
  key: string
  block: number
  /** The entry's index in the block; null when the whole block could not be read. */
  index: number | null
  /** A stable code: ERR_BLOCK_FORMAT (not a readable block), ERR_ENTRY_DECODE (not valid in the feed's encoding), or the view's own. */
  code: string
  reason: string
}

const BLOCK_DIGITS = 14 // 2^53 fits in 14 hex digits
const INDEX_DIGITS = 4 // MAX_ENTRIES_PER_BLOCK fits in 4 hex digits
const WHOLE_BLOCK = '----' // sorts before every index (0x2d < 0x30)

/** Skip record key: feed, block and index, sorting in log order within a feed. */
export function skipKey (feed: string, block: number, index: number | null): string {
  return feed + '!' + block.toString(16).padStart(BLOCK_DIGITS, '0') + '!' +
    (index === null ? WHOLE_BLOCK : index.toString(16).padStart(INDEX_DIGITS, '0'))
}

function parseSkipKey (key: string): { key: string; block: number; index: number | null } {
  const [feed, block, index] = key.split('!') as [string, string, string]
  return { key: feed, block: parseInt(block, 16), index: index === WHOLE_BLOCK ? null : parseInt(index, 16) }
}

const META_KEY = 'state'
const SUMMARY_KEY = 'cursors'
/** Cursors read per step when the index opens. */
const CURSOR_BATCH = 1000

export class IndexStore {
  readonly db: IndexDb
  private readonly meta: DataSublevel
  private readonly summary: DataSublevel
  /** open() finished: close() may write the cursor summary. */
  private isOpen = false
  private state: Meta = { version: null, generation: 0, stale: [] }
  private generationDb: DataSublevel | null = null
  private dataDb: DataSublevel | null = null
  private cursorsDb: DataSublevel | null = null
  private skippedDb: DataSublevel | null = null
  private clearing: Promise<void> = Promise.resolve()
  private metaWrites: Promise<void> = Promise.resolve()
  private closed = false

  constructor (db: IndexDb) {
    this.db = db
    this.meta = db.sublevel('meta', { valueEncoding: 'json' })
    this.summary = db.sublevel('summary', { valueEncoding: 'view' })
  }

  get generation (): number { return this.state.generation }

  get data (): DataSublevel { return opened(this.dataDb) }

  get cursors (): DataSublevel { return opened(this.cursorsDb) }

  /** Reads (or creates) meta, starts a new generation when the version changed, loads cursors. */
  async open (version: Version): Promise<Map<string, CursorRecord>> {
    // both reads at once: the summary is used only if meta names the same generation
    const [stored, summary] = await Promise.all([this.meta.get(META_KEY) as Promise<unknown>, this.summary.get(SUMMARY_KEY) as Promise<unknown>])
    if (stored === undefined) {
      await this.writeMeta(() => ({ version, generation: 0, stale: [] }))
    } else if (!isMeta(stored)) {
      throw new IndexError('ERR_CORRUPT', 'stored index meta is unreadable')
    } else {
      this.state = stored
      if (stored.version !== version) await this.bump(version)
    }
    this.useGeneration(this.state.generation)
    this.clearStale()
    // a generation is written to only after meta points at it, so a fresh one is empty
    const cursors = await this.takeSummary(summary) ?? await this.loadCursors()
    this.isOpen = true
    return cursors
  }

  /**
   * The cursors from the summary the last clean close wrote (read by open()), or null.
   * It is deleted before anything can be indexed: after a crash from now on, there is none.
   */
  private async takeSummary (buf: unknown): Promise<Map<string, CursorRecord> | null> {
    if (!(buf instanceof Uint8Array)) return null
    const deleting = this.summary.del(SUMMARY_KEY) // decoded meanwhile; done before open() returns
    const cursors = decodeSummary(buf, this.state.generation)
    await deleting
    return cursors
  }

  /** Atomically switches to an empty generation (data and cursors cleared at once). */
  async bump (version: Version = this.state.version): Promise<void> {
    await this.writeMeta((m) => ({ version, generation: m.generation + 1, stale: [...m.stale, m.generation] }))
    this.useGeneration(this.state.generation)
    this.clearStale()
  }

  // Meta writes are serialized: a background clear must never overwrite a newer generation.
  private writeMeta (update: (m: Meta) => Meta): Promise<void> {
    const run = this.metaWrites.then(async () => {
      const next = update(this.state)
      await this.meta.put(META_KEY, next)
      this.state = next
    })
    this.metaWrites = run.catch(() => {})
    return run
  }

  putCursor (batch: IndexBatch, feedKey: string, record: CursorRecord): void {
    batch.put(feedKey, record, { sublevel: this.cursors })
  }

  get skippedSublevel (): DataSublevel {
    if (this.skippedDb === null) throw new IndexError('ERR_NOT_OPEN', 'index is not open yet: await ready()')
    return this.skippedDb
  }

  putSkip (batch: IndexBatch, skip: SkippedEntry): void {
    batch.put(skipKey(skip.key, skip.block, skip.index), { code: skip.code, reason: skip.reason }, { sublevel: this.skippedSublevel })
  }

  /** Deletes (into batch) the skip records of a feed from block `from` on; returns how many. */
  async dropSkips (batch: IndexBatch, feedKey: string, from: number): Promise<number> {
    let n = 0
    const range = { gte: skipKey(feedKey, from, null), lt: feedKey + '!~' }
    for await (const key of this.skippedSublevel.keys(range)) {
      batch.del(key, { sublevel: this.skippedSublevel })
      n++
    }
    return n
  }

  /** The skip records, in feed then log order (of one feed when `feedKey` is given). */
  async * skips (feedKey?: string): AsyncGenerator<SkippedEntry> {
    const range = feedKey === undefined ? {} : { gt: feedKey + '!', lt: feedKey + '!~' }
    for await (const [key, value] of this.skippedSublevel.iterator(range)) {
      const v = value as { code?: unknown; reason?: unknown }
      yield { ...parseSkipKey(String(key)), code: String(v.code), reason: String(v.reason) }
    }
  }

  /** Resolves when the background deletion of old generations has finished. */
  async settled (): Promise<void> {
    await this.clearing
  }

  /** Called after the last batch was committed: waits for background clearing, then writes the cursor summary. */
  async close (): Promise<void> {
    this.closed = true
    await this.clearing
    if (!this.isOpen) return
    this.isOpen = false
    try {
      // from the stored records, so it holds exactly what was committed
      await this.summary.put(SUMMARY_KEY, encodeSummary(this.state.generation, await this.loadCursors()))
    } catch {
      // the db closed under us or a record is unreadable: no summary, the next open reads the records
    }
  }

  private useGeneration (generation: number): void {
    this.generationDb = this.db.sublevel('g' + generation)
    this.dataDb = this.generationDb.sublevel('data', { valueEncoding: 'json' })
    this.cursorsDb = this.generationDb.sublevel('cursors', { valueEncoding: 'json' })
    this.skippedDb = this.generationDb.sublevel('skipped', { valueEncoding: 'json' })
  }

  private async loadCursors (): Promise<Map<string, CursorRecord>> {
    const out = new Map<string, CursorRecord>()
    // in batches: one await per entry cost 5 us each, a third of reopening 10,000 feeds
    const it = this.cursors.iterator()
    try {
      for (let batch = await it.nextv(CURSOR_BATCH); batch.length > 0; batch = await it.nextv(CURSOR_BATCH)) {
        for (const [key, value] of batch) {
          if (!isCursorRecord(value)) throw new IndexError('ERR_CORRUPT', `stored cursor of feed ${String(key)} is unreadable`)
          out.set(String(key), value)
        }
      }
    } finally {
      await it.close()
    }
    return out
  }

  private clearStale (): void {
    this.clearing = this.clearing.then(async () => {
      while (!this.closed && this.state.stale.length > 0) {
        const gen = this.state.stale[0]
        await this.db.sublevel('g' + gen).clear()
        // recorded even when closing: close() waits for this, the db is still open
        await this.writeMeta((m) => ({ ...m, stale: m.stale.filter((g) => g !== gen) }))
      }
    }).catch(() => {
      // the db closed under us or failed: the generation stays listed as stale and
      // is cleared on the next open
    })
  }
}

function isMeta (value: unknown): value is Meta {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  const v = m.version
  return (v === null || typeof v === 'number' || typeof v === 'string') &&
    Number.isSafeInteger(m.generation) && (m.generation as number) >= 0 &&
    Array.isArray(m.stale) && m.stale.every((g) => Number.isSafeInteger(g))
}

function isCursorRecord (value: unknown): value is CursorRecord {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return Number.isSafeInteger(c.fork) && RangeSet.isValid(c.ranges) &&
    Number.isSafeInteger(c.entries) && (c.entries as number) >= 0 &&
    Number.isSafeInteger(c.skipped) && (c.skipped as number) >= 0
}

/** A sublevel that exists only once the store is open. */
function opened (db: DataSublevel | null): DataSublevel {
  if (db === null) throw new IndexError('ERR_NOT_OPEN', 'index is not open yet: await ready()')
  return db
}
