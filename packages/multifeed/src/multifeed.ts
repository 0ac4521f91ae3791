// A set of hypercores, one per author (plus any number of named local writers),
// held in one Corestore, persisted, and replicated as a set.
//
// Feeds are opened lazily. ready() loads the feed list and every feed's lengths
// from a snapshot (feed-snapshot.ts) without opening a single hypercore; a feed is
// opened (through _openFeed, the one place) when something needs it: a writer,
// an index with work for it, a read (get/hold), a peer that is ahead of us on it
// (sync-queue.ts), or a peer that asks for it (serve). A feed nobody holds is
// closed again after `idleTimeout`, and at most `maxIdleFeeds` unheld feeds stay
// open, so what an idle feed costs is a few hundred bytes of list entry.
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import Corestore from 'corestore'
import Hypercore from 'hypercore'
import { TypedResource } from './typed-resource.js'
import { MultifeedError } from './errors.js'
import { FeedLog } from './feed-log.js'
import { newSnapshotId, type Snapshot } from './feed-snapshot.js'
import { readLengths } from './feed-lengths.js'
import { blockEncryptionKey, parseKey, requireKey, toHex } from './keys.js'
import { PeerConnection, type PeerHost } from './peer.js'
import { VALUE_ENCODINGS, type ValueEncoding } from './entry-encoding.js'
import { BLOCK_FORMAT } from './block-format.js'
import { Admission, coreStorageOf, deleteStoredCore, forbiddenFeedKey } from './admission.js'
import { FeedDigest, bucketOf, feedHash, type Digest, type FeedHash } from './digest.js'
import { SyncQueue, isAhead } from './sync-queue.js'
import type { FeedState } from './wire.js'
import { bulkSized, encodeProofs, feedProofs, type EncodedFeedProofs, type FeedProofs } from './bulk-proof.js'
import { BulkCache } from './bulk-cache.js'

/** Feeds opened at once to answer or apply a bulk message. */
const BULK_PARALLEL = 64

/** A feed: one author's hypercore. Its blocks are raw bytes in the packed format (block-format.ts). */
export type Feed = Hypercore<unknown>
export interface FeedInfo { key: string /* hex */; local: boolean; name?: string }
export type { ValueEncoding, FeedState }
export interface AcceptInfo { remotePublicKey: string | null }
/** A feed's lengths here: known for every feed of the set, open or not. */
export interface FeedLengths { fork: number; length: number; contiguousLength: number }

export interface MultifeedOptions {
  /** 32 bytes or 64 hex chars; random on first open if absent; persisted. */
  key?: Uint8Array | string
  /** Encoding of every entry's value inside the packed blocks. Default 'json'. */
  valueEncoding?: ValueEncoding
  /** Decides which feeds announced by peers to replicate. Default: all. */
  accept?: (feedKey: string, info: AcceptInfo) => boolean | Promise<boolean>
  /** Total feeds we will track; a peer pushing us past it is dropped. Default 10_000. */
  maxFeeds?: number
  /** Feed entries one message may carry (both directions). Default 1024. */
  maxFeedsPerMessage?: number
  /** Feeds announced by one peer that are checked for data at the same time (see README, admission). Default 64. */
  maxPendingPerPeer?: number
  /** Milliseconds an announced feed may go without a peer serving its signed length before it is forgotten. Default 20_000. */
  proveTimeout?: number
  /** Milliseconds a connection may take to prove the key before it is dropped (ERR_HANDSHAKE_TIMEOUT). Default 10_000. */
  handshakeTimeout?: number
  /** Largest transport frame a connection may announce before it proved the key (ERR_FRAME_TOO_LARGE). Default 256 KiB. */
  maxFrameBeforeProof?: number
  /**
   * RocksDB write buffer of a Corestore we open from a path (not of one you pass in).
   * Default 16 MiB: RocksDB's 64 MiB default, kept twice, was most of the memory
   * of a 1,000,000-entry import and made reopening replay a larger log.
   */
  writeBufferSize?: number
  /** Known feeds fetched from peers at the same time; the others wait their turn. Default 128. */
  maxSyncing?: number
  /** Milliseconds a feed being fetched may go without receiving anything before its turn ends. Default 20_000. */
  syncStallTimeout?: number
  /** Feeds one connection may have us open at once by asking for them. Default 1024. */
  maxServing?: number
  /** Milliseconds an open feed that nothing holds stays open. Default 3_000. */
  idleTimeout?: number
  /** Open feeds that nothing holds kept at most (the least recently used close first). Default 256. */
  maxIdleFeeds?: number
}

export interface MultifeedPeer {
  remotePublicKey: string | null
  stream: Duplex
}

/** What one connected peer told us of its feeds (see remoteFeeds()). */
export interface RemoteFeeds {
  /** The peer finished telling us what it had when it connected. */
  readonly settled: boolean
  /** The last state the peer told us of each feed it told us of (feeds it holds as we do at connection time are left out). */
  readonly feeds: ReadonlyMap<string, FeedState>
  /** How many of our feeds the peer is not known to hold as much of as we do (0: it has all we have). */
  behind(): number
}

/** Typed listeners for the multifeed's events (on/once/off). */
export interface MultifeedEvents {
  /** Once per feed when it joins the set: a new local writer, or a feed admitted from a peer. It is open then. */
  feed: (feed: Feed, info: FeedInfo) => void
  /** A known feed was opened (it joined the set, or it was opened again after being closed). */
  'feed-open': (feed: Feed, info: FeedInfo) => void
  /** A feed is about to be closed because nothing holds it any more. */
  'feed-close': (feed: Feed, info: FeedInfo) => void
  /** Lengths of these feeds changed (once per event-loop turn at most). */
  lengths: (keys: string[]) => void
  /** A peer proved it knows the key; feeds now flow on its connection. */
  'peer-add': (peer: MultifeedPeer) => void
  /** A verified peer finished telling us what it had when it connected. */
  'peer-settled': (peer: MultifeedPeer) => void
  /** A peer told us the state of these feeds (see remoteFeeds()). */
  'remote-feeds': (peer: MultifeedPeer, keys: string[]) => void
  /** A connection that had been added ended. */
  'peer-remove': (peer: MultifeedPeer) => void
  /** A hostile or incompatible peer was dropped. Never an 'error' event. */
  'peer-error': (err: MultifeedError, peer: MultifeedPeer) => void
  /** ready() finished: the key and the feed list are loaded (ReadyResource). */
  ready: () => void
  /** close() finished: every feed, the log and (if it opened it) the Corestore are closed. */
  close: () => void
}

const NAMESPACE = '@kappa-ts/multifeed'
const META_NAME = 'meta'
const WRITER_PREFIX = 'writer/'
const MAX_NAME_LENGTH = 256
/**
 * The storage layout version, kept in the feed list's first record. 2: feeds hold
 * packed blocks (block-format.ts). Storage of another version is refused, never misread.
 */
