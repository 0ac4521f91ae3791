// A set of hypercores, one per author (plus any number of named local writers),
// held in one Corestore, persisted, and replicated as a set.
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import Corestore from 'corestore'
import Hypercore from 'hypercore'
import ReadyResource from 'ready-resource'
import { MultifeedError } from './errors.js'
import { FeedLog, type FeedRecord } from './feed-log.js'
import { blockEncryptionKey, parseKey, requireKey, toHex } from './keys.js'
import { PeerConnection, type PeerHost } from './peer.js'
import { VALUE_ENCODINGS, type ValueEncoding } from './entry-encoding.js'
import { BLOCK_FORMAT } from './block-format.js'
import { Admission, coreStorageOf, forbiddenFeedKey } from './admission.js'

/** A feed: one author's hypercore. Its blocks are raw bytes in the packed format (block-format.ts). */
export type Feed = Hypercore<unknown>
export interface FeedInfo { key: string /* hex */; local: boolean; name?: string }
export type { ValueEncoding }
export interface AcceptInfo { remotePublicKey: string | null }

export interface MultifeedOptions {
  /** 32 bytes or 64 hex chars; random on first open if absent; persisted. */
  key?: Uint8Array | string
  /** Encoding of every entry's value inside the packed blocks. Default 'json'. */
  valueEncoding?: ValueEncoding
  /** Decides which feeds announced by peers to replicate. Default: all. */
  accept?: (feedKey: string, info: AcceptInfo) => boolean | Promise<boolean>
  /** Total feeds we will track; a peer pushing us past it is dropped. Default 10_000. */
  maxFeeds?: number
  /** Feed keys one message may carry (both directions). Default 1024. */
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
}

export interface MultifeedPeer {
  remotePublicKey: string | null
  stream: Duplex
}

/** Typed listeners for the multifeed's events (on/once/off). */
export interface MultifeedEvents {
  /** Once per feed when it joins the set: local, remote, and each reopened during ready(). */
  feed: [feed: Feed, info: FeedInfo]
  /** A peer proved it knows the key; feeds now flow on its connection. */
  'peer-add': [peer: MultifeedPeer]
  /** A connection that had been added ended. */
  'peer-remove': [peer: MultifeedPeer]
  /** A hostile or incompatible peer was dropped. Never an 'error' event. */
  'peer-error': [err: MultifeedError, peer: MultifeedPeer]
  /** ready() finished: the key and the known feeds are open (ReadyResource). */
  ready: []
  /** close() finished: every feed, the log and (if it opened it) the Corestore are closed. */
  close: []
}

export interface Multifeed {
  on<E extends keyof MultifeedEvents>(event: E, listener: (...args: MultifeedEvents[E]) => void): this
  once<E extends keyof MultifeedEvents>(event: E, listener: (...args: MultifeedEvents[E]) => void): this
  off<E extends keyof MultifeedEvents>(event: E, listener: (...args: MultifeedEvents[E]) => void): this
  emit<E extends keyof MultifeedEvents>(event: E, ...args: MultifeedEvents[E]): boolean
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
 * The lifecycle is Holepunch's ReadyResource, as hypercore's and corestore's: ready() opens
 * once (every call shares it), close() once (waiting for an open in progress); `opening`,
 * `opened`, `closing`, `closed` tell where it is. Calls after close() fail with ERR_CLOSED.
 */
export class Multifeed extends ReadyResource {
  readonly corestore: Corestore
  readonly maxFeeds: number
  readonly maxFeedsPerMessage: number
  readonly handshakeTimeout: number
  readonly maxFrameBeforeProof: number
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
  private _metaKey: string | null = null
  private readonly _feeds = new Map<string, { feed: Feed; info: FeedInfo }>()
  /** Feeds being added (persisted + opened) right now, so two peers can't add one twice. */
  private readonly _adding = new Map<string, Promise<Feed | null>>()
  private readonly _writers = new Map<string, Promise<Feed>>()
  private readonly _peers = new Set<PeerConnection>()
  private readonly _admission: Admission
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
    this._admission = new Admission(this._admissionHost(), {
      maxPendingPerPeer: positiveInt(opts.maxPendingPerPeer, 64, 'maxPendingPerPeer'),
      maxQueuedPerPeer: this.maxFeeds,
      proveTimeout: positiveInt(opts.proveTimeout, 20_000, 'proveTimeout')
    })
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

