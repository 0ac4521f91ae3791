// Kappa: writers + views + indexing + replication, over one Multifeed and one LevelDB.
import { setMaxListeners } from 'node:events'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import type { AbstractLevel } from 'abstract-level'
import type Corestore from 'corestore'
import { Level } from 'level'
import { Multifeed, MAX_ENTRY_BYTES, TypedResource, type Feed, type FeedInfo, type MultifeedError, type MultifeedOptions, type MultifeedPeer } from '@kappa-ts/multifeed'
import { EntryReader, type Address, type Entry, type EntryRead, type IndexProgress, type IndexState, type SkippedEntry } from '@kappa-ts/multifeed-index'
import { bindApi } from './bind-api.js'
import { KappaError, closedError, unknownViewError } from './errors.js'
import { parseFeedKey, isAddress } from './address.js'
import { assertViewName } from './names.js'
import { Network, type KappaTransport, type SyncedOptions } from './network.js'
import type { AnyView, KappaApi, ViewContext, ViewDb } from './view.js'
import { ViewHost, type ViewReads } from './view-host.js'
import { Writer } from './writer.js'

export type { AnyView }
/** The views of a kappa, by name. */
export type ViewMap = Record<string, AnyView>
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
export type KappaDb = AbstractLevel<any, any, any>

// Enough for views to index a bulk import from memory while they keep up with it
// (they do on this machine), and to keep the recently read blocks kv gets hit.
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024

/**
 * Writes LevelDB's memtable to a table before the views' db closes. LevelDB replays its
 * log at the next open, and the last thing written is the index's cursor summary: at
 * 10,000 feeds that replay was a tenth of reopening. compactRange flushes the memtable
 * first; the range given holds no keys, so nothing else is compacted (about 2 ms).
 */
async function flushViewsLog (db: KappaDb): Promise<void> {
  const compact = (db as { compactRange?: (start: string, end: string) => Promise<void> }).compactRange
  if (typeof compact !== 'function') return
  try {
    await compact.call(db, '\x00', '\x00')
  } catch {
    // closing anyway: the log is replayed at the next open, as before
  }
}

/** The multifeed limits KappaOptions passes through unchanged. */
const MULTIFEED_LIMITS = [
  'maxFeeds', 'maxFeedsPerMessage', 'maxPendingPerPeer', 'proveTimeout', 'handshakeTimeout', 'maxFrameBeforeProof',
  'maxSyncing', 'syncStallTimeout', 'maxServing', 'idleTimeout', 'maxIdleFeeds'
] as const

export interface KappaOptions<V extends ViewMap = Record<never, never>> {
  /** The multifeed key (32 bytes or 64 hex chars): the identity of the set of logs peers share. */
  key?: Uint8Array | string
  /** Encoding of every entry's value. Default 'json'. */
  valueEncoding?: MultifeedOptions['valueEncoding']
  /** Which feeds announced by peers to replicate. Default: all. */
  accept?: MultifeedOptions['accept']
  maxFeeds?: MultifeedOptions['maxFeeds']
  maxFeedsPerMessage?: MultifeedOptions['maxFeedsPerMessage']
  /** Feeds announced by one peer that are checked for data at once (multifeed's admission policy). Default 64. */
  maxPendingPerPeer?: MultifeedOptions['maxPendingPerPeer']
  /** Milliseconds an announced feed may go without a peer serving its signed length before it is forgotten. Default 20_000. */
  proveTimeout?: MultifeedOptions['proveTimeout']
  /** Milliseconds a connection may take to prove the key before it is dropped (ERR_HANDSHAKE_TIMEOUT). Default 10_000. */
  handshakeTimeout?: MultifeedOptions['handshakeTimeout']
  /** Largest transport frame a connection may send before it proved the key (ERR_FRAME_TOO_LARGE). Default 256 KiB. */
  maxFrameBeforeProof?: MultifeedOptions['maxFrameBeforeProof']
  /** Known feeds fetched from peers at the same time; the others wait their turn. Default 128. */
  maxSyncing?: MultifeedOptions['maxSyncing']
  /** Milliseconds a feed being fetched may go without receiving anything before its turn ends. Default 20_000. */
  syncStallTimeout?: MultifeedOptions['syncStallTimeout']
  /** Feeds one connection may have us open at once by asking for them. Default 1024. */
  maxServing?: MultifeedOptions['maxServing']
  /** Milliseconds an open feed that nothing holds stays open (feeds open lazily). Default 3_000. */
  idleTimeout?: MultifeedOptions['idleTimeout']
  /** Open feeds that nothing holds kept at most. Default 256. */
  maxIdleFeeds?: MultifeedOptions['maxIdleFeeds']
  /** Where views keep their data. Default: LevelDB in `<storage>/views` (required when storage is a Corestore). */
  db?: KappaDb
  /** Views to use() at once, typed like chained use() calls. */
  views?: V
  /** Bytes of decoded blocks the shared entry cache keeps (local appends and reads). Default 16 MiB. */
  cacheBytes?: number
  /**
   * The writers pack entries into hypercore blocks of about this many bytes (before
   * compression). Larger blocks cost less per entry to append and replicate; smaller
   * ones less to read one entry from. Default @kappa-ts/multifeed's TARGET_BLOCK_BYTES.
   */
  blockBytes?: number
  /**
   * RocksDB write buffer of the Corestore kappa opens from a path (@kappa-ts/multifeed's
   * writeBufferSize, default 16 MiB). Smaller costs less memory per kappa, e.g. many
   * peers in one process.
   */
  writeBufferSize?: number
}

