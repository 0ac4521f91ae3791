// Typed errors of @kappa-ts/level. Callers branch on `code`, never on the message.
// abstract-level wraps some of them: an error of opening reaches the caller as
// abstract-level's LEVEL_DATABASE_NOT_OPEN with this error as its `cause`.

export type KappaLevelErrorCode =
  | 'ERR_INVALID_OPTIONS' // constructor options that cannot work (storage not a path, a bad key)
  | 'ERR_STORAGE_MISSING' // open({ createIfMissing: false }) and there is no database at storage
  | 'ERR_STORAGE_EXISTS'  // open({ errorIfExists: true }) and there is a database at storage
  | 'ERR_NOT_OPEN'        // db.kappa read before the database was first opened
  | 'ERR_TOO_LARGE'       // one put whose key and value cannot fit in a log entry
  | 'ERR_NOT_INDEXED'     // a write was appended to the log, but the view stopped before applying it
  | 'ERR_CLOSED'          // the database closed while a write waited to be applied

export class KappaLevelError extends Error {
  readonly code: KappaLevelErrorCode

  constructor (code: KappaLevelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'KappaLevelError'
    this.code = code
  }
}
