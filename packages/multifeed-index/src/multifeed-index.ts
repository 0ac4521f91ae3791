// The indexing engine: reads every entry of every feed of a multifeed once, in
// batches, hands them to a consumer's map(), and commits the consumer's writes
// together with the advanced per-feed progress in ONE LevelDB batch. A crash at any
// moment therefore loses nothing and indexes nothing twice.
import { EventEmitter } from 'node:events'
import { IndexError } from './errors.js'
import { EntryReader, toHex, type ReadResult } from './reader.js'
import { directBatch } from './direct-batch.js'
import { RangeSet } from './ranges.js'
import { IndexStore, type CursorRecord, type DataSublevel, type IndexBatch, type IndexDb, type Version } from './store.js'
import type { Entry, Feed, IndexState, MultifeedLike } from './types.js'

export interface IndexContext { data: DataSublevel }

export interface MultifeedIndexOptions<T = unknown> {
  multifeed: MultifeedLike
  /** The index owns everything under this database or sublevel. */
  db: IndexDb
  /** Puts the consumer's writes for `entries` into `batch` (use `{ sublevel: ctx.data }`). */
  map(entries: Entry<T>[], batch: IndexBatch, ctx: IndexContext): void | Promise<void>
  /** Most entries handed to one map() call. Default 500. */
  maxBatch?: number
  /** A change clears data and cursors atomically and rebuilds from the logs. */
  version?: number | string
  /**
   * A feed was truncated to `newLength`: remove what was derived from its entries
   * at seq >= newLength, into `batch`. Absent => the consumer is rebuilt.
   */
  truncate?(feedKey: string, newLength: number, batch: IndexBatch, ctx: IndexContext): void | Promise<void>
  /** Shared by several indexes so each block is read from storage once. */
  reader?: EntryReader
}

export interface IndexProgress { indexed: number; total: number }
export interface InvalidEntry { key: string; seq: number; error: Error }
export interface TruncateEvent { key: string; length: number; rebuilt: boolean }

interface FeedState {
  key: string
  feed: Feed
  done: RangeSet // committed progress (as in the cursor record)
  fork: number // the fork `done` refers to
  missing: RangeSet // in memory: seqs found not local; cleared per seq on 'download'
  arrivals: Set<number> | null // downloads seen while a scan is in flight (race guard)
  pending: Set<number> // seqs 'download' named, not yet taken as candidates: the cheap way to find work
  scanFrom: number | null // a scan of [scanFrom, length) is needed (startup, append, truncate); null: none
  scannedLength: number // the feed length the last complete scan reached
  scans: number
  truncateTo: number | null // pending truncation (lowest length seen)
  truncations: number // counts 'truncate' events, to tell if one came in while we handled another
  changes: number // counts append/download/truncate events, to tell if one came in while we scanned
  detach: () => void
}

interface PendingBatch {
  entries: Array<Entry<unknown>>
  invalid: InvalidEntry[]
  forks: Map<FeedState, number> // fork of each feed when its entries were read
}

interface Waiter {
  targets: Array<{ state: FeedState; length: number }>
  resolve: () => void
  reject: (err: Error) => void
}

const DEFAULT_MAX_BATCH = 500
const PROGRESS_INTERVAL_MS = 100
// how long a batch of only downloaded entries may wait to fill up before it is committed
const FILL_WAIT_MS = 8

export class MultifeedIndex<T = unknown> extends EventEmitter {
  readonly multifeed: MultifeedLike
  readonly maxBatch: number
  readonly version: Version
  readonly reader: EntryReader