export interface ViewStatus {
  state: IndexState
  /** Entries done (indexed, or skipped and recorded). */
  indexed: number
  /** Entries in the logs (exact once each feed's last block has been read, else a lower bound). */
  total: number
  /** The same in hypercore blocks (entries are packed, many to a block). */
  blocks: { indexed: number; total: number }
  /** Entries (or whole blocks) this view could not index: see kappa.skipped(name). */
  skipped: number
  error: KappaError | null
}

/**
 * Events: see KappaEvents (typed on/once/off). Never 'error'.
 *
 * The lifecycle is Holepunch's ReadyResource, as hypercore's and corestore's: ready()
 * opens once (every call shares the open), close() closes once, waiting for an open in
 * progress; `opening`, `opened`, `closing`, `closed` tell where it is. Every call after
 * close() fails with ERR_CLOSED.
 */
export class Kappa<V extends ViewMap = Record<never, never>> extends TypedResource<KappaEvents> {
  readonly multifeed: Multifeed
  readonly api: KappaApi<V>
  private readonly db: KappaDb
  private readonly viewsDb: ViewDb
  private readonly ownsDb: boolean
  /** The entry reader shared by every view: each block is read once for all (stats for diagnostics). */
  readonly reader: EntryReader
  private readonly hosts = new Map<string, ViewHost>()
  private readonly writers = new Map<string, Promise<Writer>>()
  private readonly network: Network
  /** What every view may read besides its own db (its ViewContext): entries by address, and the close. */
  private readonly reads: ViewReads
  private readonly closeController = new AbortController()

  constructor (storage: string | Corestore, opts: KappaOptions<V> = {}) {
    super()
    if (opts.db === undefined && typeof storage !== 'string') {
      throw new KappaError('ERR_INVALID_OPTIONS', 'opts.db is required when storage is a Corestore')
    }
    // check the views and options before anything opens storage, so a bad one leaves nothing open
    for (const [name, view] of Object.entries(opts.views ?? {})) checkView(name, view)
    for (const name of ['cacheBytes', 'blockBytes'] as const) {
      const v = opts[name]
      if (v !== undefined && (!Number.isSafeInteger(v) || v < (name === 'blockBytes' ? 1 : 0) || (name === 'blockBytes' && v > MAX_ENTRY_BYTES))) {
        throw new KappaError('ERR_INVALID_OPTIONS', `${name} must be an integer ${name === 'blockBytes' ? `in 1..${MAX_ENTRY_BYTES}` : '>= 0'}`)
      }
    }
    if (opts.writeBufferSize !== undefined && (!Number.isSafeInteger(opts.writeBufferSize) || opts.writeBufferSize < 1)) {
      throw new KappaError('ERR_INVALID_OPTIONS', 'writeBufferSize must be a positive integer (bytes)')
    }
    const mfOpts: MultifeedOptions = {}
    if (opts.key !== undefined) mfOpts.key = opts.key
    if (opts.valueEncoding !== undefined) mfOpts.valueEncoding = opts.valueEncoding
    if (opts.accept !== undefined) mfOpts.accept = opts.accept
    // multifeed's own options, passed through as given (multifeed checks them)
    for (const name of MULTIFEED_LIMITS) {
      const v = opts[name]
      if (v !== undefined) mfOpts[name] = v
    }
    if (opts.writeBufferSize !== undefined) mfOpts.writeBufferSize = opts.writeBufferSize
    this.multifeed = new Multifeed(typeof storage === 'string' ? path.join(storage, 'cores') : storage, mfOpts)
    if (opts.db !== undefined) {
      this.db = opts.db
      this.ownsDb = false
    } else {
      // LevelDB's default 4 MB write buffer: a 16 MB one saved ~4% CPU on a bulk
      // import but left ~8 MB more on disk after close (the unflushed log).
      // (abstract-level's types do not see a Level as an AbstractLevel of any encodings.)
      this.db = new Level(path.join(storage as string, 'views')) as unknown as KappaDb
      this.ownsDb = true
    }
    this.viewsDb = this.db.sublevel('views')
    this.reader = new EntryReader(this.multifeed, {
      cacheBytes: opts.cacheBytes ?? DEFAULT_CACHE_BYTES,
      ...(opts.blockBytes !== undefined ? { blockBytes: opts.blockBytes } : {})
    })
    this.api = {} as KappaApi<V>
    // one listener per view (kv, list) and per live query: not a leak
    setMaxListeners(0, this.closeController.signal)
    this.reads = {
      entry: (feedKey, address, opts) => this.entry(feedKey, address, opts),
      signal: this.closeController.signal
    }
    this.network = new Network(this.multifeed, opts.accept)
    this.multifeed.on('feed', (feed: Feed, info: FeedInfo) => this.emit('feed', feed, info))
    // a hostile or incompatible peer was dropped from a replication stream
    this.multifeed.on('peer-error', (err, peer) => this.emit('peer-error', err, peer))
    if (opts.views !== undefined) {
      for (const [name, view] of Object.entries(opts.views)) this.use(name, view)
    }
  }

