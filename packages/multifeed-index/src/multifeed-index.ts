// The indexing engine: reads every entry of every feed of a multifeed once, in
// batches, hands them to a consumer's map(), and commits the consumer's writes
// together with the advanced per-feed progress in ONE LevelDB batch. A crash at any
// moment therefore loses nothing and indexes nothing twice.
//
// Progress is kept per block: a block's entries always go to map() together, in the
// same commit, so a block is either wholly indexed or not at all. What cannot be
// indexed (a block that is not a readable packed block, an entry that is not valid
// in the feed's encoding) is skipped for good and recorded with the reason, in the
// same commit.
//
// With a lazy multifeed (keys/lengths/hold/release), feeds this index has nothing
// to index in stay closed: at open, a feed whose stored progress covers every block
// the multifeed reports is *dormant* (a cursor record in memory, nothing else); the
// others are activated (held open) a few at a time. An open feed is followed while
// it is open, held while there is work in it, and turns dormant again when the
// multifeed closes it.
import { decodeEntry, TypedResource } from '@kappa-ts/multifeed'
import { IndexError } from './errors.js'
import { EntryReader, toHex, type BlockRead } from './reader.js'
import { directBatch } from './direct-batch.js'
import { RangeSet } from './ranges.js'
import { IndexStore, type CursorRecord, type DataSublevel, type IndexBatch, type IndexDb, type SkippedEntry, type Version } from './store.js'
import type { Entry, Feed, FeedLengthsLike, IndexState, MultifeedLike } from './types.js'

export interface IndexContext { data: DataSublevel }

/** What map() gets besides the entries and the batch. */
export interface MapContext extends IndexContext {
  /**
   * Records that `entry` (one of this call's) cannot be indexed, with the reason: the
   * entry is done (not handed over again), the record is kept and reported ('skip'
   * event, skipped(), progress().skipped), in the same commit as the batch. `code`
   * defaults to ERR_NOT_INDEXABLE.
   */
  skip(entry: Entry<unknown>, reason: string, code?: string): void
}

/** What a map() that throws does: stop the index at that batch (default), or skip the entry that makes it throw. */
export type OnMapError = 'stop' | 'skip'

export interface MultifeedIndexOptions<T = unknown> {
  multifeed: MultifeedLike
  /** The index owns everything under this database or sublevel. */
  db: IndexDb
  /**
   * Puts the consumer's writes for `entries` into `batch` (use `{ sublevel: ctx.data }`).
   * What it returns (or resolves to) comes with the 'batch' event once the batch is
   * committed: what a consumer worked out while mapping, handed to its live hook.
   */
  map(entries: Entry<T>[], batch: IndexBatch, ctx: MapContext): unknown
  /**
   * When map() throws: 'stop' (default) puts the index in error at that batch (a bug
   * in the consumer is not hidden; resume() retries); 'skip' finds the entry that makes
   * it throw (by running map on parts of the batch, with nothing written), skips and
   * records it (code ERR_MAP_THREW, the error's message as the reason), and indexes the rest.
   */
  onError?: OnMapError
  /** Most entries handed to one map() call (a block is never split: one larger block goes alone). Default 500. */
  maxBatch?: number
  /** A change clears data and cursors atomically and rebuilds from the logs. */
  version?: number | string
  /**
   * A feed was truncated to `newLength` blocks: remove what was derived from its
   * entries in blocks >= newLength, into `batch`. Absent => the consumer is rebuilt.
   */
  truncate?(feedKey: string, newLength: number, batch: IndexBatch, ctx: IndexContext): void | Promise<void>
  /** Shared by several indexes so each block is read from storage once. */
  reader?: EntryReader
}

export interface IndexProgress {
  /** Entries done (indexed or skipped). */
  indexed: number
  /** Entries in the feeds: exact for a feed whose last block has been read, else a lower bound. */
  total: number
  /** The same in blocks (what replication moves). */
  blocks: { indexed: number; total: number }
  /** Skip records: entries, or whole blocks, that could not be indexed (see skipped()). */
  skipped: number
}
export interface TruncateEvent { key: string; length: number; rebuilt: boolean }

/** Typed listeners for the index's events (on/once/off). Never an 'error' event. */
export interface MultifeedIndexEvents<T = unknown> {
  /** The index state changed. */
  state: (state: IndexState) => void
  /** As progress(): at most every 100 ms while indexing, and when it stops. */
  progress: (progress: IndexProgress) => void
  /** A batch was committed: its entries and what map() returned for them. */
  batch: (entries: Array<Entry<T>>, result: unknown) => void
  /** An entry or a block was skipped for good, after the commit that recorded it. */
  skip: (skip: SkippedEntry) => void
  /** A feed was truncated and the index caught up with it. */
  truncate: (event: TruncateEvent) => void
  /** The consumer's data was rebuilt in a new generation. */
  reset: (event: { generation: number }) => void
  /** map() or truncate() threw (ERR_MAP_FAILED); the index is in error. */
  'map-error': (err: IndexError) => void
  /** Reading the logs, committing or opening failed (ERR_STORAGE, ERR_CORRUPT); the index is in error. */
  'index-error': (err: IndexError) => void
  /** Opened: state loaded, indexing started (ReadyResource). */
  ready: () => void
  /** Closed: indexing stopped, the index's state closed. */
  close: () => void
}

export type { SkippedEntry }

interface FeedState {
  key: string
  feed: Feed
  done: RangeSet // committed progress in blocks (as in the cursor record)
  entries: number // entries in the done blocks (as in the cursor record)
  skipped: number // skip records of this feed (as in the cursor record)
  perBlock: number // entries per block in the last blocks read: how many blocks fill a batch
  fork: number // the fork `done` refers to
  missing: RangeSet // in memory: blocks found not local; cleared per block on 'download'
  arrivals: Set<number> | null // downloads seen while a scan is in flight (race guard)
  // Blocks 'download' named, not taken into a batch yet: the cheap way to find work.
  // A block stays here until it is read, because the feed's own view (length,
  // has(), a read) can lag the 'download' event by a moment: such a block is
  // retried shortly, never taken for missing.
  pending: Set<number>
  retryTimer: NodeJS.Timeout | null // a look again soon at pending blocks the feed did not show yet
  scanFrom: number | null // a scan of [scanFrom, length) is needed (startup, append, truncate); null: none
  scannedLength: number // the feed length the last complete scan reached
  scans: number
  truncateTo: number | null // pending truncation (lowest length seen)
  truncations: number // counts 'truncate' events, to tell if one came in while we handled another
  changes: number // counts append/download/truncate events, to tell if one came in while we scanned
  held: boolean // we hold the feed open (lazy multifeed) while there is work in it
  detach: () => void
}

