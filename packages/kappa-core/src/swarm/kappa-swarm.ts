// Joins the Hyperswarm topic of a multifeed's discovery key and replicates the
// multifeed over every connection, with peer tracking and sync status.
//
// Connection facts this relies on (hyperswarm 4, read in its source):
// - Dedupe: Hyperswarm keeps at most one connection per remote public key
//   (`_allConnections` is keyed by it). When both sides dial at once, or a peer
//   reconnects while its old connection lingers, the server side keeps one by a
//   fixed tie-break (or the newer one if the old carried traffic) and destroys
//   the other before announcing it. We still key peers by remote public key and
//   let a newer socket replace an older one, so `peers` never lists a peer twice.
// - Reconnect: when a connection we dialed closes, Hyperswarm re-dials the peer
//   after a backoff (about 1 s, then 5 s, 15 s) while we are still on the topic.
//   A peer that restarts re-announces and dials us itself, under a fresh key
//   pair: with the old identity, the stale connection (to the dead process)
//   would have to close before Hyperswarm adopts the new one, which takes until
//   UDX times out (~15 s); with a new identity it is adopted at once and the
//   stale one is dropped when it times out.
// - A connection whose remote never answers (see swarm-peer.ts) is dropped
//   after `handshakeTimeout` so Hyperswarm can re-dial.
// - Discovery: Hyperswarm announces and looks up once on join, then every
//   ~10 min. Two peers that join at the same moment can each finish their
//   lookup before the other's announce lands, and would not meet for minutes.
//   While we have no peer, we refresh (announce + lookup) after 1 s, 2 s, 4 s...
//   up to every 30 s; the first connection stops it.
// - maxPeers: Hyperswarm applies it to connections it dials only; connections
//   that would exceed it in either direction are closed here.
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import { TypedResource } from '@kappa-ts/multifeed'
import { SwarmError } from './errors.js'
import { resolveBootstrap, defaultBindHost, isLoopbackHost, type BootstrapNode } from './bootstrap.js'
import type { SwarmFeed, SwarmMultifeed } from './multifeed-like.js'
import { SwarmPeer, type PeerStatus, type SwarmSocket } from './swarm-peer.js'
import { SyncTracker, type FeedSyncStatus, type SyncProgress } from './sync-tracker.js'
import { setReceiveBuffers } from './udp-buffers.js'

export interface KeyPair { publicKey: Buffer; secretKey: Buffer }

export interface JoinOptions {
  /**
   * DHT bootstrap nodes, `"host:port"` or `{ host, port }`. Default: the
   * KAPPA_BOOTSTRAP environment variable (`host:port,host:port`), else
   * hyperdht's public bootstrap nodes.
   */
  bootstrap?: Array<string | BootstrapNode>
  /** Most peers connected at once (both directions). Default 64. */
  maxPeers?: number
  /**
   * Address our DHT node binds to. Default 127.0.0.1 when every bootstrap node
   * is on loopback (so peers on this machine can reach us), else all interfaces.
   */
  host?: string
  /** Our swarm identity. Default: a fresh key pair per join(). */
  keyPair?: KeyPair
  /** Milliseconds a new connection may stay silent before it is dropped and re-dialed. Default 5000. */
  handshakeTimeout?: number
  /**
   * Announce ourselves on the topic, so peers looking it up dial us. Default true.
   * false: a client only (it dials the peers that announce, and no peer finds it),
   * e.g. many readers of one writer that should not connect to each other.
   */
  server?: boolean
  /** Look the topic up and dial the peers found. Default true. false: wait to be dialed. */
  client?: boolean
  /**
   * Kernel receive buffer asked for on our DHT node's UDP sockets, which carry every
   * connection. Default 4 MiB: the default (about 208 KB on Linux) overflows on a peer
   * serving hundreds of others. The kernel caps it at net.core.rmem_max.
   */
  receiveBufferBytes?: number
}

export interface PeerErrorInfo { remotePublicKey: string; error: Error }

const DEFAULT_MAX_PEERS = 64
const DEFAULT_HANDSHAKE_TIMEOUT = 5000
const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
const POLL_MS = 1000
const LONELY_REFRESH_FIRST_MS = 1000
const LONELY_REFRESH_MAX_MS = 30_000

