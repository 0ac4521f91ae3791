// The Holepunch stack ships JavaScript only: its declarations come with this package.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { RangeSet, type Range } from './ranges.js'
export { IndexError, type IndexErrorCode } from './errors.js'
export {
  EntryReader, type EntryReaderOptions, type EntryReaderStats, type BlockRead, type EntryRead, type AppendResult
} from './reader.js'
export type { Entry, Address, IndexState, Feed, MultifeedLike } from './types.js'
export type { IndexDb, DataSublevel, IndexBatch, Version, CursorRecord, SkippedEntry } from './store.js'
export {
  MultifeedIndex,
  type MultifeedIndexOptions,
  type IndexContext,
  type MapContext,
  type OnMapError,
  type IndexProgress,
  type TruncateEvent,
  type MultifeedIndexEvents
} from './multifeed-index.js'