/** A feed this index is caught up with and does not follow (closed): its progress, and what that covers. */
interface Dormant {
  record: CursorRecord
  /** The feed's length when it went dormant. */
  length: number
  /** Blocks of it done, below that length. */
  done: number
}

interface PendingBatch {
  entries: Array<Entry<unknown>>
  skips: SkippedEntry[]
  /** The blocks this batch completes, per feed, with their entry counts. */
  blocks: Map<FeedState, Array<{ block: number; count: number }>>
  /** The same blocks as sets: a block named twice while the batch fills (a scan, then its download event) is taken once. */
  taken: Map<FeedState, Set<number>>
  forks: Map<FeedState, number> // fork of each feed when its blocks were read
}

interface Waiter {
  /** Per feed (by key, so a feed that turns active or dormant meanwhile is still the same target). */
  targets: Array<{ key: string; length: number }>
  resolve: () => void
  reject: (err: Error) => void
}

const DEFAULT_MAX_BATCH = 500
// A skip reason is stored and shown: an error message carrying a peer's entry must not make it large
const MAX_REASON = 500
// A first guess of entries per block for a feed not read yet (packed logs hold many);
// the guess only sets how many blocks the first read of a feed asks for.
const FIRST_GUESS_PER_BLOCK = 64
// How soon a feed is looked at again when its length or reads lag a 'download' event
const RETRY_MS = 5
// Rounds of reads one batch may take to fill up (see collect)
const MAX_ROUNDS = 4
const PROGRESS_INTERVAL_MS = 100
// Feeds this index opens at the same time to look for work (a lazy multifeed)
const MAX_ACTIVATING = 32
// how long a batch of only downloaded entries may wait to fill up before it is committed
const FILL_WAIT_MS = 8

/**
 * The lifecycle is Holepunch's ReadyResource, as hypercore's: the constructor starts
 * opening; ready() (shared by every caller) resolves once the state is loaded and
 * indexing started (indexed() waits for it to catch up); close() waits for an open in
 * progress and the batch being committed. `opening`, `opened`, `closing`, `closed` tell
 * where it is; ready() and indexed() after close() reject with ERR_CLOSED.
 */
export class MultifeedIndex<T = unknown> extends TypedResource<MultifeedIndexEvents<T>> {
  readonly multifeed: MultifeedLike
  readonly maxBatch: number
  readonly version: Version
  readonly reader: EntryReader

  private readonly store: IndexStore
  private readonly mapFn: MultifeedIndexOptions<T>['map']
  private readonly onError: OnMapError
  private readonly truncateFn: MultifeedIndexOptions<T>['truncate'] | undefined
  private readonly states = new Map<string, FeedState>()
  // feeds that may have something to index, in round-robin order; the others are
  // not looked at, so thousands of idle feeds cost nothing per batch
  private readonly work = new Set<FeedState>()
  private stored = new Map<string, CursorRecord>() // loaded records of feeds not added yet
  // lazy multifeed: caught-up feeds not followed, and their sums for progress()
  private readonly lazy: boolean
  private readonly dormant = new Map<string, Dormant>()
  private readonly dormantSums = { entries: 0, skipped: 0, blocks: 0, done: 0 }
  // feeds with possible work that are not open here yet, in order, with their records
  private readonly waiting = new Map<string, CursorRecord | null>()
  private readonly activating = new Set<string>()
  private readonly heldStates = new Set<FeedState>()
  private _state: IndexState = 'idle'
  private _error: IndexError | null = null
  private paused = false
  private isOpen = false
  private dirty = false
  private running: Promise<void> | null = null
  private retry: PendingBatch | null = null
  private waiters: Waiter[] = []
  private lastProgress = 0
  private progressTimer: NodeJS.Timeout | null = null
  private readonly onfeed = (feed: Feed): void => { this.addFeed(feed) }
  private readonly onfeedclose = (feed: Feed): void => { this.feedClosing(feed) }
  // a short wait for downloads to fill the next batch (see fillBatch)
  private fill: { left: number; resolve: () => void } | null = null

  constructor (opts: MultifeedIndexOptions<T>) {
    super()
    if (opts === null || typeof opts !== 'object') throw new IndexError('ERR_BAD_OPTION', 'options are required')
    if (opts.multifeed === null || typeof opts.multifeed !== 'object' || typeof opts.multifeed.feeds !== 'function') {
      throw new IndexError('ERR_BAD_OPTION', 'opts.multifeed must be a Multifeed')
    }
    if (opts.db === null || typeof opts.db !== 'object' || typeof opts.db.sublevel !== 'function') {
      throw new IndexError('ERR_BAD_OPTION', 'opts.db must be an abstract-level database or sublevel')
    }
    if (typeof opts.map !== 'function') throw new IndexError('ERR_BAD_OPTION', 'opts.map must be a function')
    if (opts.truncate !== undefined && typeof opts.truncate !== 'function') {
      throw new IndexError('ERR_BAD_OPTION', 'opts.truncate must be a function')
    }
    const maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new IndexError('ERR_BAD_OPTION', 'maxBatch must be a positive integer')
    const version = opts.version ?? null
    if (version !== null && typeof version !== 'number' && typeof version !== 'string') {
      throw new IndexError('ERR_BAD_OPTION', 'version must be a number or a string')
    }
    if (opts.reader !== undefined && !(opts.reader instanceof EntryReader)) {
      throw new IndexError('ERR_BAD_OPTION', 'opts.reader must be an EntryReader')
    }
    this.multifeed = opts.multifeed
    this.maxBatch = maxBatch
    this.version = version
    this.mapFn = opts.map
    if (opts.onError !== undefined && opts.onError !== 'stop' && opts.onError !== 'skip') throw new IndexError('ERR_BAD_OPTION', "onError must be 'stop' or 'skip'")
    this.onError = opts.onError ?? 'stop'
    this.truncateFn = opts.truncate
    this.reader = opts.reader ?? new EntryReader(opts.multifeed)
    const mf = opts.multifeed
    this.lazy = typeof mf.keys === 'function' && typeof mf.lengths === 'function' && typeof mf.hold === 'function' && typeof mf.release === 'function'
    this.store = new IndexStore(opts.db)
    // failures surface through ready()/indexed() and the error state
    this.ready().catch(() => {})
  }