  /**
   * The key of this peer's writer `name` in the kappa stored at `storage`, known before
   * the kappa is created or opened (e.g. to derive the kappa's key from it).
   */
  static async localWriterKey (storage: string, name = 'default'): Promise<string> {
    return await Multifeed.localWriterKey(path.join(storage, 'cores'), name)
  }

  /** The multifeed key (after ready()): share it with the peers who may replicate. */
  get key (): Buffer { return this.multifeed.key }
  get discoveryKey (): Buffer { return this.multifeed.discoveryKey }
  /** Names of the views in use. */
  get views (): string[] { return [...this.hosts.keys()] }

  /**
   * Opens the logs and the views' db, and opens every view used so far (which
   * then indexes in the background: see indexed()). The open happens once, shared
   * by every call; a call after a later use() also waits for that view to open.
   * A view that cannot open is reported by 'view-error' and does not make ready() fail.
   */
  override async ready (): Promise<void> {
    if (this.closing !== null) throw closedError('ready')
    await super.ready()
    await this.startViews()
  }

  protected override async _open (): Promise<void> {
    try {
      await this.multifeed.ready()
      await this.db.open()
    } catch (err) {
      // ReadyResource does not call _close() after a failed open: release what was opened
      await this.release()
      throw err
    }
    await this.startViews()
  }

