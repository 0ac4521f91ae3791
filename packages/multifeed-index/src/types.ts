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

/**
 * The part of @kappa-ts/multifeed the index uses. Declared structurally so the
 * index (and its tests) depend only on the contract, not on one implementation.
 */
export interface MultifeedLike {
  /** How entry values are encoded in the feeds' blocks (default 'json'). */
  readonly valueEncoding?: ValueEncoding
  feeds(): Feed[]
  feed(key: string | Uint8Array): Feed | undefined
  on(event: 'feed', listener: (feed: Feed, info?: unknown) => void): unknown
  off(event: 'feed', listener: (feed: Feed, info?: unknown) => void): unknown
}
