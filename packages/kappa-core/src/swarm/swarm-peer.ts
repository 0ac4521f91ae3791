// One connection to one remote peer, as KappaSwarm sees it: the socket, whether
// the multifeed verified the remote knows the key, and the feed lengths the
// remote reported on the `kappa-swarm/status` channel.
import type Protomux from 'protomux'
import type { SwarmMultifeed } from './multifeed-like.js'
import { SwarmError } from './errors.js'
import { STATUS_PROTOCOL, MAX_STATUS_ENTRIES, encodeStatus, decodeStatus, rawEncoding } from './status-wire.js'

export interface SwarmSocket {
  readonly remotePublicKey: Buffer
  readonly isInitiator: boolean
  readonly destroyed: boolean
  userData: unknown
  destroy(err?: Error): void
  on(event: string, listener: (...args: any[]) => void): unknown
  once(event: string, listener: (...args: any[]) => void): unknown
}

/** What `kappa.peers` / `swarm.peers` lists. */
export interface PeerStatus {
  /** The remote's Hyperswarm public key (hex): one entry per remote peer. */
  remotePublicKey: string
  /** True when we dialed the peer, false when it dialed us. */
  initiator: boolean
  /** Date.now() when the connection opened. */
  connectedAt: number
  /** The remote proved it knows the multifeed key; feeds are exchanged only after that. */
  verified: boolean
  /** The remote's list of feeds and lengths has arrived. */
  settled: boolean
}

export interface SwarmPeerHooks {
  onChange(peer: SwarmPeer): void
  /** A malformed status, or no sign of the remote within the handshake timeout: the socket should go. */
  onFailure(peer: SwarmPeer, err: SwarmError): void
}

export class SwarmPeer {
  readonly remotePublicKey: string
  readonly initiator: boolean
  readonly connectedAt = Date.now()
  verified = false
  settled = false
  /** Feed key -> length the remote could serve when it connected. */
  readonly reported = new Map<string, number>()
  private channel: Protomux.Channel | null = null
  private channelOpen = false
  private sent = false
  private closed = false
  private watchdog: NodeJS.Timeout | null = null

  constructor (
    readonly socket: SwarmSocket,
    private readonly multifeed: SwarmMultifeed,
    private readonly hooks: SwarmPeerHooks,
    private readonly handshakeTimeout: number
  ) {
    this.remotePublicKey = socket.remotePublicKey.toString('hex')
    this.initiator = socket.isInitiator
  }

  /** Call after multifeed.replicate(socket): the socket then carries a Protomux. */
  attach (): void {
    // Under load, hyperdht can hand the dialing side a socket the other side
    // never adopted; it then sits silent until UDX times out (~15 s here).
    // A remote that has not opened our channel in time is dropped, and
    // Hyperswarm re-dials at once.
    this.watchdog = setTimeout(() => {
      if (this.channelOpen || this.closed) return
      this.closed = true
      this.hooks.onFailure(this, new SwarmError('ERR_HANDSHAKE_TIMEOUT', `no answer from the peer within ${this.handshakeTimeout} ms`))
    }, this.handshakeTimeout)
    this.watchdog.unref()
    const mux = this.socket.userData as Protomux | null
    if (mux === null || typeof mux !== 'object' || typeof mux.createChannel !== 'function') return
    const ch = mux.createChannel({
      protocol: STATUS_PROTOCOL,
      id: this.multifeed.discoveryKey,
      messages: [{ encoding: rawEncoding, onmessage: (buf: Uint8Array) => this.onstatus(buf) }],
      onopen: () => {
        this.channelOpen = true
        this.clearWatchdog()
        this.sendMaybe()
      }
    })
    if (ch === null) return
    this.channel = ch
    ch.open()
  }

  /** The multifeed accepted the remote's proof: now it may learn our feed list. */
  markVerified (): void {
    if (this.verified || this.closed) return
    this.verified = true
    this.sendMaybe()
    this.hooks.onChange(this)
  }

  close (): void {
    this.closed = true
    this.clearWatchdog()
  }

  private clearWatchdog (): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog)
    this.watchdog = null
  }

  publicStatus (): PeerStatus {
    return {
      remotePublicKey: this.remotePublicKey,
      initiator: this.initiator,
      connectedAt: this.connectedAt,
      verified: this.verified,
      settled: this.settled
    }
  }

  private sendMaybe (): void {
    if (this.sent || !this.verified || !this.channelOpen || this.channel === null || this.closed) return
    this.sent = true
    const entries: Array<{ key: string; length: number }> = []
    for (const feed of this.multifeed.feeds()) {
      if (feed.key === null) continue
      entries.push({ key: feed.key.toString('hex'), length: feed.contiguousLength })
    }
    const msg = this.channel.messages[0]
    if (msg === undefined) return
    this.channel.cork()
    for (let i = 0; i === 0 || i < entries.length; i += MAX_STATUS_ENTRIES) {
      const part = entries.slice(i, i + MAX_STATUS_ENTRIES)
      msg.send(encodeStatus({ last: i + MAX_STATUS_ENTRIES >= entries.length, entries: part }))
    }
    this.channel.uncork()
  }

  private onstatus (buf: Uint8Array): void {
    if (this.closed) return
    try {
      if (this.settled) throw new SwarmError('ERR_BAD_MESSAGE', 'status sent twice')
      const chunk = decodeStatus(buf)
      if (this.reported.size + chunk.entries.length > 1_000_000) throw new SwarmError('ERR_BAD_MESSAGE', 'status lists too many feeds')
      for (const { key, length } of chunk.entries) {
        this.reported.set(key, Math.max(length, this.reported.get(key) ?? 0))
      }
      if (chunk.last) {
        this.settled = true
        this.hooks.onChange(this)
      }
    } catch (err) {
      this.closed = true
      this.hooks.onFailure(this, err instanceof SwarmError ? err : new SwarmError('ERR_BAD_MESSAGE', String(err)))
    }
  }
}
