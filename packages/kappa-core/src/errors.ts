// Typed errors of kappa-core. Callers branch on `code`, never on the message.

export type KappaErrorCode =
  | 'ERR_UNKNOWN_VIEW'      // a view name that was never use()d
  | 'ERR_DUPLICATE_VIEW'    // use() of a name already taken
  | 'ERR_INVALID_VIEW'      // a view object without map(), or an api that is not functions
  | 'ERR_INVALID_NAME'      // a view name that cannot be a LevelDB sublevel name
  | 'ERR_INVALID_OPTIONS'   // constructor options that cannot work together
  | 'ERR_CLOSED'            // any call after close()
  | 'ERR_NOT_READY'         // a view's data read before the view is open (await kappa.ready())
  | 'ERR_VIEW_FAILED'       // a view's map threw: carries the view name, feed and seq
  | 'ERR_INVALID_VALUE'     // Writer.append() of a value JSON cannot encode: nothing appended

export interface KappaErrorDetails {
  view?: string
  feed?: string
  seq?: number
  cause?: unknown
}

export class KappaError extends Error {
  readonly code: KappaErrorCode
  /** The view concerned, when there is one. */
  readonly view?: string
  /** ERR_VIEW_FAILED: the feed (hex key) and seq of the first entry of the failed batch. */
  readonly feed?: string
  readonly seq?: number

  constructor (code: KappaErrorCode, message: string, details: KappaErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'KappaError'
    this.code = code
    if (details.view !== undefined) this.view = details.view
    if (details.feed !== undefined) this.feed = details.feed
    if (details.seq !== undefined) this.seq = details.seq
  }
}

export function closedError (what: string): KappaError {
  return new KappaError('ERR_CLOSED', `${what}: kappa is closed`)
}

export function unknownViewError (name: string): KappaError {
  return new KappaError('ERR_UNKNOWN_VIEW', `no view named "${name}"`, { view: name })
}