/** The events of a KappaSwarm, typed (on/once/off). Never an 'error' event. */
export interface KappaSwarmEvents {
  /** A connection to a new remote peer opened. */
  'peer-add': (peer: PeerStatus) => void
  /** It closed. */
  'peer-remove': (peer: PeerStatus) => void
  /** Lengths held or reported changed (coalesced, at most once per event-loop turn). */
  'sync-progress': (progress: SyncProgress) => void
  /** We hold everything our verified peers reported (after each catch-up). */
  synced: (progress: SyncProgress) => void
  /** A socket failed, or a peer sent a malformed status or stayed silent past handshakeTimeout: it is dropped. */
  'connection-error': (info: PeerErrorInfo) => void
  /** ready() finished (the multifeed is open). */
  ready: () => void
  /** close() finished: left the topic, every connection closed, the multifeed no longer followed. */
  close: () => void
}

/**
 * Events: KappaSwarmEvents. The lifecycle is Holepunch's ReadyResource: ready() waits for
 * the multifeed (join() calls it), close() leaves for good (once; join() after it fails
 * with ERR_CLOSED); `opening`, `opened`, `closing`, `closed` tell where it is. join() and
 * leave() may alternate any number of times in between.
 */
export class KappaSwarm extends TypedResource<KappaSwarmEvents> {
  readonly maxPeers: number
  readonly bootstrap: BootstrapNode[] | null
  readonly host: string | undefined
  readonly handshakeTimeout: number
  readonly receiveBufferBytes: number
  /** Whether we announce the topic / look it up (JoinOptions server, client). */
  readonly server: boolean
  readonly client: boolean
  private readonly keyPairOption: KeyPair | undefined
  private swarm: Hyperswarm | null = null
  private joining: Promise<void> | null = null
  private leaving: Promise<void> | null = null
  private readonly peerMap = new Map<string, SwarmPeer>()
  private readonly tracker: SyncTracker
  private poll: NodeJS.Timeout | null = null
  private discovery: Hyperswarm.PeerDiscovery | null = null
  private lonelyTimer: NodeJS.Timeout | null = null
  private lonelyDelay = LONELY_REFRESH_FIRST_MS
  private readonly onfeed = (feed: SwarmFeed): void => this.tracker.watch(feed)
  private readonly onverified = (info: { stream?: unknown }): void => {
    for (const p of this.peerMap.values()) if (p.socket === info.stream) p.markVerified()
  }

  constructor (readonly multifeed: SwarmMultifeed, opts: JoinOptions = {}) {
    super()
    if (multifeed === null || typeof multifeed !== 'object' || typeof multifeed.replicate !== 'function') {
      throw new SwarmError('ERR_BAD_OPTION', 'KappaSwarm needs a multifeed')
    }
    if (opts.maxPeers !== undefined && (!Number.isSafeInteger(opts.maxPeers) || opts.maxPeers < 1)) {
      throw new SwarmError('ERR_BAD_OPTION', 'maxPeers must be a positive integer')
    }
    if (opts.handshakeTimeout !== undefined && (!Number.isSafeInteger(opts.handshakeTimeout) || opts.handshakeTimeout < 1)) {
      throw new SwarmError('ERR_BAD_OPTION', 'handshakeTimeout must be a positive integer (ms)')
    }
    for (const side of ['server', 'client'] as const) {
      if (opts[side] !== undefined && typeof opts[side] !== 'boolean') throw new SwarmError('ERR_BAD_OPTION', `${side} must be a boolean`)
    }
    this.server = opts.server ?? true
    this.client = opts.client ?? true
    if (!this.server && !this.client) throw new SwarmError('ERR_BAD_OPTION', 'server and client cannot both be false: nobody would ever connect')
    if (opts.receiveBufferBytes !== undefined && (!Number.isSafeInteger(opts.receiveBufferBytes) || opts.receiveBufferBytes < 1)) {
      throw new SwarmError('ERR_BAD_OPTION', 'receiveBufferBytes must be a positive integer')
    }
    this.receiveBufferBytes = opts.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES
    this.maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS
    this.handshakeTimeout = opts.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
    this.bootstrap = resolveBootstrap(opts.bootstrap)
    this.host = defaultBindHost(this.bootstrap, opts.host)
    this.keyPairOption = opts.keyPair
    this.tracker = new SyncTracker(multifeed, () => this.verifiedPeers(), (event, progress) => { this.emit(event, progress) })
  }