  /** Opens the feed list, the key and every known feed; shared by every caller. ERR_CLOSED after close(). */
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
    this._metaKey = toHex(meta.key as Buffer)
    const stored = await log.load()
    let key: Buffer
    if (stored.key !== null) {
      if (stored.version !== STORAGE_VERSION || stored.format !== BLOCK_FORMAT) {
        throw new MultifeedError('ERR_FORMAT_VERSION',
          `this storage was written in layout v${stored.version} (block format ${stored.format ?? 'one entry per block'}); ` +
          `this version reads layout v${STORAGE_VERSION} (block format ${BLOCK_FORMAT}) and does not migrate: open it with the version that wrote it`)
      }
      key = requireKey(stored.key, 'stored key')
      if (this._givenKey !== null && !this._givenKey.equals(key)) {
        throw new MultifeedError('ERR_KEY_MISMATCH', `storage holds multifeed ${stored.key}, not ${toHex(this._givenKey)}`)
      }
    } else {
      key = this._givenKey ?? randomBytes(32)
      await log.append([{ type: 'multifeed', version: STORAGE_VERSION, format: BLOCK_FORMAT, key: toHex(key) }])
    }
    this._key = key
    this._discoveryKey = Hypercore.discoveryKey(key)
    this._blockKey = blockEncryptionKey(key)

