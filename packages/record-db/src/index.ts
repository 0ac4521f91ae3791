export { RecordDB, newId, MAX_BATCH } from './record-db.js'
export type {
  Mode, RecordDBOptions, BatchOptions, RecordVersion, BatchOp, ListOptions, Range, Where, QueryOptions, SearchOptions,
  SearchHit, FeedStatus, RecordDBStatus, RecordChange, CountOptions, ValuesOptions, AppSchema, IndexValue
} from './record-db.js'
export { winner, compareVersions } from './versions.js'
export { jsonSize } from './size.js'
export { RecordDbError, ValidationError } from './errors.js'
export type { RecordDbErrorCode, ValidationIssue } from './errors.js'
export { computeLimits } from './auth.js'
export type { AuthOp, AuthLimits } from './auth.js'
export { tokenize, termsOf, bm25Term, idf } from './text.js'
export { createAjv, fieldsOf, Validators } from './validation.js'
export type { FieldConfig } from './validation.js'
export { parseRows, formatOfPath, IMPORT_FORMATS } from './parsers.js'
export type { ImportFormat, ImportRow } from './parsers.js'
export { importRows } from './import.js'
export type { ImportSummary, ImportOptions } from './import.js'
export { recordsView } from './records-view.js'