export const STORAGE_VERSION = 2
// Feeds hold raw bytes: entries are packed and decoded by block-format.ts, not by hypercore.
const FEED_ENCODING = 'binary'
const DEFAULT_WRITE_BUFFER_SIZE = 16 * 1024 * 1024
/**
 * How long hypercore keeps a core's replication channels after nothing wants data
 * from them (its default is 20-40 s). A synced feed is closed on both sides soon
 * after, so a peer fetching thousands of feeds does not keep them all open. A feed
 * we serve holds one of the connection's `maxServing` slots until its channel
 * closes, so one connection is served at most maxServing / (fetch + linger) feeds
 * a second: at 2 s, 1,024 slots capped a fresh peer at about 450 feeds/s and made
 * it wait (10,000 feeds: 28.6 s; 19.3 s at 1 s, where the CPU binds instead).
 */
const CHANNEL_LINGER_MS = 1000
/** Most missing blocks of an open remote feed asked for one by one (more: one live range). See _fetchMissing. */
const BLOCKS_BY_INDEX = 64

/** One feed of the set, open or not. Kept small: there may be many. */
interface Known {
  readonly key: string
  readonly local: boolean
  readonly name: string | undefined
  readonly discoveryKey: Uint8Array
  feed: Feed | null
  opening: Promise<Feed> | null
  /** Reasons to stay open (writer, sync, index, serve, read). */
  holds: number
  /** Last known lengths (live while open). */
  fork: number
  length: number
  contiguousLength: number
  /** The feed's share of the digest, for its lengths above (null: not in it). */
  hash: FeedHash | null
  /** A sync is fetching it: it wants data. */
  syncing: boolean
  /** writer() opened it in this session: peers always hear of it (their list of what we write). */
  writing: boolean
  /** Blocks below this were asked for in this session (see _fetchMissing). */
  fetchedTo: number
  detach: (() => void) | null
}

/**
 * The lifecycle is Holepunch's ReadyResource, as hypercore's and corestore's: ready() opens
 * once (every call shares it), close() once (waiting for an open in progress); `opening`,
 * `opened`, `closing`, `closed` tell where it is. Calls after close() fail with ERR_CLOSED.
 */
export class Multifeed extends TypedResource<MultifeedEvents> {
  readonly corestore: Corestore
  readonly maxFeeds: number
  readonly maxFeedsPerMessage: number
  readonly handshakeTimeout: number
  readonly maxFrameBeforeProof: number
  readonly maxServing: number
  readonly idleTimeout: number
  readonly maxIdleFeeds: number
  readonly valueEncoding: ValueEncoding

  private readonly _ownsStore: boolean
  private readonly _store: Corestore
  private readonly _givenKey: Buffer | null
  private readonly _accept: NonNullable<MultifeedOptions['accept']>
  private _key: Buffer | null = null
  private _discoveryKey: Buffer | null = null
  /** Encrypts every feed's blocks (see _openFeed), derived from the multifeed key. */
  private _blockKey: Buffer | null = null
  private _log: FeedLog | null = null
  /** Encoded bulk proofs of small whole feeds, in the feed-list core's user data (bulk-cache.ts). */
  private _bulkCache: BulkCache | null = null
  /** Cache fills running (by feed key); a key in _refill runs again when its fill ends. */
  private readonly _fills = new Map<string, Promise<void>>()
  private readonly _refill = new Set<string>()
  /** No more fills: close() is closing the feeds. */
  private _fillsStopped = false
  private _metaKey: string | null = null
  /** Records of the feed list read or written (what a snapshot covers). */
  private _metaLength = 0
  /** Every feed of the set, in the order added. */
  private readonly _known = new Map<string, Known>()
  /** Known feeds by discovery key (hex), built when a peer first asks for a feed by it: reopening hexes none. */
  private _byDiscoveryKey: Map<string, Known> | null = null
  private readonly _byName = new Map<string, Known>()
  /** Open feeds, in the order opened. */
  private readonly _openSet = new Set<Known>()
  /** Open feeds nothing holds, least recently released first, with when. */
  private readonly _idle = new Map<Known, number>()
  private _idleTimer: NodeJS.Timeout | null = null
  private readonly _closingFeeds = new Set<Promise<void>>()
  /** Feeds being added (persisted + opened) right now, so two peers can't add one twice. */
  private readonly _adding = new Map<string, Promise<Feed | null>>()
  /**
   * Keys whose bulk proofs are being applied (one peer's at a time, see _bulkAdmit), each
   * with the promise of that work. Proofs of different lengths do not apply over each other.
   */
  private readonly _bulking = new Map<string, Promise<void>>()
  private readonly _writers = new Map<string, Promise<Feed>>()
  private readonly _peers = new Set<PeerConnection>()
  private readonly _admission: Admission
  private readonly _sync: SyncQueue
  private _digest: FeedDigest | null = null
  /** Sums of every known feed's lengths. */
  private readonly _totals = { length: 0, contiguousLength: 0 }
  /** Feeds whose lengths may have changed, looked at once per turn. */
  private readonly _dirty = new Set<Known>()
  private _flushScheduled = false
  /** Streams that already carry our meta channel (replicate() twice on one stream is a no-op). */
  private readonly _streams = new WeakSet<object>()

  constructor (storage: string | Corestore, opts: MultifeedOptions = {}) {
    super()
    this._givenKey = opts.key === undefined ? null : requireKey(opts.key, 'opts.key')
    const enc = opts.valueEncoding ?? 'json'
    if (!VALUE_ENCODINGS.includes(enc)) {
      throw new MultifeedError('ERR_BAD_OPTION', `valueEncoding must be one of ${VALUE_ENCODINGS.join(', ')}`)
    }
    this.valueEncoding = enc
    this.maxFeeds = positiveInt(opts.maxFeeds, 10_000, 'maxFeeds')
    this.maxFeedsPerMessage = positiveInt(opts.maxFeedsPerMessage, 1024, 'maxFeedsPerMessage')
    this.handshakeTimeout = positiveInt(opts.handshakeTimeout, 10_000, 'handshakeTimeout')
    this.maxFrameBeforeProof = positiveInt(opts.maxFrameBeforeProof, 256 * 1024, 'maxFrameBeforeProof')
    this.maxServing = positiveInt(opts.maxServing, 1024, 'maxServing')
    this.idleTimeout = positiveInt(opts.idleTimeout, 3000, 'idleTimeout')
    this.maxIdleFeeds = nonNegativeInt(opts.maxIdleFeeds, 256, 'maxIdleFeeds')
    this._admission = new Admission(this._admissionHost(), {
      maxPendingPerPeer: positiveInt(opts.maxPendingPerPeer, 64, 'maxPendingPerPeer'),
      maxQueuedPerPeer: this.maxFeeds,
      proveTimeout: positiveInt(opts.proveTimeout, 20_000, 'proveTimeout')
    })
    this._sync = new SyncQueue(this._syncHost(), positiveInt(opts.maxSyncing, 128, 'maxSyncing'),
      positiveInt(opts.syncStallTimeout, 20_000, 'syncStallTimeout'))
    if (opts.accept !== undefined && typeof opts.accept !== 'function') {
      throw new MultifeedError('ERR_BAD_OPTION', 'accept must be a function')
    }
    this._accept = opts.accept ?? (() => true)
    const writeBufferSize = positiveInt(opts.writeBufferSize, DEFAULT_WRITE_BUFFER_SIZE, 'writeBufferSize')
    if (typeof storage === 'string') {
      this.corestore = new Corestore(Hypercore.defaultStorage(storage, { writeBufferSize }))
      this._ownsStore = true
    } else if (storage !== null && typeof storage === 'object' && typeof storage.get === 'function') {
      this.corestore = storage
      this._ownsStore = false
    } else {
      throw new MultifeedError('ERR_BAD_OPTION', 'storage must be a directory path or a Corestore')
    }
    // Our own namespace keeps writer names and the feed log apart from other
    // users of a shared Corestore. Use corestore.namespace(x) to hold several multifeeds.
    // It is inactive: Corestore would otherwise offer every open core (by
    // discovery key) on every stream at once; we attach feeds to a connection
    // ourselves, only after the peer proved it knows the multifeed key.
    this._store = this.corestore.namespace(NAMESPACE, { active: false })
  }

