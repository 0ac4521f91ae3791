// Typed errors of kappa-core. Callers branch on `code`, never on the message.
import type { Address } from '@kappa-ts/multifeed-index'

export type KappaErrorCode =
  | 'ERR_UNKNOWN_VIEW'      // a view name that was never use()d
  | 'ERR_DUPLICATE_VIEW'    // use() of a name already taken
  | 'ERR_INVALID_VIEW'      // a view object without map(), or an api that is not functions
  | 'ERR_INVALID_NAME'      // a view name that cannot be a LevelDB sublevel name
  | 'ERR_INVALID_OPTIONS'   // constructor options that cannot work together
  | 'ERR_CLOSED'            // any call after close()
  | 'ERR_NOT_READY'         // a view's data read before the view is open (await kappa.ready())
  | 'ERR_VIEW_FAILED'       // a view's map threw: carries the view name, feed and address
  | 'ERR_INVALID_VALUE'     // Writer.append() of a value the feeds' encoding cannot store: nothing appended
  | 'ERR_INVALID_ADDRESS'   // kappa.entry() with a feed key or address that is not well-formed
  | 'ERR_INVALID_ENTRY'     // kappa.entry() of a block or entry that is not readable (malformed)
  | 'ERR_BAD_MESSAGE'       // a peer sent a malformed status message: its stream is destroyed with this error
  | 'ERR_HANDSHAKE_TIMEOUT' // a peer did not open the status channel within a transport's handshake timeout

/**
 * An Error with a machine-readable `code`: the base of the typed errors of kappa-core and of the
 * packages above it (record-db, the view suite, apps). `name` is the subclass's name.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C

  constructor (code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
  }
}

export interface KappaErrorDetails {
  view?: string
  feed?: string
  address?: Address
  cause?: unknown
}

export class KappaError extends CodedError<KappaErrorCode> {
  /** The view concerned, when there is one. */
  readonly view?: string
  /** ERR_VIEW_FAILED: the feed (hex key) and address of the first entry of the failed batch. */
  readonly feed?: string
  readonly address?: Address

  constructor (code: KappaErrorCode, message: string, details: KappaErrorDetails = {}) {
    super(code, message, details)
    if (details.view !== undefined) this.view = details.view
    if (details.feed !== undefined) this.feed = details.feed
    if (details.address !== undefined) this.address = details.address
  }
}

export function closedError (what: string): KappaError {
  return new KappaError('ERR_CLOSED', `${what}: kappa is closed`)
}

export function unknownViewError (name: string): KappaError {
  return new KappaError('ERR_UNKNOWN_VIEW', `no view named "${name}"`, { view: name })
}