  private async startViews (): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.start().catch(() => {})))
  }

  /**
   * Adds a view under `name`: it indexes every entry already in the logs, then
   * follows them live. Returns this kappa, typed with the new view's api.
   */
  use<N extends string, W extends AnyView> (name: N, view: W): Kappa<V & Record<N, W>> {
    this.assertOpen('use')
    checkView(name, view)
    if (this.hosts.has(name)) throw new KappaError('ERR_DUPLICATE_VIEW', `a view named "${name}" is already in use`, { view: name })
    const host = new ViewHost({
      name,
      view,
      multifeed: this.multifeed,
      db: this.viewsDb.sublevel(name),
      reader: this.reader,
      reads: this.reads
    })
    const bound = bindApi(name, view.api, host.ctx, (what) => this.assertOpen(what))
    this.hosts.set(name, host)
    ;(this.api as Record<string, unknown>)[name] = bound
    host.on('state', (state: IndexState) => this.emit('state', name, state))
    host.on('progress', (p: IndexProgress) => this.emit('progress', name, p))
    host.on('failed', (err: KappaError) => this.emit('view-error', name, err))
    host.on('hook-error', (err: KappaError) => this.emit('view-error', name, err))
    host.on('indexed', (entries: Entry[]) => this.emit('indexed', name, entries))
    host.on('skip', (skip: SkippedEntry) => this.emit('skip', name, skip))
    // After ready() the view starts at once; before, ready() starts it.
    if (this.opening !== null) this.opening.then(() => host.start()).catch(() => {})
    return this as unknown as Kappa<V & Record<N, W>>
  }

  /** This peer's own writer for `name` (default 'default'): the same feed after a restart. */
  writer (name = 'default'): Promise<Writer> {
    if (this.closing !== null) return Promise.reject(closedError('writer'))
    let w = this.writers.get(name)
    if (w === undefined) {
      w = this.ready().then(async () => new Writer(await this.multifeed.writer(name), this.reader))
      this.writers.set(name, w)
      w.catch(() => this.writers.delete(name))
    }
    return w
  }

  /** The feeds open now (feeds open lazily: see feedKeys() for all of them, multifeed.get(key) to open one). */
  feeds (): Feed[] {
    this.assertOpen('feeds')
    return this.multifeed.feeds()
  }

  /** Keys of every feed of the set, open or not, in the order added. */
  feedKeys (): string[] {
    this.assertOpen('feedKeys')
    return this.multifeed.keys()
  }

  /** The feed with this key if it is open now (see multifeed.get(key) to open it). */
  feed (key: string | Uint8Array): Feed | undefined {
    this.assertOpen('feed')
    return this.multifeed.feed(key)
  }

  /**
   * The entry at `address` of feed `feedKey`: at most one block read (none when the
   * block is cached). Null when the feed is unknown, or the block is not local and
   * `wait` is not set (with `wait`, it is requested from peers), or the block has no
   * such entry. Throws ERR_INVALID_ADDRESS for a malformed key or address and
   * ERR_INVALID_ENTRY when the block or the entry cannot be decoded.
   */
  async entry<T = unknown> (feedKey: string, address: Address, opts: { wait?: boolean } = {}): Promise<Entry<T> | null> {
    this.assertOpen('entry')
    const key = parseFeedKey(feedKey)
    if (key === null || !isAddress(address)) {
      throw new KappaError('ERR_INVALID_ADDRESS', 'entry(feedKey, { block, index }): a 64-hex feed key and non-negative integer block and index')
    }
    await this.ready()
    // The feed may not be open (feeds open lazily): hold it open for this one read.
    const feed = await this.multifeed.hold(key)
    if (feed === undefined) return null
    let read: EntryRead
    try {
      read = await this.reader.readEntry(feed, key, address, opts)
    } finally {
      this.multifeed.release(key)
    }
    if (read.status === 'missing') return null
    if (read.status === 'invalid') {
      throw new KappaError('ERR_INVALID_ENTRY', `entry ${key.slice(0, 8)}…@${address.block}.${address.index} cannot be decoded: ${read.error.message}`,
        { feed: key, address, cause: read.error })
    }
    return { key, address: { block: address.block, index: address.index }, value: read.value as T }
  }

  /**
   * Resolves when the named views (default: all) have indexed every entry known
   * now. Rejects with ERR_VIEW_FAILED if one of them is or goes in error.
   */
  async indexed (names?: string[]): Promise<void> {
    this.assertOpen('indexed')
    const hosts = this.pick(names)
    await this.ready()
    await Promise.all(hosts.map((h) => h.indexed()))
  }

  /** Stops indexing the named views (default: all); their api keeps answering from what is indexed. */
  pause (names?: string[]): void {
    this.assertOpen('pause')
    for (const h of this.pick(names)) h.pause()
  }

  /** Resumes the named views (default: all); a view in error retries the batch that failed. */
  resume (names?: string[]): void {
    this.assertOpen('resume')
    for (const h of this.pick(names)) h.resume()
  }

  /** State, progress and error of each view. */
  status (): Record<string, ViewStatus> {
    const out: Record<string, ViewStatus> = {}
    for (const [name, h] of this.hosts) {
      const p = h.index.progress()
      out[name] = { state: h.state, indexed: p.indexed, total: p.total, blocks: p.blocks, skipped: p.skipped, error: h.error }
    }
    return out
  }

  /** What view `name` could not index and why (feed, block, index, code, reason), in feed then log order. */
  async skipped (name: string, feedKey?: string): Promise<SkippedEntry[]> {
    this.assertOpen('skipped')
    const [host] = this.pick([name])
    await this.ready()
    return await (host as ViewHost).index.skipped(feedKey)
  }

  /** The ViewContext of a view (what its api functions receive). */
  context (name: string): ViewContext {
    const h = this.hosts.get(name)
    if (h === undefined) throw unknownViewError(name)
    return h.ctx
  }

  /** A replication stream: pipe it to a peer's (`a.pipe(b).pipe(a)`) or pass a connection. */
  replicate (isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex {
    this.assertOpen('replicate')
    return this.network.replicate(isInitiator, opts)
  }

  /**
   * Resolves once this peer holds everything its connected peers hold (piped streams and
   * the connections of attached transports alike, e.g. @kappa-ts/swarm's: each is asked
   * what it has now, so an append a peer made before the call is covered) and every view
   * has indexed it. `opts.peers`: first wait for that many verified peers (e.g. 1 right
   * after joining a swarm). A peer that disconnects
   * meanwhile stops counting. Rejects with ERR_VIEW_FAILED if a view fails, ERR_CLOSED on
   * close(), `signal.reason` on abort.
   */
  async synced (opts: SyncedOptions = {}): Promise<void> {
    this.assertOpen('synced')
    await this.ready()
    await this.network.synced(opts, () => this.indexed())
  }

  /**
   * Attaches a transport that brings connections besides replicate() (@kappa-ts/swarm's
   * join() attaches its KappaSwarm): synced() asks its connections' status channels too,
   * and close() closes it before anything else. Returns the detach function (a transport
   * that closes on its own calls it). ERR_CLOSED after close().
   */
  attach (transport: KappaTransport): () => void {
    this.assertOpen('attach')
    return this.network.attach(transport)
  }

  /**
   * close() (ReadyResource's: once, after an open in progress): the reverse of what was
   * opened. The attached transports and the replication streams, then the writers (after their appends
   * land), the views, the logs and (if kappa opened it) the db.
   */
  protected override async _close (): Promise<void> {
    await this.network.close().catch(() => {})
    const writers = await Promise.allSettled([...this.writers.values()])
    await Promise.all(writers.map((w) => (w.status === 'fulfilled' ? w.value.close() : undefined)))
    await this.release()
  }

  private async release (): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close().catch(() => {})))
    // the views are done: nothing more will be indexed, live queries end
    this.closeController.abort()
    await this.multifeed.close()
    if (this.ownsDb) {
      await flushViewsLog(this.db)
      await this.db.close()
    }
  }

  private pick (names: string[] | undefined): ViewHost[] {
    if (names === undefined) return [...this.hosts.values()]
    return names.map((n) => {
      const h = this.hosts.get(n)
      if (h === undefined) throw unknownViewError(n)
      return h
    })
  }

  private assertOpen (what: string): void {
    if (this.closing !== null) throw closedError(what)
  }
}

