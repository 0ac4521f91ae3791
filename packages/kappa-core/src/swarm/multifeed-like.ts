// What KappaSwarm needs from a multifeed. Structural, so the swarm works with
// @kappa-ts/multifeed's Multifeed (and test doubles) without importing its src.
import type { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type Hypercore from 'hypercore'

export type SwarmFeed = Hypercore<unknown>

export interface SwarmMultifeed extends EventEmitter {
  readonly discoveryKey: Buffer
  ready(): Promise<void>
  feeds(): SwarmFeed[]
  feed(key: string | Uint8Array): SwarmFeed | undefined
  /** Replicates over the given connection; returns the replication stream (the same socket). */
  replicate(stream: Duplex): Duplex
  // events used: 'feed' (feed), 'peer-add' ({ remotePublicKey, stream }) once a peer proved the key
}
