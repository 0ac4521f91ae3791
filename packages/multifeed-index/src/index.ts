// The Holepunch stack ships JavaScript only: its declarations come with this package.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { RangeSet, type Range } from './ranges.js'
export { IndexError, type IndexErrorCode } from './errors.js'
export { EntryReader, JsonText, type EntryReaderOptions, type EntryReaderStats, type ReadResult } from './reader.js'
export type { Entry, IndexState, Feed, MultifeedLike } from './types.js'
export type { IndexDb, DataSublevel, IndexBatch, Version, CursorRecord } from './store.js'
export {
  MultifeedIndex,
  type MultifeedIndexOptions,
  type IndexContext,
  type IndexProgress,
  type InvalidEntry,
  type TruncateEvent
} from './multifeed-index.js'