    // Reopen every known feed; a feed listed twice (crash between writes of two
    // peers' announcements) is opened once.
    for (const rec of stored.feeds) {
      if (this._feeds.has(rec.key)) continue
      const feed = rec.local && rec.name !== undefined
        ? this._openFeed({ name: rec.name })
        : this._openFeed({ key: rec.key })
      await feed.ready()
      if (rec.local && rec.name !== undefined) this._writers.set(rec.name, Promise.resolve(feed))
      this._addOpened(feed, infoOf(rec))
    }
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
      pending = this._createWriter(name)
      this._writers.set(name, pending)
      pending.catch(() => this._writers.delete(name))
    }
    return pending
  }

  private async _createWriter (name: string): Promise<Feed> {
    const feed = this._openFeed({ name })
    await feed.ready()
    const key = toHex(feed.key as Buffer)
    const known = this._feeds.get(key)
    if (known !== undefined) {
      await feed.close()
      return known.feed
    }
    this._checkOpen()
    // Persist before exposing: a feed the app has seen is never forgotten.
    await this._logOrThrow().append([{ type: 'feed', key, local: true, name }])
    this._addOpened(feed, { key, local: true, name })
    return feed
  }

  /** Every known, opened feed, in the order added. */
  feeds (): Feed[] {
    return [...this._feeds.values()].map((f) => f.feed)
  }

  feed (key: string | Uint8Array): Feed | undefined {
    const parsed = parseKey(key)
    return parsed === null ? undefined : this._feeds.get(toHex(parsed))?.feed
  }

  /** Info about a known feed (local or remote, writer name). */
  feedInfo (key: string | Uint8Array): FeedInfo | undefined {
    const parsed = parseKey(key)
    const info = parsed === null ? undefined : this._feeds.get(toHex(parsed))?.info
    return info === undefined ? undefined : { ...info }
  }

  /**
   * A replication stream to pipe to a peer's (or pass the peer connection, e.g. a
   * Hyperswarm socket). Carries every feed plus the multifeed meta channel.
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

  /** Stops the peers, then closes the feeds, the feed list and (if it opened it) the Corestore: the reverse of ready(). */
  protected override async _close (): Promise<void> {
    await Promise.allSettled([...this._adding.values()])
    for (const peer of this._peers) peer.close()
    await this._admission.close()
    const closing: Array<Promise<void>> = []
    for (const { feed } of this._feeds.values()) closing.push(feed.close())
    if (this._log !== null) closing.push(this._log.close())
    await Promise.allSettled(closing)
    await this._store.close()
    if (this._ownsStore) await this.corestore.close()
  }

  // ---- used by PeerConnection -------------------------------------------

  private readonly _host: PeerHost = {
    key: () => this.key,
    ready: () => this.ready(),
    closed: () => this.closing !== null,
    maxFeedsPerMessage: () => this.maxFeedsPerMessage,
    handshakeTimeout: () => this.handshakeTimeout,
    maxFrameBeforeProof: () => this.maxFrameBeforeProof,
    knownKeys: () => [...this._feeds.keys()],
    knownFeeds: () => this.feeds(),
    // The feed log's own key counts as known, so no peer can get it opened as a feed.
    has: (key) => this._feeds.has(key) || this._adding.has(key) || key === this._metaKey,
    forbidden: (key) => forbiddenFeedKey(key, this.key, this._metaKey),
    accept: (key, info) => this._accept(key, info),
    enqueue: (peer, keys) => this._admission.enqueue(peer, keys),
    onPeerAdd: (peer) => this.emit('peer-add', peer.publicInfo),
    onPeerRemove: (peer, wasAdded) => {
      this._peers.delete(peer)
      this._admission.leave(peer)
      if (wasAdded) this.emit('peer-remove', peer.publicInfo)
    },
    onPeerError: (peer, err) => this.emit('peer-error', err, peer.publicInfo)
  }

  private _admissionHost () {
    return {
      known: (key: string) => this._feeds.has(key) || this._adding.has(key),
      room: () => this.maxFeeds - this._feeds.size - this._adding.size,
      open: (key: string) => this._openFeed({ key }),
      admit: (feeds: Array<{ key: string; feed: Feed }>) => this._admit(feeds),
      storage: () => coreStorageOf(this.corestore)
    }
  }

  /**
   * Persists, then exposes, feeds that admission found proven (a peer served a
   * signed length), in one atomic log append. Takes over their open sessions.
   */
  private async _admit (feeds: Array<{ key: string; feed: Feed }>): Promise<void> {
    const fresh: typeof feeds = []
    for (const f of feeds) {
      if (this._feeds.has(f.key) || this._adding.has(f.key)) await f.feed.close()
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
        if (this.closing !== null) return null
        this._addOpened(feed, { key, local: false })
        return feed
      }).finally(() => this._adding.delete(key))
      this._adding.set(key, p)
      return p
    })
    await Promise.all(added)
  }

  private _addOpened (feed: Feed, info: FeedInfo): void {
    this._feeds.set(info.key, { feed, info })
    // Remote feeds are replicated whole and live: keep downloading as they grow.
    if (!info.local) feed.download({ start: 0, end: -1 })
    for (const peer of this._peers) peer.offer(feed, info.key)
    // Peers hear of a feed once it has data (admission waits for a signed length).
    if (feed.length === 0) feed.once('append', () => { for (const peer of this._peers) peer.announce([info.key]) })
    this.emit('feed', feed, { ...info })
  }

  /**
   * A session of one feed of the set: a local writer by name, or any feed by key. The
   * one place feeds are opened. Every feed's blocks are encrypted (at rest and on the
   * wire) with a key derived from the multifeed key: a peer or a disk holding them
   * without that key learns nothing of their content.
   */
  private _openFeed (which: { name: string } | { key: string }): Feed {
    const encryption = { key: this._blockKeyOrThrow() }
    return 'name' in which
      ? this._store.get({ name: WRITER_PREFIX + which.name, valueEncoding: FEED_ENCODING, encryption })
      : this._store.get({ key: which.key, valueEncoding: FEED_ENCODING, encryption })
  }

  private _blockKeyOrThrow (): Buffer {
    if (this._blockKey === null) throw new MultifeedError('ERR_NOT_READY', 'feeds open only after ready()')
    return this._blockKey
  }

  private _logOrThrow (): FeedLog {
    if (this._log === null) throw new MultifeedError('ERR_CLOSED', 'multifeed is not open')
    return this._log
  }

  private _checkOpen (): void {
    if (this.closing !== null) throw new MultifeedError('ERR_CLOSED', 'multifeed is closed')
  }
}

function infoOf (rec: FeedRecord): FeedInfo {
  const info: FeedInfo = { key: rec.key, local: rec.local }
  if (rec.name !== undefined) info.name = rec.name
  return info
}

function positiveInt (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MultifeedError('ERR_BAD_OPTION', `${name} must be a positive integer`)
  }
  return value
}