function checkView (name: string, view: AnyView): void {
  assertViewName(name)
  if (view === null || typeof view !== 'object' || typeof view.map !== 'function') {
    throw new KappaError('ERR_INVALID_VIEW', `view "${name}" must be an object with a map() function`, { view: name })
  }
  if (view.onError !== undefined && view.onError !== 'stop' && view.onError !== 'skip') {
    throw new KappaError('ERR_INVALID_VIEW', `view "${name}": onError must be 'stop' or 'skip'`, { view: name })
  }
  for (const hook of ['filter', 'reset', 'indexed'] as const) {
    if (view[hook] !== undefined && typeof view[hook] !== 'function') {
      throw new KappaError('ERR_INVALID_VIEW', `view "${name}": ${hook} must be a function`, { view: name })
    }
  }
  if (view.api !== undefined && (view.api === null || typeof view.api !== 'object' || Object.values(view.api).some((f) => typeof f !== 'function'))) {
    throw new KappaError('ERR_INVALID_VIEW', `view "${name}": api must be an object of functions`, { view: name })
  }
}

/**
 * The events of a Kappa, typed: `kappa.on(name, listener)` checks the name and the listener's
 * arguments. A swarm's events (peers, sync progress) are on the swarm: @kappa-ts/swarm's KappaSwarm.
 */
export interface KappaEvents {
  /** A view's index state changed. */
  state: (name: string, state: IndexState) => void
  /** A view's progress: at most every 100 ms while it indexes, and when it stops. */
  progress: (name: string, progress: IndexProgress) => void
  /** A view committed a batch of entries (what its live notifications come from). */
  indexed: (name: string, entries: Entry[]) => void
  /** A view failed (its map threw: ERR_VIEW_FAILED) or one of its hooks threw. */
  'view-error': (name: string, err: KappaError) => void
  /** A view could not index an entry or a block; recorded (kappa.skipped(name)). */
  skip: (name: string, skip: SkippedEntry) => void
  /** A feed joined the set (local, remote, or reopened by ready()). */
  feed: (feed: Feed, info: FeedInfo) => void
  /** A replication peer (piped stream or a transport's connection) was dropped: hostile or incompatible. */
  'peer-error': (err: MultifeedError, peer: MultifeedPeer) => void
  /** ready() finished: the logs, the db and the views used so far are open. */
  ready: () => void
  /** close() finished: everything kappa opened is closed. */
  close: () => void
}