  get joined (): boolean { return this.swarm !== null }

  /** Our public key on the swarm (hex), once joined. */
  get publicKey (): string | null { return this.swarm === null ? null : this.swarm.keyPair.publicKey.toString('hex') }

  /** The underlying Hyperswarm while joined (for diagnostics). */
  get hyperswarm (): Hyperswarm | null { return this.swarm }

  /** One entry per connected remote peer. */
  get peers (): PeerStatus[] {
    return [...this.peerMap.values()].map((p) => p.publicStatus())
  }

  /** The status channel of every connection (kappa.synced() asks each what it holds). */
  statusPeers (): SwarmPeer[] { return [...this.peerMap.values()] }

  /** True after 'synced' until new data is known to exist elsewhere. */
  get isSynced (): boolean { return this.tracker.isSynced }

  /** True while some verified peer is known to hold every block we hold, of every feed (SyncProgress.shared). */
  get isShared (): boolean { return this.tracker.isShared }

  /** Per feed: our contiguous length vs the longest length any connected peer reported. */
  status (): FeedSyncStatus[] { return this.tracker.status() }

  /** Totals over every feed, and whether we are synced. */
  progress (): SyncProgress { return this.tracker.progress() }

  /** Joins the discovery-key topic (as server and client unless told otherwise) and resolves once the first announce and lookup are done. */
  join (): Promise<void> {
    if (this.closing !== null) return Promise.reject(closedError())
    if (this.joining !== null) return this.joining
    const leaving = this.leaving ?? Promise.resolve()
    const joining = leaving.then(() => this.start())
    this.joining = joining
    joining.catch(() => { if (this.joining === joining) this.joining = null })
    return joining
  }

  /** Leaves the topic and closes every connection. join() again to come back. */
  leave (): Promise<void> {
    if (this.leaving !== null) return this.leaving
    const joining = this.joining
    if (joining === null) return Promise.resolve()
    this.joining = null
    const leaving = joining.catch(() => {}).then(() => this.stop())
    this.leaving = leaving
    leaving.finally(() => { if (this.leaving === leaving) this.leaving = null }).catch(() => {})
    return leaving
  }

  /** Waits for the multifeed to open (join() does it); ERR_CLOSED after close(). */
  override ready (): Promise<void> {
    if (this.closing !== null) return Promise.reject(closedError())
    return super.ready()
  }

  protected override async _open (): Promise<void> {
    await this.multifeed.ready()
  }

  /** close(): leave() and stop following the multifeed for good. */
  protected override async _close (): Promise<void> {
    await this.leave()
    this.tracker.stop()
  }

  private async start (): Promise<void> {
    await this.ready()
    if (this.closing !== null) throw closedError()
    const topic = this.multifeed.discoveryKey
    const keyPair = this.keyPairOption ?? HyperDHT.keyPair()

    for (const feed of this.multifeed.feeds()) this.tracker.watch(feed)
    this.multifeed.on('feed', this.onfeed)
    this.multifeed.on('peer-add', this.onverified)

    const dhtOpts: HyperDHT.Options = {}
    if (this.bootstrap !== null) dhtOpts.bootstrap = this.bootstrap
    if (this.host !== undefined) dhtOpts.host = this.host
    // On loopback there is no NAT: every node is reachable as it is. Left
    // "firewalled" (hyperdht's default until it has proven otherwise), nodes
    // holepunch each other, and across processes about half of the dials here
    // ended with a socket only the dialing side saw. Not firewalled, peers dial
    // each other directly (6 of 6 across processes, measured).
    if (this.host !== undefined && isLoopbackHost(this.host)) dhtOpts.firewalled = false
    const dht = new HyperDHT(dhtOpts)
    // Its sockets exist once bound ('listening'), before any connection rides on them.
    dht.once('listening', () => { setReceiveBuffers(dht, this.receiveBufferBytes) })
    const swarm = new Hyperswarm({ dht, keyPair, maxPeers: this.maxPeers })
    this.swarm = swarm
    swarm.on('connection', (socket: SwarmSocket) => this.onconnection(swarm, socket))
    this.poll = setInterval(() => { if (this.peerMap.size > 0) this.tracker.markAllDirty() }, POLL_MS)
    this.poll.unref()
    const discovery = swarm.join(topic, { server: this.server, client: this.client })
    this.discovery = discovery
    try {
      await discovery.flushed()
    } catch (err) {
      await this.stop()
      throw err
    }
    this.lonelyDelay = LONELY_REFRESH_FIRST_MS
    this.scheduleLonelyRefresh()
  }

