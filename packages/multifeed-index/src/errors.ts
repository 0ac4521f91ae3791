// Every failure the index reports carries a stable string `code`.
import type { Address } from './types.js'

export type IndexErrorCode =
  | 'ERR_MAP_FAILED' // the consumer's map (or truncate) threw or rejected; `feed`/`address` say where
  | 'ERR_STORAGE' // reading the logs or committing to LevelDB failed
  | 'ERR_CORRUPT' // stored index state is unreadable
  | 'ERR_BAD_OPTION' // an option has the wrong type or range
  | 'ERR_NOT_OPEN' // `data` was read before the index had opened (await ready())
  | 'ERR_CLOSED' // the index is closing or closed

export class IndexError extends Error {
  readonly code: IndexErrorCode
  /** Feed key (hex) of the first entry of the failed batch, when known. */
  readonly feed?: string
  /** Address of the first entry of the failed batch (for a truncation: the new length as block), when known. */
  readonly address?: Address

  constructor (code: IndexErrorCode, message: string, where?: { feed?: string; address?: Address; cause?: unknown }) {
    super(`${code}: ${message}`, where?.cause !== undefined ? { cause: where.cause } : undefined)
    this.name = 'IndexError'
    this.code = code
    if (where?.feed !== undefined) this.feed = where.feed
    if (where?.address !== undefined) this.address = where.address
  }
}
