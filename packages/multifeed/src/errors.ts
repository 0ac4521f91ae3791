// Every failure the multifeed reports carries a stable string `code`, so callers
// (and the 'peer-error' event) can branch on it without parsing messages.
export type MultifeedErrorCode =
  | 'ERR_BAD_KEY' // a key option or argument is not 32 bytes / 64 hex chars
  | 'ERR_BAD_OPTION' // an option has the wrong type or range
  | 'ERR_BAD_NAME' // writer name is not a non-empty string of at most 256 chars
  | 'ERR_KEY_MISMATCH' // opened with a key different from the one stored on disk
  | 'ERR_CORRUPT' // the persisted feed list is unreadable
  | 'ERR_CLOSED' // the multifeed is closing or closed
  | 'ERR_NOT_READY' // key/discoveryKey read before ready() resolved
  | 'ERR_PROOF' // a peer failed to prove it knows the multifeed key
  | 'ERR_PROTOCOL_VERSION' // a peer speaks an incompatible wire version
  | 'ERR_BAD_MESSAGE' // a peer sent a malformed, oversized or out-of-order message
  | 'ERR_BAD_FEED_KEY' // a peer announced a key that can never be a feed of this set
  | 'ERR_TOO_MANY_FEEDS' // a peer exceeded maxFeedsPerMessage or pushed us past maxFeeds
  | 'ERR_STORAGE' // a feed a peer announced could not be stored or opened here
  | 'ERR_FORMAT_VERSION' // the storage was written in another log format version
  | 'ERR_BLOCK_FORMAT' // a block is not a well-formed packed block (BlockFormatError, with a reason)
  | 'ERR_INVALID_VALUE' // a value the feeds' valueEncoding cannot store
  | 'ERR_ENTRY_DECODE' // an entry that is not valid in the feeds' valueEncoding, or over its limits
  | 'ERR_HANDSHAKE_TIMEOUT' // a connection did not prove the key within handshakeTimeout
  | 'ERR_BAD_PROOF' // a peer sent a bulk feed proof that does not verify against the feed key
  | 'ERR_FRAME_TOO_LARGE' // a peer announced a transport frame over maxFrameBeforeProof before proving the key

export class MultifeedError extends Error {
  readonly code: MultifeedErrorCode
  constructor (code: MultifeedErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = 'MultifeedError'
    this.code = code
  }
}