  private readonly store: IndexStore
  private readonly mapFn: MultifeedIndexOptions<T>['map']
  private readonly truncateFn: MultifeedIndexOptions<T>['truncate'] | undefined
  private readonly states = new Map<string, FeedState>()
  // feeds that may have something to index, in round-robin order; the others are
  // not looked at, so thousands of idle feeds cost nothing per batch
  private readonly work = new Set<FeedState>()
  private stored = new Map<string, CursorRecord>() // loaded records of feeds not added yet
  private readonly opening: Promise<void>
  private _state: IndexState = 'idle'
  private _error: IndexError | null = null
  private paused = false
  private closing: Promise<void> | null = null
  private isOpen = false
  private dirty = false
  private running: Promise<void> | null = null
  private retry: PendingBatch | null = null
  private waiters: Waiter[] = []
  private lastProgress = 0
  private progressTimer: NodeJS.Timeout | null = null
  private readonly onfeed = (feed: Feed): void => { this.addFeed(feed) }
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
    this.truncateFn = opts.truncate
    this.reader = opts.reader ?? new EntryReader(opts.multifeed)
    this.store = new IndexStore(opts.db)
    this.opening = this.open()
    // failures surface through ready()/indexed() and the error state
    this.opening.catch(() => {})
  }

  get state (): IndexState { return this._state }
  get error (): IndexError | null { return this._error }
  /** The consumer's data sublevel of the current generation (json values). */
  get data (): DataSublevel { return this.store.data }
  /** Increases each time data and cursors are cleared (version change, rebuild). */
  get generation (): number { return this.store.generation }

  /** Opened and caught up: every entry locally available now is indexed. */
  async ready (): Promise<void> {
    await this.opening
    await this.indexed()
  }

  /** Opened (state loaded, indexing started), without waiting for it to catch up. */
  async opened (): Promise<void> {
    await this.opening
  }

  /**
   * Resolves when every entry locally available at call time is indexed (per feed:
   * the local blocks below its length now). Rejects with the IndexError when the
   * index is, or goes, into the error state, and with ERR_CLOSED on close.
   */
  async indexed (): Promise<void> {
    await this.opening
    if (this.closing !== null) throw new IndexError('ERR_CLOSED', 'index is closed')
    if (this._error !== null) throw this._error
    for (const feed of this.multifeed.feeds()) this.addFeed(feed)
    const targets = [...this.states.values()].map((state) => ({ state, length: state.feed.length }))
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
    let indexed = 0
    let total = 0
    for (const s of this.states.values()) {
      const length = s.feed.length
      total += length
      indexed += s.done.sizeBelow(length)
    }
    return { indexed, total }
  }

  async close (): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doClose (): Promise<void> {
    await this.opening.catch(() => {})
    this.multifeed.off('feed', this.onfeed)
    for (const s of this.states.values()) s.detach()
    if (this.running !== null) await this.running
    if (this.progressTimer !== null) clearTimeout(this.progressTimer)
    const err = new IndexError('ERR_CLOSED', 'index closed')
    for (const w of this.waiters.splice(0)) w.reject(err)
    await this.store.close()
  }

  // ---- opening and feeds ------------------------------------------------

  private async open (): Promise<void> {
    try {
      this.stored = await this.store.open(this.version)
    } catch (err) {
      const e = err instanceof IndexError ? err : new IndexError('ERR_STORAGE', 'cannot open index state', { cause: err })
      this.fail(e, 'index-error')
      throw e
    }
    if (this.closing !== null) return
    this.isOpen = true
    this.multifeed.on('feed', this.onfeed)
    for (const feed of this.multifeed.feeds()) this.addFeed(feed)
    this.schedule()
  }

  private addFeed (feed: Feed): void {
    if (!this.isOpen || this.closing !== null) return
    if (feed.key === null) {
      feed.ready().then(() => this.addFeed(feed), () => {})
      return
    }
    const key = toHex(feed.key)
    if (this.states.has(key)) return
    const record = this.stored.get(key)
    this.stored.delete(key)
    const state: FeedState = {
      key,
      feed,
      done: new RangeSet(record?.ranges ?? []),
      fork: record?.fork ?? feed.fork,
      missing: new RangeSet(),
      arrivals: null,
      pending: new Set(),
      scanFrom: 0,
      scannedLength: 0,
      scans: 0,
      truncateTo: null,
      truncations: 0,
      changes: 0,
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
    const ondownload = (seq: number): void => {
      state.arrivals?.add(seq)
      state.missing.remove(seq)
      state.pending.add(seq)
      const fill = this.fill
      if (fill !== null && --fill.left <= 0) { this.fill = null; fill.resolve() }
      this.touch(state)
    }
    const ontruncate = (length: number): void => {
      state.truncateTo = Math.min(state.truncateTo ?? length, length)
      state.truncations++
      state.missing.truncate(length)
      state.scanFrom = 0
      state.scannedLength = Math.min(state.scannedLength, length)
      this.touch(state)
    }
    feed.on('append', onappend)
    feed.on('download', ondownload)
    feed.on('truncate', ontruncate)
    state.detach = () => {
      feed.off('append', onappend)
      feed.off('download', ondownload)
      feed.off('truncate', ontruncate)
    }
    this.states.set(key, state)
    this.touch(state)
  }

  /** The feed may have work: put it in the work set and wake the loop. */
  private touch (state: FeedState): void {
    state.changes++
    this.work.add(state)
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
    let pending = 0
    for (const state of this.work) {
      if (state.scanFrom !== null || state.truncateTo !== null) return
      pending += state.pending.size
    }
    if (pending === 0 || pending >= this.maxBatch) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { if (this.fill === fill) this.fill = null; resolve() }, FILL_WAIT_MS)
      const fill = { left: this.maxBatch - pending, resolve: () => { clearTimeout(timer); resolve() } }
      this.fill = fill
    })
  }

  /**
   * Picks up to maxBatch entries that are local and not done, fairly across feeds.
   * Blocks that are not local are remembered as missing until a 'download' names them.
   */
  private async collect (): Promise<PendingBatch | null> {
    if (this.work.size === 0) return null
    let budget = this.maxBatch
    let scanBudget = this.maxBatch * 4
    const wanted: Array<{ state: FeedState; seqs: number[] }> = []
    for (const state of [...this.work]) {
      if (budget <= 0) break
      if (state.truncateTo !== null) continue
      const seqs: number[] = []
      const changes = state.changes
      state.scans++
      state.arrivals ??= new Set()
      try {
        const found = await this.localCandidates(state, budget, scanBudget)
        scanBudget -= found.scanned
        for (const seq of found.seqs) seqs.push(seq)
        if (found.scanned > 0) this.dirty = true // missing grew: look again past it
        // a feed that was looked at to its end leaves the work set until an event
        // touches it; one cut short goes to the back of the line
        this.work.delete(state)
        if (!found.complete || state.changes !== changes || found.seqs.length > 0 || state.pending.size > 0) this.work.add(state)
      } finally {
        if (--state.scans === 0) state.arrivals = null
      }
      if (seqs.length > 0) {
        wanted.push({ state, seqs })
        budget -= seqs.length
      }
    }
    if (wanted.length === 0) return null

    const batch: PendingBatch = { entries: [], invalid: [], forks: new Map() }
    const results = await Promise.all(wanted.map(async ({ state, seqs }) => {
      const fork = state.feed.fork
      state.scans++
      state.arrivals ??= new Set()
      try {
        return { state, seqs, fork, results: await this.reader.readMany(state.feed, state.key, seqs) }
      } finally {
        if (--state.scans === 0) state.arrivals = null
      }
    }))
    for (const { state, seqs, fork, results: read } of results) {
      batch.forks.set(state, fork)
      for (let i = 0; i < seqs.length; i++) {
        const seq = seqs[i]
        const r: ReadResult = read[i]
        if (r.status === 'ok') batch.entries.push({ key: state.key, seq, value: r.value })
        else if (r.status === 'invalid') batch.invalid.push({ key: state.key, seq, error: r.error })
        else this.markMissing(state, seq)
      }
    }
    if (batch.entries.length === 0 && batch.invalid.length === 0) return null
    return batch
  }

  /**
   * Seqs of `state` not done, below its length, that are local: the downloads named
   * since the last look (no storage access), plus, when a scan is due (startup, append,
   * truncate), those found scanning [scanFrom, length) past the known-missing seqs.
   */
  private async localCandidates (state: FeedState, budget: number, scanBudget: number): Promise<{ seqs: number[]; scanned: number; complete: boolean }> {
    const feed = state.feed
    const length = feed.length
    const seqs: number[] = []
    if (state.pending.size > 0) {
      for (const seq of state.pending) {
        if (seqs.length >= budget) break
        state.pending.delete(seq)
        if (seq < length && !state.done.has(seq)) seqs.push(seq)
      }
      seqs.sort((a, b) => a - b)
      // a scan would find these same entries: the next look does it
      if (seqs.length >= budget || state.scanFrom !== null) return { seqs, scanned: 0, complete: false }
      return { seqs, scanned: 0, complete: state.pending.size === 0 }
    }
    if (state.scanFrom === null) return { seqs, scanned: 0, complete: true }
    const from = Math.max(state.scanFrom, state.done.contiguous)
    const truncations = state.truncations
    state.scanFrom = null
    const result = await this.scan(state, from, length, budget, scanBudget, seqs)
    if (result.complete) {
      // a truncation meanwhile reset scannedLength and asked for a full scan: keep that
      if (state.truncations === truncations) state.scannedLength = Math.max(state.scannedLength, length)
    } else {
      // resume where this look stopped: everything before was taken or marked missing
      state.scanFrom = Math.min(state.scanFrom ?? result.next, result.next)
    }
    return { seqs, scanned: result.scanned, complete: result.complete && state.scanFrom === null }
  }

  private async scan (state: FeedState, from: number, length: number, budget: number, scanBudget: number, seqs: number[]): Promise<{ scanned: number; complete: boolean; next: number }> {
    const feed = state.feed
    let scanned = 0
    for (const [a, b] of state.done.gaps(from, length)) {
      for (const [s, e] of state.missing.gaps(a, b)) {
        // below contiguousLength everything is local: no need to ask
        const local = Math.min(e, Math.max(s, feed.contiguousLength))
        for (let i = s; i < local; i++) {
          if (seqs.length >= budget) return { scanned, complete: false, next: i }
          seqs.push(i)
        }
        for (let i = Math.max(s, local); i < e; i++) {
          if (seqs.length >= budget || scanned >= scanBudget) return { scanned, complete: false, next: i }
          if (await feed.has(i)) {
            seqs.push(i)
          } else {
            scanned++
            this.markMissing(state, i)
          }
        }
      }
    }
    return { scanned, complete: true, next: length }
  }

  private markMissing (state: FeedState, seq: number): void {
    // it may have arrived while we were looking: then it is not missing
    if (state.arrivals?.has(seq) === true) { this.dirty = true; return }
    state.missing.add(seq)
  }

  /** map() + cursors in one LevelDB batch; memory is updated only after it is written. */
  private async commit (pending: PendingBatch): Promise<void> {
    const batch = directBatch(this.store.db)
    const first = pending.entries[0] ?? pending.invalid[0]
    try {
      if (pending.entries.length > 0) {
        await this.mapFn(pending.entries as Array<Entry<T>>, batch, { data: this.store.data })
      }
    } catch (err) {
      await batch.close().catch(() => {})
      this.retry = pending
      this.fail(new IndexError('ERR_MAP_FAILED', `map failed at ${first.key}:${first.seq}: ${errorMessage(err)}`,
        { feed: first.key, seq: first.seq, cause: err }), 'map-error')
      return
    }
    const updates = new Map<FeedState, RangeSet>()
    for (const { key, seq } of [...pending.entries, ...pending.invalid]) {
      const state = this.states.get(key) as FeedState
      let done = updates.get(state)
      if (done === undefined) { done = state.done.clone(); updates.set(state, done) }
      done.add(seq)
    }
    for (const [state, done] of updates) {
      this.store.putCursor(batch, state.key, { fork: state.fork, ranges: done.toJSON() })
    }
    try {
      await batch.write()
    } catch (err) {
      this.retry = pending
      this.fail(new IndexError('ERR_STORAGE', `commit failed at ${first.key}:${first.seq}: ${errorMessage(err)}`,
        { feed: first.key, seq: first.seq, cause: err }), 'index-error')
      return
    }
    for (const [state, done] of updates) state.done = done
    for (const bad of pending.invalid) this.emit('invalid-entry', bad)
    if (pending.entries.length > 0) this.emit('batch', pending.entries)
    this.emitProgress(false)
    this.checkWaiters()
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
          this.fail(new IndexError('ERR_MAP_FAILED', `truncate failed for ${state.key} at ${length}: ${errorMessage(err)}`,
            { feed: state.key, seq: length, cause: err }), 'map-error')
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
    this.store.putCursor(b, state.key, { fork, ranges: done.toJSON() })
    await b.write()
    state.done = done
    state.fork = fork
    // a truncation that came in while we were writing stays pending
    if (state.truncations === seen) state.truncateTo = null
  }

  /** Starts over in a fresh generation: data and cursors gone in one meta write. */
  private async rebuild (): Promise<void> {
    const seen = new Map([...this.states.values()].map((s) => [s, s.truncations]))
    await this.store.bump()
    this.retry = null
    for (const state of this.states.values()) {
      state.done = new RangeSet()
      state.fork = state.feed.fork
      state.scanFrom = 0
      state.scannedLength = 0
      if (state.truncations === seen.get(state)) state.truncateTo = null
      this.work.add(state)
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
      if (!w.targets.every((t) => this.caughtUp(t.state, t.length))) return true
      w.resolve()
      return false
    })
  }

  /** Every seq below `length` (and the feed's length) is done or known not local. */
  private caughtUp (state: FeedState, length: number): boolean {
    if (state.truncateTo !== null) return false
    const end = Math.min(length, state.feed.length)
    for (const [a, b] of state.done.gaps(state.done.contiguous, end)) {
      if (state.missing.gaps(a, b, 1).length > 0) return false
    }
    return true
  }
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
