/** Error codes thrown by this package. */
export type UmkvErrorCode = 'ERR_INVALID_DOC' | 'ERR_INVALID_KEY'

/** A typed error: `code` says what was wrong; `index` is the position of the bad doc, if any. */
export class UmkvError extends Error {
  readonly code: UmkvErrorCode
  readonly index: number | undefined

  constructor (code: UmkvErrorCode, message: string, index?: number) {
    super(message)
    this.name = 'UmkvError'
    this.code = code
    this.index = index
  }
}