  /**
   * The key of the local writer `name` of the multifeed stored at `storage`, without
   * opening the multifeed (its key may not be chosen yet: an app can make its key depend
   * on its first writer, as record-db makes the creator's writer the root). The writer
   * core is created if it does not exist; the same key comes back after a restart.
   */
  static async localWriterKey (storage: string, name = 'default'): Promise<string> {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new MultifeedError('ERR_BAD_NAME', `writer name must be a string of 1..${MAX_NAME_LENGTH} characters`)
    }
    const store = new Corestore(Hypercore.defaultStorage(storage, { writeBufferSize: 1024 * 1024 }))
    try {
      const core = store.namespace(NAMESPACE, { active: false }).get({ name: WRITER_PREFIX + name, active: false })
      await core.ready()
      return toHex(core.key as Buffer)
    } finally {
      await store.close()
    }
  }

  /** The multifeed key: the set's identity and the secret peers must prove they know. */
  get key (): Buffer {
    if (this._key === null) throw new MultifeedError('ERR_NOT_READY', 'key is known only after ready()')
    return this._key
  }

  get discoveryKey (): Buffer {
    if (this._discoveryKey === null) throw new MultifeedError('ERR_NOT_READY', 'discoveryKey is known only after ready()')
    return this._discoveryKey
  }

  /** Peers whose proof verified and whose connection is still open. */
  get peers (): MultifeedPeer[] {
    return [...this._peers].filter((p) => p.active).map((p) => p.publicInfo)
  }

  /** Known feeds fetched from peers right now, and waiting for their turn. */
  get syncing (): { active: number; waiting: number } {
    return { active: this._sync.syncing, waiting: this._sync.waiting }
  }

  /** Loads the key, the feed list and its lengths (no feed is opened); shared by every caller. ERR_CLOSED after close(). */
  override ready (): Promise<void> {
    if (this.closing !== null) return Promise.reject(new MultifeedError('ERR_CLOSED', 'multifeed is closed'))
    return super.ready()
  }

  protected override async _open (): Promise<void> {
    try {
      await this._load()
    } catch (err) {
      // ReadyResource does not call _close() after a failed open: release what was opened here
      await this._close().catch(() => {})
      throw err
    }
  }

  private async _load (): Promise<void> {
    const meta = this._store.get({ name: META_NAME, valueEncoding: 'json', active: false })
    const log = new FeedLog(meta)
    this._log = log
    await log.ready()
    this._bulkCache = new BulkCache(meta)
    this._metaKey = toHex(meta.key as Buffer)
    const head = await log.head()
    let key: Buffer
    if (head.key !== null) {
      if (head.version !== STORAGE_VERSION || head.format !== BLOCK_FORMAT) {
        throw new MultifeedError('ERR_FORMAT_VERSION',
          `this storage was written in layout v${head.version} (block format ${head.format ?? 'one entry per block'}); ` +
          `this version reads layout v${STORAGE_VERSION} (block format ${BLOCK_FORMAT}) and does not migrate: open it with the version that wrote it`)
      }
      key = requireKey(head.key, 'stored key')
      if (this._givenKey !== null && !this._givenKey.equals(key)) {
        throw new MultifeedError('ERR_KEY_MISMATCH', `storage holds multifeed ${head.key}, not ${toHex(this._givenKey)}`)
      }
    } else {
      key = this._givenKey ?? randomBytes(32)
      await log.append([{ type: 'multifeed', version: STORAGE_VERSION, format: BLOCK_FORMAT, key: toHex(key) }])
    }
    this._key = key
    this._discoveryKey = Hypercore.discoveryKey(key)
    this._blockKey = blockEncryptionKey(key)
    await this._loadFeeds(log)
  }

  /**
   * Knows every feed of the list with its lengths, opening none: from the snapshot
   * (and the records after it), lengths from it after a clean close, else from storage.
   */
  private async _loadFeeds (log: FeedLog): Promise<void> {
    const { snapshot, clean } = await log.takeSnapshot()
    const covered = snapshot !== null && snapshot.metaLength <= log.length ? snapshot : null
    const unknown: Known[] = []
    if (covered !== null) {
      for (const f of covered.feeds) {
        const k = this._know(f.key, f.local, f.name, f.discoveryKey)
        if (k === null) continue
        if (clean && f.lengths !== null) this._setLengths(k, f.lengths)
        else unknown.push(k)
      }
    }
    // Records the snapshot does not cover (all of them without one); a feed listed
    // twice (crash between writes of two peers' announcements) is known once.
    for (const rec of await log.feeds(covered?.metaLength ?? 1)) {
      const k = this._know(rec.key, rec.local, rec.local ? rec.name : undefined, null)
      if (k !== null) unknown.push(k)
    }
    this._metaLength = log.length
    if (unknown.length === 0) return
    const lengths = await readLengths(this.corestore, unknown.map((k) => k.discoveryKey))
    if (lengths !== null) {
      unknown.forEach((k, i) => this._setLengths(k, lengths[i] as FeedLengths))
      return
    }
    // A storage that cannot tell: open each feed once to learn its lengths.
    for (const k of unknown) {
      k.holds++
      try {
        const feed = await this._activate(k)
        this._setLengths(k, { fork: feed.fork, length: feed.length, contiguousLength: feed.contiguousLength })
      } finally {
        this._releaseKnown(k)
      }
    }
  }

  /** Adds a feed of the list to the known set (null if already known); `name` for a local one. */
  private _know (key: string, local: boolean, name: string | undefined, discoveryKey: Uint8Array | null): Known | null {
    if (this._known.has(key)) return null
    const k: Known = {
      key,
      local,
      name: local ? name : undefined,
      discoveryKey: discoveryKey ?? Hypercore.discoveryKey(Buffer.from(key, 'hex')),
      feed: null,
      opening: null,
      holds: 0,
      fork: 0,
      length: 0,
      contiguousLength: 0,
      hash: null,
      syncing: false,
      writing: false,
      fetchedTo: 0,
      detach: null
    }
    this._known.set(k.key, k)
    this._byDiscoveryKey?.set(toHex(k.discoveryKey), k)
    if (k.name !== undefined && !this._byName.has(k.name)) this._byName.set(k.name, k)
    return k
  }

  private _discoveryKeys (): Map<string, Known> {
    if (this._byDiscoveryKey === null) {
      this._byDiscoveryKey = new Map()
      for (const k of this._known.values()) this._byDiscoveryKey.set(toHex(k.discoveryKey), k)
    }
    return this._byDiscoveryKey
  }

  /** This peer's own feed for `name`: created once, the same one after a restart. */
  async writer (name = 'default'): Promise<Feed> {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new MultifeedError('ERR_BAD_NAME', `writer name must be a string of 1..${MAX_NAME_LENGTH} characters`)
    }
    await this.ready()
    this._checkOpen()
    let pending = this._writers.get(name)
    if (pending === undefined) {
      pending = this._openWriter(name)
      this._writers.set(name, pending)
      pending.catch(() => this._writers.delete(name))
    }
    return pending
  }

  /** A writer stays open (held) until close(). */
  private async _openWriter (name: string): Promise<Feed> {
    const known = this._byName.get(name)
    if (known !== undefined) {
      known.holds++
      known.writing = true
      try {
        return await this._activate(known)
      } catch (err) {
        this._releaseKnown(known)
        throw err
      }
    }
    const feed = this._openFeed({ name })
    await feed.ready()
    const key = toHex(feed.key as Buffer)
    const same = this._known.get(key)
    if (same !== undefined) {
      same.holds++
      same.writing = true
      if (same.feed === null && same.opening === null) {
        this._adopt(same, feed)
        return feed
      }
      await feed.close()
      return await this._activate(same)
    }
    this._checkOpen()
    // Persist before exposing: a feed the app has seen is never forgotten.
    await this._logOrThrow().append([{ type: 'feed', key, local: true, name }])
    this._metaLength++
    const k = this._know(key, true, name, feed.discoveryKey as Buffer) as Known
    this._setLengths(k, { fork: feed.fork, length: feed.length, contiguousLength: feed.contiguousLength })
    k.holds++
    k.writing = true
    this._adopt(k, feed)
    this.emit('feed', feed, infoOf(k))
    return feed
  }

  /** Keys of every feed of the set (open or not), in the order added. */
  keys (): string[] {
    return [...this._known.keys()]
  }

  /** How many feeds the set holds. */
  get size (): number { return this._known.size }

  /** Blocks in every feed of the set, and blocks held here from each one's start (kept current, no feed opened). */
  totals (): { feeds: number; length: number; contiguousLength: number } {
    // an open feed can show a new length a moment before its event: read them all now
    for (const k of this._openSet) this._dirty.add(k)
    this._flushChanges()
    return { feeds: this._known.size, ...this._totals }
  }

  /** Whether `key` is a feed of the set. */
  has (key: string | Uint8Array): boolean {
    const parsed = parseKey(key)
    return parsed !== null && this._known.has(toHex(parsed))
  }

  /** The feeds open now (see get()/hold() to open one), in the order opened. */
  feeds (): Feed[] {
    const out: Feed[] = []
    for (const k of this._openSet) if (k.feed !== null) out.push(k.feed)
    return out
  }

  /** The feed with this key if it is open now; undefined otherwise (see get()). */
  feed (key: string | Uint8Array): Feed | undefined {
    return this._lookup(key)?.feed ?? undefined
  }

  /** Info about a known feed (local or remote, writer name), open or not. */
  feedInfo (key: string | Uint8Array): FeedInfo | undefined {
    const k = this._lookup(key)
    return k === undefined ? undefined : infoOf(k)
  }

  /** A known feed's lengths here, open or not (live while it is open). */
  lengths (key: string | Uint8Array): FeedLengths | undefined {
    const k = this._lookup(key)
    return k === undefined ? undefined : this._liveLengths(k)
  }

  /**
   * The feed with this key, opened if it is not (undefined if it is not a feed of
   * the set). It stays open at least `idleTimeout` ms after the call; hold() it
   * to keep it open longer.
   */
  async get (key: string | Uint8Array): Promise<Feed | undefined> {
    const k = this._lookup(key)
    if (k === undefined) return undefined
    k.holds++
    try {
      return await this._activate(k)
    } finally {
      this._releaseKnown(k)
    }
  }

  /** Opens the feed if needed and keeps it open until the matching release(). Undefined if it is not a feed of the set. */
  async hold (key: string | Uint8Array): Promise<Feed | undefined> {
    const k = this._lookup(key)
    if (k === undefined) return undefined
    this._checkOpen()
    k.holds++
    try {
      return await this._activate(k)
    } catch (err) {
      this._releaseKnown(k)
      throw err
    }
  }

  /** Ends one hold(): a feed nothing holds is closed after `idleTimeout`. */
  release (key: string | Uint8Array): void {
    const k = this._lookup(key)
    if (k !== undefined && k.holds > 0) this._releaseKnown(k)
  }

  /** What a connected peer (by its replication stream) told us of its feeds, or undefined for an unknown or unverified stream. */
  remoteFeeds (stream: Duplex): RemoteFeeds | undefined {
    for (const p of this._peers) {
      if (p.stream === stream || p.noise === (stream as unknown as { noiseStream?: unknown }).noiseStream) {
        return p.verified ? { settled: p.settled, feeds: p.heard(), behind: () => p.behind() } : undefined
      }
    }
    return undefined
  }

  /** Sends peers the lengths that changed and have not gone out yet (they go out once per turn anyway). */
  flush (): void {
    this._flushChanges()
  }

  /**
   * A replication stream to pipe to a peer's (or pass the peer connection, e.g. a
   * Hyperswarm socket). Carries the multifeed meta channel, and the channel of each
   * feed either side needs from the other.
   */
  replicate (isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex {
    this._checkOpen()
    // Not Corestore's replicate(): it answers a hypercore channel for ANY core it holds
    // (whatever namespace opened it) to anyone who names its discovery key, which a feed's
    // public key gives. On this stream no core is served but the feeds a PeerConnection
    // attaches, and it attaches them only after the peer proved the multifeed key.
    const stream = Hypercore.createProtocolStream(isInitiator, { ...opts })
    const noise = (stream as Duplex & { noiseStream: object }).noiseStream
    if (this._streams.has(noise)) return stream
    this._streams.add(noise)
    const peer = new PeerConnection(this._host, stream, typeof isInitiator === 'boolean')
    this._peers.add(peer)
    return stream
  }

  /** Stops the peers and the sync queue, then closes the feeds, the feed list (saving its snapshot) and (if it opened it) the Corestore: the reverse of ready(). */
  protected override async _close (): Promise<void> {
    await Promise.allSettled([...this._adding.values()])
    for (const peer of this._peers) peer.close()
    this._sync.close()
    await this._admission.close()
    if (this._idleTimer !== null) clearTimeout(this._idleTimer)
    this._idleTimer = null
    const openings: Array<Promise<unknown>> = []
    for (const k of this._known.values()) if (k.opening !== null) openings.push(k.opening)
    await Promise.allSettled(openings)
    // Lengths not looked at yet (an append just before close()) fill the cache now; fills
    // read their feeds, so they end before the feeds close.
    for (const k of this._dirty) if (k.local) this._readLengths(k)
    while (this._fills.size > 0) await Promise.allSettled([...this._fills.values()])
    this._fillsStopped = true
    const closing: Array<Promise<void>> = [...this._closingFeeds]
    for (const k of [...this._openSet]) {
      const feed = k.feed as Feed
      this._forget(k)
      closing.push(feed.close())
    }
    await Promise.allSettled(closing)
    if (this._log !== null && this._key !== null && this.opened) {
      // every feed is closed: its lengths are final until the next ready() (not after a failed
      // open, which _open closes before ReadyResource sets opened: what it loaded may be partial)
      await this._log.saveSnapshot(this._snapshot()).catch(() => {})
    }
    if (this._bulkCache !== null) await this._bulkCache.flush()
    if (this._log !== null) await this._log.close().catch(() => {})
    await this._store.close()
    if (this._ownsStore) {
      // RocksDB keeps recent writes in its log and replays them at the next open: after
      // writing 1,000 feeds that was a 10 MB log and a reopen of 95 ms instead of 40.
      // Flushing them to tables here moves that work to close.
      if (this.opened) await flushStorage(this.corestore)
      await this.corestore.close()
    }
  }

  private _snapshot (): Snapshot {
    const feeds: Snapshot['feeds'] = []
    for (const k of this._known.values()) {
      feeds.push({
        key: k.key,
        discoveryKey: k.discoveryKey,
        local: k.local,
        ...(k.name !== undefined ? { name: k.name } : {}),
        lengths: { fork: k.fork, length: k.length, contiguousLength: k.contiguousLength }
      })
    }
    return { id: newSnapshotId(), metaLength: this._metaLength, feeds }
  }

  // ---- opening and closing feeds ------------------------------------------

  /** Opens a known feed (once, however many ask at the same time). */
  private _activate (k: Known): Promise<Feed> {
    if (k.feed !== null) return Promise.resolve(k.feed)
    if (k.opening !== null) return k.opening
    const opening = (async (): Promise<Feed> => {
      this._checkOpen()
      // By key, also for our own writers: Corestore keeps a local core's key pair with
      // it (a session by key is writable), and this skips the name lookup and the
      // key pair derivation opening by name costs.
      const feed = this._openFeed({ key: k.key })
      try {
        await feed.ready()
      } catch (err) {
        await feed.close().catch(() => {})
        throw new MultifeedError('ERR_STORAGE', `could not open feed ${k.key}: ${String(err)}`, { cause: err })
      }
      if (this.closing !== null) {
        await feed.close().catch(() => {})
        throw new MultifeedError('ERR_CLOSED', 'multifeed is closed')
      }
      this._adopt(k, feed)
      return feed
    })()
    k.opening = opening
    const done = (): void => { if (k.opening === opening) k.opening = null }
    opening.then(done, done)
    return opening
  }

  /** A session of `k` is now the feed's: follow its lengths, replicate what it lacks, tell listeners. */
  private _adopt (k: Known, feed: Feed): void {
    k.feed = feed
    k.opening = null
    this._openSet.add(k)
    const onchange = (): void => this._changed(k)
    feed.on('append', onchange)
    feed.on('download', onchange)
    feed.on('truncate', onchange)
    k.detach = () => {
      feed.off('append', onchange)
      feed.off('download', onchange)
      feed.off('truncate', onchange)
    }
    if (!k.local) {
      // Remote feeds are replicated whole: while open, keep downloading as they grow.
      k.fetchedTo = 0
      this._fetchMissing(k)
      // Missing blocks: fetch them from whoever has them, not only from a peer that is ahead.
      if (feed.contiguousLength < feed.length) for (const p of this._peers) if (p.active) feed.replicate(p.noise as never)
    }
    this._updateWanting(k)
    this._changed(k)
    if (k.holds === 0) this._markIdle(k)
    this.emit('feed-open', feed, infoOf(k))
  }

  private _releaseKnown (k: Known): void {
    if (k.holds > 0) k.holds--
    if (k.holds === 0 && k.feed !== null) this._markIdle(k)
  }

  private _markIdle (k: Known): void {
    this._idle.delete(k)
    this._idle.set(k, Date.now())
    // over the bound: the least recently used go at once
    while (this._idle.size > this.maxIdleFeeds) {
      const oldest = this._idle.keys().next().value as Known
      this._closeIdle(oldest)
    }
    this._scheduleIdle()
  }

  private _scheduleIdle (): void {
    if (this._idleTimer !== null || this._idle.size === 0 || this.closing !== null) return
    const first = this._idle.values().next().value as number
    const wait = Math.max(10, first + this.idleTimeout - Date.now())
    this._idleTimer = setTimeout(() => {
      this._idleTimer = null
      const now = Date.now()
      for (const [k, since] of this._idle) {
        if (now - since < this.idleTimeout) break
        this._closeIdle(k)
      }
      this._scheduleIdle()
    }, wait)
    this._idleTimer.unref()
  }

  /** Closes a feed nothing holds; it stays known with its lengths. */
  private _closeIdle (k: Known): void {
    this._idle.delete(k)
    const feed = k.feed
    if (feed === null || k.holds > 0 || this.closing !== null) return
    this.emit('feed-close', feed, infoOf(k))
    if (k.holds > 0 || k.feed !== feed) return // a listener took it again
    this._forget(k)
    const closing = feed.close().catch(() => {})
    this._closingFeeds.add(closing)
    closing.finally(() => this._closingFeeds.delete(closing)).catch(() => {})
  }

  /** Drops our session of `k` (the caller closes it), keeping its last lengths. */
  private _forget (k: Known): void {
    const feed = k.feed
    if (feed === null) return
    this._readLengths(k)
    k.detach?.()
    k.detach = null
    k.feed = null
    this._openSet.delete(k)
    this._idle.delete(k)
    this._dirty.delete(k)
  }

  /**
   * A session of one feed of the set: a local writer by name, or any feed by key. The
   * one place feeds are opened (lazily or not, admitted or our own). Every feed's blocks
   * are encrypted (at rest and on the wire) with a key derived from the multifeed key: a
   * peer or a disk holding them without that key learns nothing of their content.
   */
  private _openFeed (which: { name: string } | { key: string }): Feed {
    // Not active: a session wants data only while _updateWanting says so (hypercore
    // keeps a "downloading" core's replication channels open).
    const opts = {
      valueEncoding: FEED_ENCODING,
      encryption: { key: this._blockKeyOrThrow() },
      active: false,
      notDownloadingLinger: CHANNEL_LINGER_MS
    }
    return 'name' in which
      ? this._store.get({ name: WRITER_PREFIX + which.name, ...opts })
      : this._store.get({ key: which.key, ...opts })
  }

  private _blockKeyOrThrow (): Buffer {
    if (this._blockKey === null) throw new MultifeedError('ERR_NOT_READY', 'feeds open only after ready()')
    return this._blockKey
  }

  /**
   * Asks an open remote feed for the blocks it misses up to its length, once each per
   * session; called on open and whenever its length grows, so a remote feed is
   * replicated whole while open. A small gap is asked for block by block: a range
   * request makes hypercore build a skip bitfield of the core (a copy of its bitfield
   * and a quickbit index), which for thousands of feeds of a few blocks each was the
   * largest cost we added to a fresh peer's sync. A larger gap is one live range.
   */
  private _fetchMissing (k: Known): void {
    const feed = k.feed
    if (feed === null || k.local) return
    const to = feed.length
    if (k.fetchedTo > to && k.fetchedTo !== Number.POSITIVE_INFINITY) k.fetchedTo = 0 // truncated: ask again from what we hold
    const from = Math.max(feed.contiguousLength, k.fetchedTo)
    if (to <= from) return
    if (to - from > BLOCKS_BY_INDEX) {
      k.fetchedTo = Number.POSITIVE_INFINITY // the live range follows every later growth too
      feed.download({ start: from, end: -1 })
      return
    }
    k.fetchedTo = to
    const blocks: number[] = []
    for (let i = from; i < to; i++) blocks.push(i)
    feed.download({ blocks })
  }

  /** A feed wants data while a sync fetches it or while it misses blocks of a remote feed. */
  private _updateWanting (k: Known): void {
    const feed = k.feed
    if (feed === null) return
    feed.setActive(k.syncing || (!k.local && feed.contiguousLength < feed.length))
  }

  // ---- lengths, digest, announcements -------------------------------------

  private _changed (k: Known): void {
    this._dirty.add(k)
    if (this._flushScheduled) return
    this._flushScheduled = true
    setImmediate(() => {
      this._flushScheduled = false
      this._flushChanges()
    })
  }

  /** Reads the lengths of feeds that changed; tells the digest, the sync queue, peers and listeners. */
  private _flushChanges (): void {
    if (this._dirty.size === 0) return
    const changed: Known[] = []
    for (const k of this._dirty) if (this._readLengths(k)) changed.push(k)
    this._dirty.clear()
    if (changed.length === 0) return
    const states: FeedState[] = []
    for (const k of changed) {
      this._fetchMissing(k)
      this._updateWanting(k)
      this._sync.changed(k.key)
      if (k.length > 0) states.push(stateOf(k))
    }
    for (const peer of this._peers) peer.update(states)
    this.emit('lengths', changed.map((k) => k.key))
  }

  /** Copies an open feed's lengths into `k` (and the digest); true if they changed. */
  private _readLengths (k: Known): boolean {
    const f = k.feed
    if (f === null) return false
    if (f.fork === k.fork && f.length === k.length && f.contiguousLength === k.contiguousLength) return false
    this._setLengths(k, { fork: f.fork, length: f.length, contiguousLength: f.contiguousLength })
    return true
  }

  private _setLengths (k: Known, l: FeedLengths): void {
    if (this._digest !== null && k.hash !== null) this._digest.remove(k.key, k.hash)
    this._totals.length -= k.length
    this._totals.contiguousLength -= k.contiguousLength
    const wasSmall = bulkSized(k)
    setLengths(k, l)
    if (this._bulkCache !== null) {
      // our writer appended (or a small feed grew) while open: cache its proofs at the new length;
      // a feed past the bulk bound (or truncated) has no bulk proofs: drop its entry
      if (bulkSized(k)) {
        if (k.local) this._scheduleFill(k)
      } else if (wasSmall) this._bulkCache.delete(k.key)
    }
    this._totals.length += k.length
    this._totals.contiguousLength += k.contiguousLength
    k.hash = null
    if (this._digest !== null && k.length > 0) {
      k.hash = feedHash(k.key, k.fork, k.length, k.contiguousLength)
      this._digest.add(k.key, k.hash)
    }
  }

  /** The digest of the feeds with data, built on first use and kept current after. */
  private _digestNow (): Digest {
    this._flushChanges()
    if (this._digest === null) {
      const digest = new FeedDigest()
      for (const k of this._known.values()) {
        if (k.length === 0) continue
        k.hash = feedHash(k.key, k.fork, k.length, k.contiguousLength)
        digest.add(k.key, k.hash)
      }
      this._digest = digest
    }
    return this._digest.snapshot()
  }

  private _statesFor (buckets: number[]): FeedState[] {
    const wanted = new Set(buckets)
    const out: FeedState[] = []
    for (const k of this._known.values()) {
      // the feeds we write now go too, so a peer can list them (a handful, not every feed we ever wrote)
      if (k.length > 0 && (wanted.has(bucketOf(k.key)) || k.writing)) out.push(stateOf(k))
    }
    return out
  }

  // ---- used by PeerConnection -------------------------------------------

  private readonly _host: PeerHost = {
    key: () => this.key,
    ready: () => this.ready(),
    closed: () => this.closing !== null,
    maxFeedsPerMessage: () => this.maxFeedsPerMessage,
    maxHeard: () => this.maxFeeds * 2 + this.maxFeedsPerMessage,
    handshakeTimeout: () => this.handshakeTimeout,
    maxFrameBeforeProof: () => this.maxFrameBeforeProof,
    digest: () => this._digestNow(),
    statesFor: (buckets) => this._statesFor(buckets),
    stateOf: (key) => {
      const k = this._known.get(key)
      return k === undefined || k.length === 0 ? null : stateOf(k)
    },
    // The feed log's own key counts as known, so no peer can get it opened as a feed.
    has: (key) => this._claimed(key) || key === this._metaKey,
    forbidden: (key) => forbiddenFeedKey(key, this.key, this._metaKey),
    accept: (key, info) => this._accept(key, info),
    enqueue: (peer, keys) => {
      // small feeds the peer holds whole come as proofs on this channel (bulk-proof.ts)
      const small: string[] = []
      const rest: string[] = []
      const room = this._admission.limits.maxQueuedPerPeer - peer.bulkWanted.size
      for (const key of keys) {
        const s = peer.heardOf(key)
        const fits = s !== undefined && bulkSized(s)
        if (fits && peer.bulk && small.length < room) small.push(key)
        else rest.push(key)
      }
      if (small.length > 0) peer.wantBulk(small, this._admission.limits.proveTimeout)
      if (rest.length > 0) this._admission.enqueue(peer, rest)
    },
    admitSlow: (peer, keys) => this._admission.enqueue(peer, keys),
    bulkServe: (peer, keys) => this._bulkServe(keys),
    bulkAdmit: (peer, feeds) => this._bulkAdmit(peer, feeds),
    heard: (peer, states) => {
      for (const s of states) if (this._known.has(s.key)) this._sync.heard(s.key, peer)
      if (peer.verified) this.emit('remote-feeds', peer.publicInfo, states.map((s) => s.key))
    },
    serve: (peer, discoveryKey) => this._serve(peer, discoveryKey),
    onPeerAdd: (peer) => this.emit('peer-add', peer.publicInfo),
    onPeerSettled: (peer) => this.emit('peer-settled', peer.publicInfo),
    onPeerRemove: (peer, wasAdded) => {
      this._peers.delete(peer)
      this._admission.leave(peer)
      this._sync.leave(peer)
      for (const key of [...peer.serving]) if (peer.endServe(key)) this.release(key)
      if (wasAdded) this.emit('peer-remove', peer.publicInfo)
    },
    onPeerError: (peer, err) => this.emit('peer-error', err, peer.publicInfo)
  }

  /**
   * A verified peer opened the channel of a feed: if it is one of ours, open it
   * (held while the peer's channel lasts, at most maxServing per connection) and
   * attach it to the connection. Anything else is left unanswered (rejected).
   */
  private async _serve (peer: PeerConnection, discoveryKey: Buffer): Promise<void> {
    const k = this._discoveryKeys().get(toHex(discoveryKey))
    if (k === undefined || this.closing !== null || !peer.active) return
    if (k.feed !== null && !k.feed.closed) {
      // Open already: attaching is enough, the core lives while the channel does.
      k.feed.replicate(peer.noise as never)
      return
    }
    // Past maxServing the remote's channel waits (it stays pending in Protomux) until one ends.
    if (!(await peer.takeServeSlot(k.key, this.maxServing))) return
    let feed: Feed | undefined
    try {
      feed = await this.hold(k.key)
    } catch {
      peer.endServe(k.key)
      return
    }
    if (feed === undefined) {
      peer.endServe(k.key)
      return
    }
    const noise = peer.noise as unknown
    const served = feed
    const onremove = (p: Hypercore.Peer): void => {
      if ((p as unknown as { stream?: unknown }).stream !== noise) return
      served.off('peer-remove', onremove)
      if (peer.endServe(k.key)) this.release(k.key)
    }
    served.on('peer-remove', onremove)
    if (!peer.active) {
      served.off('peer-remove', onremove)
      if (peer.endServe(k.key)) this.release(k.key)
      return
    }
    // last, with nothing awaited after it: Protomux pairs the remote's channel once this returns
    served.replicate(peer.noise as never)
  }

  /**
   * The proofs of each asked feed that is ours, whole and small (others: no proofs): from
   * the bulk proof cache while the feed is at the (fork, length) they prove, which opens
   * no hypercore; else made from the opened feed, and cached.
   */
  private async _bulkServe (keys: string[]): Promise<EncodedFeedProofs[]> {
    const out: EncodedFeedProofs[] = []
    const none = (key: string): EncodedFeedProofs => ({ key, encoded: [] })
    // as many open at once as one connection may have served (maxServing)
    const parallel = Math.min(BULK_PARALLEL, this.maxServing)
    for (let first = 0; first < keys.length; first += parallel) {
      out.push(...await Promise.all(keys.slice(first, first + parallel).map(async (key): Promise<EncodedFeedProofs> => {
        const k = this._known.get(key)
        if (k === undefined || !bulkSized(this._liveLengths(k)) || this.closing !== null || this._bulkCache === null) return none(key)
        const cached = await this._bulkCache.get(key)
        // Lengths read after the cache: an entry of another length is stale and never served.
        // (An append after this check is fine: the proofs stay one consistent signed length.)
        const now = this._liveLengths(k)
        if (cached !== null && cached.fork === now.fork && cached.length === now.length && bulkSized(now)) return { key, encoded: cached.encoded }
        if (!bulkSized(now) || this.closing !== null) return none(key)
        const feed = await this.hold(key)
        if (feed === undefined) return none(key)
        try {
          const proofs = await feedProofs(feed)
          if (proofs === null) return none(key)
          const encoded = encodeProofs(proofs)
          if (this.closing === null) this._bulkCache.put(key, { fork: 0, length: proofs.length, encoded })
          return { key, encoded }
        } finally {
          this.release(key)
        }
      })))
    }
    return out
  }

  /** A feed's lengths now (a copy): the open core's (Known's lag a turn behind an append), else Known's. */
  private _liveLengths (k: Known): FeedLengths {
    const l = k.feed ?? k
    return { fork: l.fork, length: l.length, contiguousLength: l.contiguousLength }
  }

  /**
   * Stores the bulk proofs of an open small whole feed in the cache, off the path of
   * whatever changed it (an append, a bulk arrival: the fill runs a turn later), holding
   * the feed open until then. One fill per feed at a time, run again if asked meanwhile.
   * Opens nothing (a closed feed is filled when next served); never throws (a failed fill
   * is a miss later).
   */
  private _scheduleFill (k: Known): void {
    if (this._bulkCache === null || this._fillsStopped || k.feed === null) return
    if (this._fills.has(k.key)) {
      this._refill.add(k.key)
      return
    }
    k.holds++
    const fill = this._fill(k).catch(noop).finally(() => {
      this._fills.delete(k.key)
      if (this._refill.delete(k.key)) this._scheduleFill(k) // before the release: it holds the feed on
      this._releaseKnown(k)
    })
    this._fills.set(k.key, fill)
  }

  private async _fill (k: Known): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve))
    const feed = k.feed
    const cache = this._bulkCache
    if (feed === null || cache === null || this._fillsStopped || !bulkSized(this._liveLengths(k))) return
    const proofs = await feedProofs(feed)
    // proofs of a length the feed has moved past would be a stale entry: its change fills again
    if (proofs === null || this._fillsStopped || feed.length !== proofs.length || feed.fork !== 0) return
    cache.put(k.key, { fork: 0, length: proofs.length, encoded: encodeProofs(proofs) })
  }

  /** A key that is a feed, or is being made one (by admission's append or by bulk proofs). */
  private _claimed (key: string): boolean {
    return this._known.has(key) || this._adding.has(key) || this._bulking.has(key)
  }

  /** How many more feeds maxFeeds allows, counting those being added. */
  private _room (): number {
    return this.maxFeeds - this._known.size - this._adding.size - this._bulking.size
  }

  /**
   * Feeds whose first proof verified against their key (peer.ts): create each core, apply
   * its proofs, admit them in one append. A feed whose signed length applied is admitted
   * even if a later block's proof fails (it is a real feed; the sync queue fetches what is
   * missing); the peer is then dropped with ERR_BAD_PROOF.
   *
   * Each key has one owner while it is brought in. Proofs of one feed at two lengths do not
   * apply over each other (hypercore's applyProof fails on the mixed tree), so a key that
   * another peer's bulk proofs or admission's check is bringing in is not touched here: it
   * is returned, after that other work ends, for the caller to hand to admission if it is
   * still unknown. An honest peer is never blamed for a race.
   */
  private async _bulkAdmit (peer: PeerConnection, feeds: FeedProofs[]): Promise<string[]> {
    const mine: FeedProofs[] = []
    const deferred: string[] = []
    const others: Array<Promise<void>> = []
    for (const f of feeds) {
      if (this._known.has(f.key) || this._adding.has(f.key)) continue // a feed already: the sync queue fetches what it lacks
      const other = this._bulking.get(f.key)
      if (other !== undefined || this._admission.owns(f.key)) {
        deferred.push(f.key)
        if (other !== undefined) others.push(other)
      } else mine.push(f)
    }
    if (mine.length > this._room()) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `${mine.length} bulk feeds would take us past maxFeeds`)
    const work = this._applyBulk(peer, mine)
    const claim = work.then(noop, noop)
    for (const { key } of mine) this._bulking.set(key, claim)
    try {
      await work
    } finally {
      for (const { key } of mine) if (this._bulking.get(key) === claim) this._bulking.delete(key)
      await Promise.all(others)
    }
    return deferred
  }

  private async _applyBulk (peer: PeerConnection, feeds: FeedProofs[]): Promise<void> {
    await Promise.resolve() // the caller claims the keys before any of this runs
    const proven: Array<{ key: string; feed: Feed }> = []
    const failed: Array<{ feed: Feed; existed: boolean }> = []
    let failure: MultifeedError | null = null
    const storage = coreStorageOf(this.corestore)
    for (let first = 0; first < feeds.length && this.closing === null && peer.active; first += BULK_PARALLEL) {
      await Promise.all(feeds.slice(first, first + BULK_PARALLEL).map(async ({ key, proofs }) => {
        // a core this multifeed did not list may still be another's in a shared Corestore: keep it
        const existed = storage === null || await storage.hasCore(Hypercore.discoveryKey(Buffer.from(key, 'hex')))
        const feed = this._openFeed({ key })
        try {
          await feed.ready()
          const core = feed as unknown as { applyProof(p: unknown): Promise<boolean> }
          // hypercore checks each proof against the key: signature, tree and block
          for (const p of proofs) {
            await core.applyProof(p)
            if (feed.length === 0) throw new Error('its signed length did not apply')
          }
        } catch (err) {
          failure ??= new MultifeedError('ERR_BAD_PROOF', `bulk proof of feed ${key}: ${String(err)}`)
        }
        if (feed.length > 0) proven.push({ key, feed })
        else failed.push({ feed, existed })
      }))
    }
    // a forged proof leaves nothing: the core made for it is deleted before the peer is dropped
    await Promise.allSettled(failed.map(async ({ feed, existed }) => {
      await feed.close()
      if (!existed && storage !== null) await deleteStoredCore(storage, feed.discoveryKey as Buffer)
    }))
    await this._admit(proven, true)
    // They arrived whole, so no download will announce them: tell every peer what we hold now.
    const states: FeedState[] = []
    for (const { key } of proven) {
      const k = this._known.get(key)
      if (k !== undefined && k.length > 0) states.push(stateOf(k))
    }
    for (const p of this._peers) p.update(states)
    this.emit('lengths', states.map((st) => st.key))
    if (failure !== null) throw failure
  }

  private _syncHost () {
    return {
      hold: (key: string) => this.hold(key),
      release: (key: string) => this.release(key),
      local: (key: string) => this.lengths(key),
      writable: (key: string) => {
        const k = this._known.get(key)
        return k !== undefined && k.local
      },
      setWanting: (key: string, wanting: boolean) => {
        const k = this._known.get(key)
        if (k === undefined) return
        k.syncing = wanting
        this._updateWanting(k)
      },
      hasRoom: () => this._admission.resume()
    }
  }

  private _admissionHost () {
    return {
      known: (key: string) => this._claimed(key),
      room: () => this._room(),
      open: (key: string) => {
        const feed = this._openFeed({ key })
        // a candidate wants its signed length (and then its blocks)
        feed.setActive(true)
        return feed
      },
      admit: (feeds: Array<{ key: string; feed: Feed }>) => this._admit(feeds),
      storage: () => coreStorageOf(this.corestore),
      // admitted feeds fetch in the sync queue: while it is full, check no new candidate
      busy: () => this._sync.full
    }
  }

  /**
   * Persists, then exposes, feeds that admission found proven (a peer served a
   * signed length), in one atomic log append. Takes over their open sessions,
   * which go on fetching in the sync queue.
   */
  private async _admit (feeds: Array<{ key: string; feed: Feed }>, whole = false): Promise<void> {
    const fresh: typeof feeds = []
    for (const f of feeds) {
      if (this._known.has(f.key) || this._adding.has(f.key)) await f.feed.close()
      else fresh.push(f)
    }
    if (fresh.length === 0) return
    if (this.closing !== null) {
      await Promise.allSettled(fresh.map((f) => f.feed.close()))
      return
    }
    const job = this._logOrThrow().append(fresh.map(({ key }) => ({ type: 'feed' as const, key, local: false })))
    const added = fresh.map(({ key, feed }) => {
      const p = job.then(() => {
        this._metaLength++
        if (this.closing !== null) return null
        const k = this._know(key, false, undefined, feed.discoveryKey as Buffer) as Known
        this._setLengths(k, { fork: feed.fork, length: feed.length, contiguousLength: feed.contiguousLength })
        k.holds++ // until the sync queue holds it
        this._adopt(k, feed)
        // a feed that arrived whole (bulk) joins the sync queue only if a peer is still ahead of it
        const peers = [...this._peers].filter((peer) => {
          const claim = peer.heardOf(key)
          return claim !== undefined && (!whole || isAhead(claim, k))
        })
        if (!whole || peers.length > 0) this._sync.adopt(key, feed, peers)
        // Arrived whole in bulk: cache what hypercore just verified and stored, as our own
        // proofs (a peer's bytes are never cached), before the feed may close as idle.
        if (whole && bulkSized(k)) this._scheduleFill(k)
        this.emit('feed', feed, infoOf(k))
        this._releaseKnown(k)
        return feed
      }).finally(() => this._adding.delete(key))
      this._adding.set(key, p)
      return p
    })
    await Promise.all(added)
  }

  private _lookup (key: string | Uint8Array): Known | undefined {
    if (typeof key === 'string' && key.length === 64) {
      const k = this._known.get(key)
      if (k !== undefined) return k
    }
    const parsed = parseKey(key)
    return parsed === null ? undefined : this._known.get(toHex(parsed))
  }

  private _logOrThrow (): FeedLog {
    if (this._log === null) throw new MultifeedError('ERR_CLOSED', 'multifeed is not open')
    return this._log
  }

  private _checkOpen (): void {
    if (this.closing !== null) throw new MultifeedError('ERR_CLOSED', 'multifeed is closed')
  }
}

