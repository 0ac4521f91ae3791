// One connection to one remote peer, as KappaSwarm sees it: the socket, whether
// the multifeed verified the remote knows the key, and the feed lengths the
// remote reported on the `kappa-swarm/status` channel (see kappa-core's status-peer.ts).
import { StatusPeer, type StatusPeerHooks, type SwarmMultifeed } from '@kappa-ts/kappa-core'

export interface SwarmSocket {
  readonly remotePublicKey: Buffer
  readonly isInitiator: boolean
  readonly destroyed: boolean
  userData: unknown
  destroy(err?: Error): void
  on(event: string, listener: (...args: never[]) => void): unknown
  once(event: string, listener: (...args: never[]) => void): unknown
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
  /** Feed keys (hex) the remote says it writes: its own logs (empty until settled). */
  writers: string[]
}

export type SwarmPeerHooks = StatusPeerHooks

export class SwarmPeer extends StatusPeer {
  readonly remotePublicKey: string
  readonly initiator: boolean
  readonly connectedAt = Date.now()

  constructor (readonly socket: SwarmSocket, multifeed: SwarmMultifeed, hooks: SwarmPeerHooks, handshakeTimeout: number) {
    super(socket, multifeed, hooks, handshakeTimeout)
    this.remotePublicKey = socket.remotePublicKey.toString('hex')
    this.initiator = socket.isInitiator
  }

  publicStatus (): PeerStatus {
    return {
      remotePublicKey: this.remotePublicKey,
      initiator: this.initiator,
      connectedAt: this.connectedAt,
      verified: this.verified,
      settled: this.settled,
      writers: [...this.writers]
    }
  }
}
