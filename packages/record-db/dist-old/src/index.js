export { RecordDB, newId, MAX_BATCH } from './record-db.js';
export { RecordDbError, ValidationError } from './errors.js';
export { computeLimits } from './auth.js';
export { tokenize, termsOf, bm25Term, idf } from './text.js';
export { createAjv, fieldsOf, Validators } from './validation.js';
export { parseRows, formatOfPath, IMPORT_FORMATS } from './parsers.js';
export { importRows } from './import.js';
export { recordsView } from './records-view.js';
//# sourceMappingURL=index.js.map