// Typed errors: every failure a caller can cause has a string `code`, and nothing
// stored changes when one is thrown.
import { CodedError } from '@kappa-ts/kappa-core'

export type RecordDbErrorCode =
  | 'ERR_VALIDATION'
  | 'ERR_UNKNOWN_SCHEMA'
  | 'ERR_BAD_SCHEMA'
  | 'ERR_BAD_PATTERN'
  | 'ERR_RESERVED_SCHEMA'
  | 'ERR_NOT_FOUND'
  | 'ERR_NOT_INDEXED'
  | 'ERR_BAD_QUERY'
  | 'ERR_BAD_ID'
  | 'ERR_BAD_KEY'
  | 'ERR_BAD_OPTION'
  | 'ERR_BATCH'
  | 'ERR_MODE_MISMATCH'
  | 'ERR_ROOT_KEY'
  | 'ERR_CLOSED'
  | 'ERR_IMPORT'
  | 'ERR_STORAGE'
  | 'ERR_REVOKE_ROOT'
  | 'ERR_OUTPUT'
  | 'ERR_TOO_BIG'
  | 'ERR_APPEND_ONLY'

export class RecordDbError extends CodedError<RecordDbErrorCode> {}

/** One failed rule of a JSON Schema, as ajv reports it. */
export interface ValidationIssue {
  /** JSON pointer into the value, '' for the value itself (e.g. '/text'). */
  path: string
  /** The JSON Schema keyword that failed (e.g. 'maxLength', 'required', 'type'). */
  rule: string
  message: string
}

/** A value does not satisfy its schema. Names the schema, the (first) path and rule; `issues` has all. */
export class ValidationError extends RecordDbError {
  readonly schema: string
  readonly path: string
  readonly rule: string
  readonly issues: ValidationIssue[]
  constructor (schema: string, issues: ValidationIssue[]) {
    const first = issues[0] ?? { path: '', rule: 'unknown', message: 'invalid' }
    super('ERR_VALIDATION', `${schema}: ${first.path === '' ? 'value' : first.path} ${first.message} (rule: ${first.rule})`)
    this.name = 'ValidationError'
    this.schema = schema
    this.path = first.path
    this.rule = first.rule
    this.issues = issues
  }
}
