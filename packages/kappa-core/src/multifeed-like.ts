// What the status channel (and @kappa-ts/swarm's KappaSwarm) needs from a multifeed. Structural,
// so both work with @kappa-ts/multifeed's Multifeed (and test doubles) without importing its src.
import type { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type Hypercore from 'hypercore'

export type SwarmFeed = Hypercore<unknown>

/** A feed's state at a peer (or here): what it can serve from the start, on which fork. */
export interface SwarmFeedState { fork: number; length: number; contiguousLength: number; writable?: boolean }

export interface SwarmMultifeed extends EventEmitter {
  readonly discoveryKey: Buffer
  ready(): Promise<void>
  /** The feeds open now. */
  feeds(): SwarmFeed[]
  feed(key: string | Uint8Array): SwarmFeed | undefined
  /** Whether `key` is a feed of the set (open or not). */
  has(key: string | Uint8Array): boolean
  /** Every feed of the set, open or not. */
  keys(): string[]
  /** A known feed's lengths here, open or not. */
  lengths(key: string | Uint8Array): SwarmFeedState | undefined
  /** Sums over every feed of the set. */
  totals(): { feeds: number; length: number; contiguousLength: number }
  /** What a verified peer told us of its feeds (by its stream), and whether it finished telling what it had on connecting. */
  remoteFeeds(stream: Duplex): { settled: boolean; feeds: ReadonlyMap<string, SwarmFeedState>; behind(): number } | undefined
  /** Sends peers the feed states that changed and have not gone out yet. */
  flush(): void
  /** Replicates over the given connection; returns the replication stream (the same socket). */
  replicate(stream: Duplex): Duplex
  // events used: 'feed' (feed), 'lengths' (keys), 'remote-feeds' (peer, keys), 'peer-settled' (peer),
  // 'peer-add' ({ remotePublicKey, stream }) once a peer proved the key
}