  get state (): IndexState { return this._state }
  get error (): IndexError | null { return this._error }
  /** The consumer's data sublevel of the current generation (json values). */
  get data (): DataSublevel { return this.store.data }
  /** Increases each time data and cursors are cleared (version change, rebuild). */
  get generation (): number { return this.store.generation }

  /** Opened: state loaded, indexing started (without waiting for it to catch up: see indexed()). */
  override ready (): Promise<void> {
    if (this.closing !== null) return Promise.reject(new IndexError('ERR_CLOSED', 'index is closed'))
    return super.ready()
  }

  /**
   * Resolves when every entry locally available at call time is indexed (per feed:
   * the local blocks below its length now). Rejects with the IndexError when the
   * index is, or goes, into the error state, and with ERR_CLOSED on close.
   */
  async indexed (): Promise<void> {
    await this.ready()
    if (this.closing !== null) throw new IndexError('ERR_CLOSED', 'index is closed')
    if (this._error !== null) throw this._error
    for (const feed of this.multifeed.feeds()) this.addFeed(feed)
    const targets: Waiter['targets'] = [...this.states.values()].map((state) => ({ key: state.key, length: state.feed.length }))
    for (const key of [...this.waiting.keys(), ...this.activating]) targets.push({ key, length: this.lengthsOf(key)?.length ?? 0 })
    const waiter: Waiter = { targets, resolve: () => {}, reject: () => {} }
    const done = new Promise<void>((resolve, reject) => { waiter.resolve = resolve; waiter.reject = reject })
    this.waiters.push(waiter)
    this.checkWaiters()
    return done
  }

  pause (): void {
    if (this.closing !== null) return
    this.paused = true
    if (this.running === null && this._state !== 'error') this.setState('paused')
  }

  /** Ends a pause, or retries the batch that failed. */
  resume (): void {
    if (this.closing !== null) return
    this.paused = false
    this._error = null
    if (this._state === 'paused' || this._state === 'error') this.setState('idle')
    this.schedule()
  }

  progress (): IndexProgress {
    const d = this.dormantSums
    let indexed = d.entries
    // at least one entry per block not done
    let total = d.entries + (d.blocks - d.done)
    let blocksIndexed = d.done
    let blocksTotal = d.blocks
    let skipped = d.skipped
    for (const [key, record] of [...this.waiting, ...[...this.activating].map((k) => [k, this.stored.get(k) ?? null] as const)]) {
      const length = this.lengthsOf(key)?.length ?? 0
      const done = record === null ? 0 : new RangeSet(record.ranges).sizeBelow(length)
      indexed += record?.entries ?? 0
      skipped += record?.skipped ?? 0
      blocksIndexed += done
      blocksTotal += length
      total += (record?.entries ?? 0) + length - done
    }
    for (const s of this.states.values()) {
      const length = s.feed.length
      const doneBlocks = s.done.sizeBelow(length)
      blocksTotal += length
      blocksIndexed += doneBlocks
      skipped += s.skipped
      indexed += s.entries
      // what the reader knows of the feed's entry count, and at least one entry per block not done
      const known = this.reader.knownEntries(s.feed, s.key)
      total += known.exact ? Math.max(known.entries, s.entries) : Math.max(known.entries, s.entries + length - doneBlocks)
    }
    return { indexed, total, blocks: { indexed: blocksIndexed, total: blocksTotal }, skipped }
  }

  /** The skip records, in feed then log order (of one feed with `feedKey`): what could not be indexed and why. */
  async skipped (feedKey?: string): Promise<SkippedEntry[]> {
    await this.ready()
    const out: SkippedEntry[] = []
    for await (const skip of this.store.skips(feedKey)) out.push(skip)
    return out
  }

  /** Stops following the feeds, lets the batch being committed land, releases held feeds, then closes the index's state. */
  protected override async _close (): Promise<void> {
    this.multifeed.off('feed', this.onfeed)
    this.multifeed.off('feed-open', this.onfeed)
    this.multifeed.off('feed-close', this.onfeedclose)
    for (const s of this.states.values()) s.detach()
    if (this.running !== null) await this.running
    for (const s of this.heldStates) this.multifeed.release?.(s.key)
    this.heldStates.clear()
    if (this.progressTimer !== null) clearTimeout(this.progressTimer)
    const err = new IndexError('ERR_CLOSED', 'index closed')
    for (const w of this.waiters.splice(0)) w.reject(err)
    await this.store.close()
  }

  // ---- opening and feeds ------------------------------------------------

  protected override async _open (): Promise<void> {
    try {
      this.stored = await this.store.open(this.version)
      // a lazy multifeed lists its feeds once it is ready (nothing announces them one by one)
      if (this.lazy) await this.multifeed.ready?.()
    } catch (err) {
      const e = err instanceof IndexError ? err : new IndexError('ERR_STORAGE', 'cannot open index state', { cause: err })
      this.fail(e, 'index-error')
      // ReadyResource does not call _close() after a failed open: release the state here
      await this.store.close().catch(() => {})
      throw e
    }
    if (this.closing !== null) return
    this.isOpen = true
    this.multifeed.on('feed', this.onfeed)
    if (this.lazy) {
      this.multifeed.on('feed-open', this.onfeed)
      this.multifeed.on('feed-close', this.onfeedclose)
    }
    for (const feed of this.multifeed.feeds()) this.addFeed(feed)
    if (this.lazy) {
      for (const key of this.multifeed.keys?.() ?? []) this.place(key)
      this.activate()
    }
    this.schedule()
  }

  private lengthsOf (key: string): FeedLengthsLike | undefined {
    return this.multifeed.lengths?.(key)
  }