function setLengths (k: Known, l: FeedLengths): void {
  k.fork = l.fork
  k.length = l.length
  k.contiguousLength = Math.min(l.contiguousLength, l.length)
}

function stateOf (k: Known): FeedState {
  // a local feed is one of our writers, open or not
  return { key: k.key, fork: k.fork, length: k.length, contiguousLength: k.contiguousLength, writable: k.local }
}

function infoOf (k: Known): FeedInfo {
  const info: FeedInfo = { key: k.key, local: k.local }
  if (k.name !== undefined) info.name = k.name
  return info
}

function positiveInt (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MultifeedError('ERR_BAD_OPTION', `${name} must be a positive integer`)
  }
  return value
}

function nonNegativeInt (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MultifeedError('ERR_BAD_OPTION', `${name} must be a non-negative integer`)
  }
  return value
}

function noop (): void {}

/** Writes RocksDB's memtables to tables (hypercore-storage's db: no public export; pinned hypercore@11.37.1). Never throws. */
async function flushStorage (corestore: unknown): Promise<void> {
  const db = (corestore as { storage?: { db?: { flush?: () => Promise<unknown> } } } | null)?.storage?.db
  if (typeof db?.flush !== 'function') return
  try {
    await db.flush()
  } catch {
    // closing anyway: the log is replayed at the next open, as before
  }
}
