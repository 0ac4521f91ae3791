import type Hypercore from 'hypercore'
import type { ValueEncoding } from '@kappa-ts/multifeed'

export type Feed = Hypercore<unknown>

/**
 * Where an entry is in its feed: the hypercore block that holds it and its
 * position among that block's entries (0 for a block of one entry). Addresses
 * of one feed sort in log order by (block, index).
 */
export interface Address {
  block: number
  index: number
}

/** What a consumer's map sees: one entry of one feed, decoded. */
export interface Entry<T = unknown> {
  /** The feed (author) key, hex. */
  key: string
  address: Address
  value: T
}

export type IndexState = 'idle' | 'indexing' | 'paused' | 'error'

/** A feed's lengths as the multifeed knows them, open or not. */
export interface FeedLengthsLike { fork: number; length: number; contiguousLength: number }

/**
 * The part of @kappa-ts/multifeed the index uses. Declared structurally so the
 * index (and its tests) depend only on the contract, not on one implementation.
 *
 * `keys`, `lengths`, `hold` and `release` (with the 'feed-open' and 'feed-close'
 * events) are the lazy part: a multifeed that has them keeps most feeds closed,
 * and the index opens (holds) only those it has something to index in. One
 * without them has every feed open in feeds().
 */
export interface MultifeedLike {
  /** How entry values are encoded in the feeds' blocks (default 'json'). */
  readonly valueEncoding?: ValueEncoding
  /** The feeds open now. */
  feeds(): Feed[]
  feed(key: string | Uint8Array): Feed | undefined
  /** Resolves once keys() and lengths() know every feed of the set. */
  ready?(): Promise<void>
  /** Every feed of the set, open or not. */
  keys?(): string[]
  lengths?(key: string): FeedLengthsLike | undefined
  /** Opens the feed if needed and keeps it open until release(). */
  hold?(key: string): Promise<Feed | undefined>
  release?(key: string): void
  /** 'feed': joined the set; 'feed-open': opened (again); 'feed-close': about to close (nothing holds it). */
  on(event: 'feed' | 'feed-open' | 'feed-close', listener: (feed: Feed, info?: unknown) => void): unknown
  off(event: 'feed' | 'feed-open' | 'feed-close', listener: (feed: Feed, info?: unknown) => void): unknown
}