  /**
   * A known feed that is not open here: dormant when its stored progress covers
   * every block the multifeed reports (and the same fork), else waiting to be opened.
   */
  private place (key: string): void {
    if (this.states.has(key) || this.dormant.has(key) || this.waiting.has(key) || this.activating.has(key)) return
    const record = this.stored.get(key)
    const lengths = this.lengthsOf(key)
    if (lengths === undefined) return
    if (coversAll(record, lengths)) {
      this.stored.delete(key)
      // it covers every block, so all `length` of them are done
      if (record !== undefined) this.addDormant(key, record, lengths.length, lengths.length)
      return
    }
    this.stored.delete(key)
    this.waiting.set(key, record ?? null)
  }

  /** `done`: how many of the feed's `length` blocks the record covers. */
  private addDormant (key: string, record: CursorRecord, length: number, done: number): void {
    this.dormant.set(key, { record, length, done })
    const d = this.dormantSums
    d.entries += record.entries
    d.skipped += record.skipped
    d.blocks += length
    d.done += done
  }

  /** The stored progress of a dormant feed, which stops being dormant. */
  private takeDormant (key: string): CursorRecord | undefined {
    const dormant = this.dormant.get(key)
    if (dormant === undefined) return undefined
    this.dormant.delete(key)
    const d = this.dormantSums
    d.entries -= dormant.record.entries
    d.skipped -= dormant.record.skipped
    d.blocks -= dormant.length
    d.done -= dormant.done
    return dormant.record
  }

  /** Opens (holds) waiting feeds, a few at a time; each is followed once open. */
  private activate (): void {
    while (this.activating.size < MAX_ACTIVATING && this.waiting.size > 0 && this.closing === null && this.isOpen) {
      const [key, record] = this.waiting.entries().next().value as [string, CursorRecord | null]
      this.waiting.delete(key)
      if (this.states.has(key)) continue
      this.activating.add(key)
      if (record !== null) this.stored.set(key, record)
      const hold = this.multifeed.hold as (key: string) => Promise<Feed | undefined>
      hold.call(this.multifeed, key).then((feed) => {
        this.activating.delete(key)
        if (feed === undefined) {
          this.stored.delete(key)
        } else if (this.closing !== null) {
          this.multifeed.release?.(key)
        } else {
          this.addFeed(feed)
          const state = this.states.get(key)
          if (state === undefined || state.held) this.multifeed.release?.(key)
          else {
            state.held = true
            this.heldStates.add(state)
            this.touch(state)
          }
        }
        this.activate()
        this.checkWaiters()
      }, (err: unknown) => {
        this.activating.delete(key)
        if (this.closing === null) this.fail(new IndexError('ERR_STORAGE', `cannot open feed ${key}: ${errorMessage(err)}`, { feed: key, cause: err }), 'index-error')
      })
    }
  }

  /**
   * The multifeed is about to close a feed nothing holds: stop following it. A feed
   * with work left (which we would hold) is held again, which keeps it open.
   */
  private feedClosing (feed: Feed): void {
    if (feed.key === null) return
    const key = toHex(feed.key)
    const state = this.states.get(key)
    if (state === undefined || state.feed !== feed) return
    if (this.hasWork(state)) {
      this.hold(state)
      return
    }
    state.detach()
    this.work.delete(state)
    this.states.delete(key)
    this.addDormant(key, { fork: state.fork, ranges: state.done.toJSON(), entries: state.entries, skipped: state.skipped }, feed.length, state.done.sizeBelow(feed.length))
  }

  private hasWork (state: FeedState): boolean {
    return this.work.has(state) || state.pending.size > 0 || state.scanFrom !== null || state.truncateTo !== null ||
      state.retryTimer !== null || state.scans > 0
  }

  /** Keeps a feed with work open (a lazy multifeed closes feeds nothing holds). */
  private hold (state: FeedState): void {
    if (!this.lazy || state.held || this.closing !== null) return
    state.held = true
    this.heldStates.add(state)
    this.multifeed.hold?.(state.key).catch(() => {})
  }

  /** Lets go of feeds with nothing left to do (only when no batch is in flight or waiting to be retried). */
  private releaseIdle (): void {
    if (this.retry !== null || this._error !== null || this.running !== null) return
    for (const state of this.heldStates) {
      if (this.hasWork(state)) continue
      state.held = false
      this.heldStates.delete(state)
      this.multifeed.release?.(state.key)
    }
  }

  private addFeed (feed: Feed): void {
    if (!this.isOpen || this.closing !== null) return
    if (feed.key === null) {
      feed.ready().then(() => this.addFeed(feed), () => {})
      return
    }
    const key = toHex(feed.key)
    if (this.states.has(key)) return
    this.waiting.delete(key)
    const record = this.takeDormant(key) ?? this.stored.get(key)
    this.stored.delete(key)
    const state: FeedState = {
      key,
      feed,
      done: new RangeSet(record?.ranges ?? []),
      entries: record?.entries ?? 0,
      skipped: record?.skipped ?? 0,
      perBlock: FIRST_GUESS_PER_BLOCK,
      fork: record?.fork ?? feed.fork,
      missing: new RangeSet(),
      arrivals: null,
      pending: new Set(),
      retryTimer: null,
      scanFrom: 0,
      scannedLength: 0,
      scans: 0,
      truncateTo: null,
      truncations: 0,
      changes: 0,
      held: false,
      detach: () => {}
    }
    // Truncated while we were not running: the fork changed, or progress is past the end.
    // The fork point is unknown then, so everything of this feed is redone.
    if (!state.done.isEmpty && state.fork !== feed.fork) state.truncateTo = 0
    else if (state.done.end > feed.length) state.truncateTo = feed.length

    const onappend = (): void => {
      // only the part past what was scanned can hold new local entries
      state.scanFrom = Math.min(state.scanFrom ?? state.scannedLength, state.scannedLength)
      this.touch(state)
    }
    const ondownload = (block: number): void => {
      state.arrivals?.add(block)
      state.missing.remove(block)
      state.pending.add(block)
      const fill = this.fill
      if (fill !== null && (fill.left -= state.perBlock) <= 0) { this.fill = null; fill.resolve() }
      this.touch(state)
    }
    const ontruncate = (length: number): void => {
      state.truncateTo = Math.min(state.truncateTo ?? length, length)
      state.truncations++
      state.missing.truncate(length)
      for (const block of state.pending) if (block >= length) state.pending.delete(block)
      state.scanFrom = 0
      state.scannedLength = Math.min(state.scannedLength, length)
      this.touch(state)
    }
    feed.on('append', onappend)
    feed.on('download', ondownload)
    feed.on('truncate', ontruncate)
    state.detach = () => {
      if (state.retryTimer !== null) clearTimeout(state.retryTimer)
      feed.off('append', onappend)
      feed.off('download', ondownload)
      feed.off('truncate', ontruncate)
    }
    this.states.set(key, state)
    if (this.lazy && state.truncateTo === null && coversAll(record, { fork: feed.fork, length: feed.length, contiguousLength: feed.contiguousLength })) {
      // opened for someone else (a read, a peer) with nothing new: follow it, look at nothing
      state.scanFrom = null
      state.scannedLength = feed.length
      return
    }
    this.touch(state)
  }

