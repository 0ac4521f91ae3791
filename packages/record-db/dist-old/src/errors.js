// Typed errors: every failure a caller can cause has a string `code`, and nothing
// stored changes when one is thrown.
export class RecordDbError extends Error {
    code;
    constructor(code, message) {
        super(message);
        this.name = 'RecordDbError';
        this.code = code;
    }
}
/** A value does not satisfy its schema. Names the schema, the (first) path and rule; `issues` has all. */
export class ValidationError extends RecordDbError {
    schema;
    path;
    rule;
    issues;
    constructor(schema, issues) {
        const first = issues[0] ?? { path: '', rule: 'unknown', message: 'invalid' };
        super('ERR_VALIDATION', `${schema}: ${first.path === '' ? 'value' : first.path} ${first.message} (rule: ${first.rule})`);
        this.name = 'ValidationError';
        this.schema = schema;
        this.path = first.path;
        this.rule = first.rule;
        this.issues = issues;
    }
}
//# sourceMappingURL=errors.js.map