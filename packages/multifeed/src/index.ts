// The Holepunch stack ships JavaScript only: its declarations come with this package.
/// <reference types="@kappa-ts/holepunch-types" preserve="true" />
export { Multifeed } from './multifeed.js'
export { STORAGE_VERSION } from './multifeed.js'
export type { Feed, FeedInfo, FeedLengths, FeedState, MultifeedOptions, MultifeedPeer, MultifeedEvents, RemoteFeeds, AcceptInfo, ValueEncoding } from './multifeed.js'
export {
  BLOCK_FORMAT, BLOCK_FORMAT_COMPRESSED, TARGET_BLOCK_BYTES, MAX_ENTRIES_PER_BLOCK, MAX_ENTRY_BYTES, MAX_DECODED_BLOCK_BYTES, COMPRESS_MIN_BYTES,
  BlockFormatError, DecodedBlock, decodeBlock, decodeBlockAsync, compressBlock, compressBlockSync, packBlocks, entrySize,
  type BlockFormatReason, type EncodedEntry
} from './block-format.js'
export { VALUE_ENCODINGS, MAX_JSON_DEPTH, EntryValueError, EntryDecodeError, encodeEntry, decodeEntry, jsonDepthOver } from './entry-encoding.js'
export { MultifeedError } from './errors.js'
export type { MultifeedErrorCode } from './errors.js'
export { PROTOCOL, PROTOCOL_VERSION } from './wire.js'
export { appendEntries, readEntries, type AppendedBlocks } from './entries.js'
export { blockEncryptionKey } from './keys.js'
export { TypedResource, type EventSignatures } from './typed-resource.js'