  /** The feed may have work: put it in the work set and wake the loop. */
  private touch (state: FeedState): void {
    state.changes++
    this.work.add(state)
    this.hold(state)
    this.schedule()
  }

  // ---- the work loop ----------------------------------------------------

  private schedule (): void {
    this.dirty = true
    if (this.running !== null || !this.isOpen || this.closing !== null) return
    if (this.paused || this._error !== null) return
    // setImmediate lets a burst of appends/downloads pile up so batches fill up
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run())
  }

  private async run (): Promise<void> {
    try {
      while (this.dirty && this.closing === null && !this.paused && this._error === null) {
        this.dirty = false
        if (await this.applyTruncations()) continue
        const retry = this.takeRetry()
        if (retry === null) await this.fillBatch()
        const batch = retry ?? await this.collect()
        if (batch === null) continue
        if (this.closing !== null) break
        this.setState('indexing')
        await this.commit(batch)
        this.dirty = true // more may be waiting beyond this batch
      }
    } catch (err) {
      const e = err instanceof IndexError ? err : new IndexError('ERR_STORAGE', errorMessage(err), { cause: err })
      this.fail(e, 'index-error')
    } finally {
      this.running = null
    }
    if (this._error !== null) this.setState('error')
    else if (this.paused) this.setState('paused')
    else if (this.closing === null) this.setState('idle')
    this.emitProgress(true)
    this.checkWaiters()
    // work that arrived while we were finishing
    if (this.dirty) this.schedule()
    else this.releaseIdle()
  }

  /** A failed batch is retried as is, unless a feed of it was truncated meanwhile. */
  private takeRetry (): PendingBatch | null {
    const batch = this.retry
    this.retry = null
    if (batch === null) return null
    for (const [state, fork] of batch.forks) {
      if (state.feed.fork !== fork || state.truncateTo !== null) { this.dirty = true; return null }
    }
    return batch
  }

  /**
   * When the only work is downloaded entries and they are fewer than a batch, waits
   * a few ms (or until a batch is pending) so a downloading feed is indexed in full
   * batches rather than one commit per network message.
   */
  private async fillBatch (): Promise<void> {
    let pending = 0 // entries, estimated from each feed's entries per block
    for (const state of this.work) {
      if (state.scanFrom !== null || state.truncateTo !== null) return
      pending += state.pending.size * state.perBlock
    }
    if (pending === 0 || pending >= this.maxBatch) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { if (this.fill === fill) this.fill = null; resolve() }, FILL_WAIT_MS)
      const fill = { left: this.maxBatch - pending, resolve: () => { clearTimeout(timer); resolve() } }
      this.fill = fill
    })
  }

  /**
   * Picks local blocks that are not done, fairly across feeds, until their entries
   * fill a batch (a block is never split). Blocks that are not local are remembered
   * as missing until a 'download' names them.
   */
  private async collect (): Promise<PendingBatch | null> {
    const batch: PendingBatch = { entries: [], skips: [], blocks: new Map(), taken: new Map(), forks: new Map() }
    let taken = 0
    // Entries per block are only known once a feed's blocks are read, so a batch is
    // filled in a few rounds: each round asks every feed with work for the blocks its
    // last density says would fill what is left, fairly, then reads them together.
    for (let round = 0; round < MAX_ROUNDS && taken < this.maxBatch && this.work.size > 0; round++) {
      const got = await this.collectRound(batch, this.maxBatch - taken)
      if (got === 0) break
      taken += got
    }
    if (batch.blocks.size === 0) return null
    return batch
  }

  /** One round of collect(): adds up to `budget` entries' worth of blocks to `batch`; returns the entries (and skipped blocks) added. */
  private async collectRound (batch: PendingBatch, budget: number): Promise<number> {
    const maxEntries = budget
    let scanBudget = this.maxBatch * 4
    const wanted: Array<{ state: FeedState; blocks: number[] }> = []
    for (const state of [...this.work]) {
      if (budget <= 0) break
      if (state.truncateTo !== null) continue
      if (batch.forks.has(state) && batch.forks.get(state) !== state.feed.fork) continue
      const changes = state.changes
      const want = Math.max(1, Math.min(this.maxBatch, Math.ceil(budget / state.perBlock)))
      state.scans++
      state.arrivals ??= new Set()
      try {
        const found = await this.localCandidates(state, want, scanBudget)
        scanBudget -= found.scanned
        if (found.scanned > 0) this.dirty = true // missing grew: look again past it
        // a feed that was looked at to its end leaves the work set until an event
        // touches it; one cut short goes to the back of the line
        this.work.delete(state)
        if (!found.complete || state.changes !== changes || found.blocks.length > 0 || state.pending.size > 0) this.work.add(state)
        if (found.blocks.length > 0) {
          wanted.push({ state, blocks: found.blocks })
          budget -= found.blocks.length * state.perBlock
        }
      } finally {
        if (--state.scans === 0) state.arrivals = null
      }
    }
    if (wanted.length === 0) return 0

    const reads = await Promise.all(wanted.map(async ({ state, blocks }) => {
      const fork = state.feed.fork
      state.scans++
      state.arrivals ??= new Set()
      try {
        const results = await this.reader.readBlocks(state.feed, state.key, blocks)
        for (let i = 0; i < blocks.length; i++) if (results[i]!.status === 'missing') this.markMissing(state, blocks[i]!)
        return { state, blocks, fork, results }
      } finally {
        if (--state.scans === 0) state.arrivals = null
      }
    }))

    let taken = 0
    const already = batch.entries.length + batch.skips.length
    for (const { state, blocks, fork, results } of reads) {
      const done = batch.blocks.get(state) ?? []
      let inBatch = batch.taken.get(state)
      if (inBatch === undefined) batch.taken.set(state, inBatch = new Set())
      let readEntries = 0
      let readBlocks = 0
      for (let i = 0; i < blocks.length; i++) {
        const block = blocks[i]!
        const r: BlockRead = results[i]!
        if (inBatch.has(block)) { state.pending.delete(block); continue }
        if (r.status === 'missing') {
          // downloaded, but not readable yet through the feed: look again soon
          if (state.pending.has(block)) this.retrySoon(state)
          continue
        }
        const count = r.status === 'ok' ? r.block.count : 1
        if (r.status === 'ok') { readEntries += count; readBlocks++ }
        if ((already + taken > 0 && taken + count > maxEntries) || (batch.forks.has(state) && batch.forks.get(state) !== fork)) {
          // full: this block waits for the next batch (it is cached, not read again)
          state.pending.add(block)
          this.work.add(state)
          this.dirty = true
          continue
        }
        state.pending.delete(block)
        inBatch.add(block)
        taken += count
        if (r.status === 'invalid') {
          const reason = r.error.message
          batch.skips.push({ key: state.key, block, index: null, code: errorCode(r.error, 'ERR_BLOCK_FORMAT'), reason })
          done.push({ block, count: 0 })
          continue
        }
        this.takeEntries(state.key, block, r, batch)
        done.push({ block, count })
      }
      if (readBlocks > 0) state.perBlock = Math.max(1, Math.round(readEntries / readBlocks))
      if (done.length > 0) {
        batch.blocks.set(state, done)
        batch.forks.set(state, fork)
      }
    }
    return taken
  }

  /** The entries of one block, each decoded in the feed's encoding; one that is not valid is skipped and recorded. */
  private takeEntries (key: string, block: number, r: Extract<BlockRead, { status: 'ok' }>, batch: PendingBatch): void {
    const encoding = this.reader.encoding
    for (let index = 0; index < r.block.count; index++) {
      let value: unknown
      try {
        value = decodeEntry(encoding, r.block, index)
      } catch (err) {
        batch.skips.push({ key, block, index, code: 'ERR_ENTRY_DECODE', reason: encoding === 'json' ? errorMessage(err) : `not valid ${encoding}: ${errorMessage(err)}` })
        continue
      }
      batch.entries.push({ key, address: { block, index }, value })
    }
  }

  /**
   * Blocks of `state` not done, below its length, that are local: the downloads named
   * since the last look (no storage access), plus, when a scan is due (startup, append,
   * truncate), those found scanning [scanFrom, length) past the known-missing blocks.
   */
  private async localCandidates (state: FeedState, budget: number, scanBudget: number): Promise<{ blocks: number[]; scanned: number; complete: boolean }> {
    const feed = state.feed
    const length = feed.length
    const blocks: number[] = []
    if (state.pending.size > 0) {
      let lagging = false
      for (const block of state.pending) {
        if (blocks.length >= budget) break
        if (state.done.has(block)) state.pending.delete(block)
        else if (block < length) blocks.push(block)
        else lagging = true // the feed's length has not caught up with its download yet
      }
      if (lagging) this.retrySoon(state)
      blocks.sort((a, b) => a - b)
      // a scan would find these same entries: the next look does it
      if (blocks.length >= budget || state.scanFrom !== null) return { blocks, scanned: 0, complete: false }
      if (blocks.length > 0 || lagging) return { blocks, scanned: 0, complete: true }
    }
    if (state.scanFrom === null) return { blocks, scanned: 0, complete: true }
    const from = Math.max(state.scanFrom, state.done.contiguous)
    const truncations = state.truncations
    state.scanFrom = null
    const result = await this.scan(state, from, length, budget, scanBudget, blocks)
    if (result.complete) {
      // a truncation meanwhile reset scannedLength and asked for a full scan: keep that
      if (state.truncations === truncations) state.scannedLength = Math.max(state.scannedLength, length)
    } else {
      // resume where this look stopped: everything before was taken or marked missing
      state.scanFrom = Math.min(state.scanFrom ?? result.next, result.next)
    }
    return { blocks, scanned: result.scanned, complete: result.complete && state.scanFrom === null }
  }

  private async scan (state: FeedState, from: number, length: number, budget: number, scanBudget: number, blocks: number[]): Promise<{ scanned: number; complete: boolean; next: number }> {
    const feed = state.feed
    let scanned = 0
    for (const [a, b] of state.done.gaps(from, length)) {
      for (const [s, e] of state.missing.gaps(a, b)) {
        // below contiguousLength everything is local: no need to ask
        const local = Math.min(e, Math.max(s, feed.contiguousLength))
        for (let i = s; i < local; i++) {
          if (blocks.length >= budget) return { scanned, complete: false, next: i }
          blocks.push(i)
        }
        for (let i = Math.max(s, local); i < e; i++) {
          if (blocks.length >= budget || scanned >= scanBudget) return { scanned, complete: false, next: i }
          if (await feed.has(i)) {
            blocks.push(i)
          } else {
            scanned++
            this.markMissing(state, i)
          }
        }
      }
    }
    return { scanned, complete: true, next: length }
  }

  /** Looks at a feed again in a few ms (its view lags a 'download' event). */
  private retrySoon (state: FeedState): void {
    if (state.retryTimer !== null || this.closing !== null) return
    state.retryTimer = setTimeout(() => {
      state.retryTimer = null
      this.touch(state)
    }, RETRY_MS)
    state.retryTimer.unref()
  }

  private markMissing (state: FeedState, block: number): void {
    // downloaded: it is local, even if the feed does not show it yet
    if (state.pending.has(block)) return
    // it may have arrived while we were looking: then it is not missing
    if (state.arrivals?.has(block) === true) { this.dirty = true; return }
    state.missing.add(block)
  }

  /** map() + cursors + skip records in one LevelDB batch; memory is updated only after it is written. */
  private async commit (pending: PendingBatch): Promise<void> {
    const mapped = await this.mapBatch(pending)
    if (mapped === null) return // failed: the index is in error, the batch kept for resume()
    const { batch, entries, result } = mapped
    const first = entries[0] ?? pending.entries[0]
    const skips = dedupeSkips([...pending.skips, ...mapped.skips])
    const updates = new Map<FeedState, CursorRecord & { done: RangeSet }>()
    for (const [state, blocks] of pending.blocks) {
      const done = state.done.clone()
      let entries = state.entries
      for (const { block, count } of blocks) {
        if (done.has(block)) continue
        done.add(block)
        entries += count
      }
      updates.set(state, { done, fork: state.fork, ranges: [], entries, skipped: state.skipped })
    }
    for (const skip of skips) {
      this.store.putSkip(batch, skip)
      const u = updates.get(this.states.get(skip.key) as FeedState)
      if (u !== undefined) u.skipped++
    }
    for (const [state, u] of updates) {
      this.store.putCursor(batch, state.key, { fork: state.fork, ranges: u.done.toJSON(), entries: u.entries, skipped: u.skipped })
    }
    try {
      await batch.write()
    } catch (err) {
      this.retry = pending
      const where = first !== undefined ? { feed: first.key, address: first.address } : {}
      this.fail(new IndexError('ERR_STORAGE', `commit failed: ${errorMessage(err)}`, { ...where, cause: err }), 'index-error')
      return
    }
    for (const [state, u] of updates) {
      state.done = u.done
      state.entries = u.entries
      state.skipped = u.skipped
    }
    for (const skip of skips) this.emit('skip', skip)
    if (entries.length > 0) this.emit('batch', entries as Array<Entry<T>>, result)
    this.emitProgress(false)
    this.checkWaiters()
  }

  /**
   * Runs map() over the batch into a fresh LevelDB batch; returns it with the entries
   * map was given, what map returned, and what it (or the isolation of a throwing entry)
   * skipped. Null when
   * map threw and the index stopped.
   */
  private async mapBatch (pending: PendingBatch): Promise<{ batch: IndexBatch; entries: Array<Entry<unknown>>; skips: SkippedEntry[]; result: unknown } | null> {
    let entries = pending.entries
    const isolated: SkippedEntry[] = []
    for (let attempt = 0; ; attempt++) {
      const batch = directBatch(this.store.db)
      const skips: SkippedEntry[] = []
      try {
        const result: unknown = entries.length > 0 ? await this.mapFn(entries as Array<Entry<T>>, batch, this.mapContext(entries, skips)) : undefined
        return { batch, entries, skips: [...isolated, ...skips], result }
      } catch (err) {
        await batch.close().catch(() => {})
        const culprit = this.onError === 'skip' && attempt <= pending.entries.length ? await this.findThrowing(entries) : null
        if (culprit === null) {
          this.retry = pending
          const at = entries[0] as Entry<unknown>
          this.fail(new IndexError('ERR_MAP_FAILED', `map failed at ${at.key}@${at.address.block}.${at.address.index}: ${errorMessage(err)}`,
            { feed: at.key, address: at.address, cause: err }), 'map-error')
          return null
        }
        const bad = entries[culprit.index]!
        isolated.push(skipOf(bad, 'ERR_MAP_THREW', errorMessage(culprit.error)))
        entries = entries.filter((_, i) => i !== culprit.index)
      }
    }
  }

  /**
   * The entry whose inclusion makes map() throw: the smallest prefix of `entries` that
   * throws ends with it. Each try writes into a batch that is thrown away. Null when
   * the whole batch does not throw again (then nothing can be pinned on one entry).
   */
  private async findThrowing (entries: Array<Entry<unknown>>): Promise<{ index: number; error: unknown } | null> {
    const run = async (n: number): Promise<unknown> => {
      const batch = directBatch(this.store.db)
      try {
        await this.mapFn(entries.slice(0, n) as Array<Entry<T>>, batch, this.mapContext(entries, []))
        return null
      } catch (err) {
        return err ?? new Error('map threw ' + String(err))
      } finally {
        await batch.close().catch(() => {})
      }
    }
    let error = await run(entries.length)
    if (error === null) return null
    let lo = 0 // map(entries[0..lo)) does not throw
    let hi = entries.length // map(entries[0..hi)) throws, with `error`
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1
      const e = await run(mid)
      if (e === null) lo = mid
      else { hi = mid; error = e }
    }
    return { index: hi - 1, error }
  }

  private mapContext (entries: Array<Entry<unknown>>, skips: SkippedEntry[]): MapContext {
    return {
      data: this.store.data,
      skip (entry: Entry<unknown>, reason: string, code = 'ERR_NOT_INDEXABLE'): void {
        if (!entries.includes(entry)) throw new IndexError('ERR_BAD_OPTION', 'skip(entry): the entry must be one of this map() call\'s')
        skips.push(skipOf(entry, String(code), String(reason)))
      }
    }
  }

  /** Handles pending truncations; true if it did anything. */
  private async applyTruncations (): Promise<boolean> {
    let any = false
    for (const state of this.states.values()) {
      if (state.truncateTo === null) continue
      if (this.closing !== null || this._error !== null) break
      any = true
      const length = state.truncateTo
      const fork = state.feed.fork
      const seen = state.truncations
      if (state.done.end <= length) {
        // nothing derived from the removed entries: only the fork changes
        await this.commitTruncation(state, length, fork, null, seen)
        this.emit('truncate', { key: state.key, length, rebuilt: false } satisfies TruncateEvent)
      } else if (this.truncateFn !== undefined) {
        const batch = directBatch(this.store.db)
        try {
          await this.truncateFn(state.key, length, batch, { data: this.store.data })
        } catch (err) {
          await batch.close().catch(() => {})
          this.fail(new IndexError('ERR_MAP_FAILED', `truncate failed for ${state.key} at block ${length}: ${errorMessage(err)}`,
            { feed: state.key, address: { block: length, index: 0 }, cause: err }), 'map-error')
          return true
        }
        await this.commitTruncation(state, length, fork, batch, seen)
        this.emit('truncate', { key: state.key, length, rebuilt: false } satisfies TruncateEvent)
      } else {
        await this.rebuild()
        this.emit('truncate', { key: state.key, length, rebuilt: true } satisfies TruncateEvent)
      }
    }
    if (any) {
      this.dirty = true
      this.emitProgress(false)
    }
    return any
  }

  private async commitTruncation (state: FeedState, length: number, fork: number, batch: IndexBatch | null, seen: number): Promise<void> {
    const done = state.done.clone()
    done.truncate(length)
    const b = batch ?? directBatch(this.store.db)
    const dropped = await this.store.dropSkips(b, state.key, length)
    const entries = state.done.end <= length ? state.entries : await this.countEntries(state, done)
    const skipped = Math.max(0, state.skipped - dropped)
    this.store.putCursor(b, state.key, { fork, ranges: done.toJSON(), entries, skipped })
    await b.write()
    state.done = done
    state.fork = fork
    state.entries = entries
    state.skipped = skipped
    // a truncation that came in while we were writing stays pending
    if (state.truncations === seen) state.truncateTo = null
  }

  /** Entries in the `done` blocks of a feed, from the headers of each range's first and last block. */
  private async countEntries (state: FeedState, done: RangeSet): Promise<number> {
    let entries = 0
    for (const [start, end] of done.toJSON()) {
      const [first, last] = await this.reader.readBlocks(state.feed, state.key, [start, end - 1])
      entries += first?.status === 'ok' && last?.status === 'ok'
        ? last.block.end - first.block.offset
        : end - start // a boundary that cannot be read: count one entry per block
    }
    return entries
  }

  /** Starts over in a fresh generation: data and cursors gone in one meta write. */
  private async rebuild (): Promise<void> {
    const seen = new Map([...this.states.values()].map((s) => [s, s.truncations]))
    await this.store.bump()
    this.retry = null
    for (const state of this.states.values()) {
      state.done = new RangeSet()
      state.entries = 0
      state.skipped = 0
      state.fork = state.feed.fork
      state.scanFrom = 0
      state.scannedLength = 0
      if (state.truncations === seen.get(state)) state.truncateTo = null
      this.touch(state)
    }
    if (this.lazy) {
      // nothing stored is left: every feed with blocks that is not open here waits to be indexed again
      this.dormant.clear()
      Object.assign(this.dormantSums, { entries: 0, skipped: 0, blocks: 0, done: 0 })
      this.stored.clear()
      for (const key of this.waiting.keys()) this.waiting.set(key, null)
      for (const key of this.multifeed.keys?.() ?? []) this.place(key)
      this.activate()
    }
    this.emit('reset', { generation: this.store.generation })
  }

  // ---- state, progress, waiters -----------------------------------------

  private fail (err: IndexError, event: 'map-error' | 'index-error'): void {
    this._error = err
    this.setState('error')
    this.emit(event, err)
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  private setState (state: IndexState): void {
    if (this._state === state) return
    this._state = state
    this.emit('state', state)
  }

  private emitProgress (force: boolean): void {
    const now = Date.now()
    if (force || now - this.lastProgress >= PROGRESS_INTERVAL_MS) {
      if (this.progressTimer !== null) { clearTimeout(this.progressTimer); this.progressTimer = null }
      this.lastProgress = now
      this.emit('progress', this.progress())
    } else if (this.progressTimer === null) {
      this.progressTimer = setTimeout(() => {
        this.progressTimer = null
        this.emitProgress(true)
      }, PROGRESS_INTERVAL_MS - (now - this.lastProgress))
      this.progressTimer.unref()
    }
  }

  private checkWaiters (): void {
    if (this.waiters.length === 0) return
    this.waiters = this.waiters.filter((w) => {
      if (!w.targets.every((t) => this.targetDone(t.key, t.length))) return true
      w.resolve()
      return false
    })
  }

  /** A waiter's target: the feed's state caught up to `length`; a dormant (or unknown) feed is. */
  private targetDone (key: string, length: number): boolean {
    const state = this.states.get(key)
    if (state !== undefined) return this.caughtUp(state, length)
    return !this.waiting.has(key) && !this.activating.has(key)
  }

  /** Every block below `length` (and the feed's length) is done or known not local. */
  private caughtUp (state: FeedState, length: number): boolean {
    if (state.truncateTo !== null) return false
    // A feed shows a downloaded block (contiguousLength) a moment before its 'download'
    // event: what it holds from 0 is not missing, whatever an earlier look found.
    const contiguous = state.feed.contiguousLength
    if (state.missing.sizeBelow(contiguous) > 0) {
      state.missing.remove(0, contiguous)
      state.scanFrom = Math.min(state.scanFrom ?? state.done.contiguous, state.done.contiguous)
      this.touch(state)
      return false
    }
    const end = Math.min(length, state.feed.length)
    for (const [a, b] of state.done.gaps(state.done.contiguous, end)) {
      if (state.missing.gaps(a, b, 1).length > 0) return false
    }
    return true
  }
}

/** Stored progress covers every block of a feed at these lengths (on the same fork). */
function coversAll (record: CursorRecord | undefined, l: FeedLengthsLike): boolean {
  if (l.length === 0) return record === undefined || record.ranges.length === 0
  if (record === undefined || record.fork !== l.fork) return false
  const [only] = record.ranges
  return record.ranges.length === 1 && only !== undefined && only[0] === 0 && only[1] === l.length
}

function skipOf (entry: Entry<unknown>, code: string, reason: string): SkippedEntry {
  return { key: entry.key, block: entry.address.block, index: entry.address.index, code, reason: reason.slice(0, MAX_REASON) }
}

/** One record per entry (or block): a view may skip an entry twice. */
function dedupeSkips (skips: SkippedEntry[]): SkippedEntry[] {
  const seen = new Set<string>()
  return skips.filter((s) => {
    const id = `${s.key}/${s.block}/${s.index ?? '-'}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function errorCode (err: Error, fallback: string): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : fallback
}

/** An error's message, without the `ERR_X: ` prefix our error classes put in front (the code is kept apart). */
function errorMessage (err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^ERR_[A-Z_]+: /, '')
}