  /** While no peer is connected, announce and look up again, backing off. */
  private scheduleLonelyRefresh (): void {
    if (this.lonelyTimer !== null || this.discovery === null || this.peerMap.size > 0) return
    const discovery = this.discovery
    this.lonelyTimer = setTimeout(() => {
      this.lonelyTimer = null
      if (this.discovery !== discovery || this.peerMap.size > 0) return
      this.lonelyDelay = Math.min(this.lonelyDelay * 2, LONELY_REFRESH_MAX_MS)
      discovery.refresh({ server: this.server, client: this.client }).catch(() => {}).finally(() => this.scheduleLonelyRefresh())
    }, this.lonelyDelay)
    this.lonelyTimer.unref()
  }

  private clearLonelyRefresh (): void {
    if (this.lonelyTimer !== null) clearTimeout(this.lonelyTimer)
    this.lonelyTimer = null
  }

  private async stop (): Promise<void> {
    const swarm = this.swarm
    this.swarm = null
    this.discovery = null
    this.clearLonelyRefresh()
    if (this.poll !== null) clearInterval(this.poll)
    this.poll = null
    this.multifeed.removeListener('feed', this.onfeed)
    this.multifeed.removeListener('peer-add', this.onverified)
    for (const peer of [...this.peerMap.values()]) {
      peer.socket.destroy()
      this.removePeer(peer)
    }
    if (swarm !== null) await swarm.destroy()
  }

  private onconnection (swarm: Hyperswarm, socket: SwarmSocket): void {
    socket.on('error', (err: Error) => {
      this.emit('connection-error', { remotePublicKey: socket.remotePublicKey.toString('hex'), error: err })
    })
    if (this.swarm !== swarm) {
      socket.destroy()
      return
    }
    const key = socket.remotePublicKey.toString('hex')
    const existing = this.peerMap.get(key)
    if (existing === undefined && this.peerMap.size >= this.maxPeers) {
      socket.destroy()
      return
    }
    const peer = new SwarmPeer(socket, this.multifeed, {
      onChange: () => this.tracker.markAllDirty(),
      onFailure: (_p, err) => {
        this.emit('connection-error', { remotePublicKey: peer.remotePublicKey, error: err })
        peer.socket.destroy()
      }
    }, this.handshakeTimeout)
    if (existing !== undefined) {
      // Same remote peer on a newer socket: the old one is stale.
      existing.socket.destroy()
      this.removePeer(existing)
    }
    this.peerMap.set(key, peer)
    socket.once('close', () => this.removePeer(peer))
    this.multifeed.replicate(socket as unknown as import('node:stream').Duplex)
    peer.attach()
    this.clearLonelyRefresh()
    this.emit('peer-add', peer.publicStatus())
    this.tracker.markAllDirty()
  }

  private removePeer (peer: SwarmPeer): void {
    if (this.peerMap.get(peer.remotePublicKey) !== peer) return
    peer.close()
    this.peerMap.delete(peer.remotePublicKey)
    this.emit('peer-remove', peer.publicStatus())
    this.tracker.markAllDirty()
    if (this.peerMap.size === 0) {
      this.lonelyDelay = LONELY_REFRESH_FIRST_MS
      this.scheduleLonelyRefresh()
    }
  }

  private verifiedPeers (): SwarmPeer[] {
    const out: SwarmPeer[] = []
    for (const p of this.peerMap.values()) if (p.verified) out.push(p)
    return out
  }
}

function closedError (): SwarmError {
  return new SwarmError('ERR_CLOSED', 'swarm is closed')
}
