import type Hypercore from 'hypercore'

export type Feed = Hypercore<unknown>

/** What a consumer's map sees: one block of one feed, decoded. */
export interface Entry<T = unknown> {
  key: string // feed key, hex
  seq: number
  value: T
}

export type IndexState = 'idle' | 'indexing' | 'paused' | 'error'

/**
 * The part of @kappa-ts/multifeed the index uses. Declared structurally so the
 * index (and its tests) depend only on the contract, not on one implementation.
 */
export interface MultifeedLike {
  feeds(): Feed[]
  feed(key: string | Uint8Array): Feed | undefined
  on(event: 'feed', listener: (feed: Feed, info?: unknown) => void): unknown
  off(event: 'feed', listener: (feed: Feed, info?: unknown) => void): unknown
}
