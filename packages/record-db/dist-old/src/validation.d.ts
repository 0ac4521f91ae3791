import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type JsonSchema } from '@kappa-ts/schemas';
import { type ValidationIssue } from './errors.js';
export declare function createAjv(opts?: {
    coerceTypes?: boolean;
}): Ajv;
export declare function issuesOf(errors: ErrorObject[] | null | undefined): ValidationIssue[];
/** Which top-level properties a schema marks indexed / searchable. */
export interface FieldConfig {
    index: string[];
    search: string[];
}
export declare function fieldsOf(schema: unknown): FieldConfig;
/** Compiles schemas once (by a caller-chosen cache key) and validates values against them. */
export declare class Validators {
    private readonly ajv;
    private readonly cache;
    constructor(opts?: {
        coerceTypes?: boolean;
    });
    /**
     * Throws ERR_BAD_SCHEMA when `schema` is not a JSON Schema ajv can compile,
     * ERR_BAD_PATTERN when one of its patterns is not one RE2 runs. `name` labels
     * the error.
     */
    compile(cacheKey: string, schema: JsonSchema, name?: string): ValidateFunction;
    /** Throws ValidationError (naming schema, path, rule) unless `value` satisfies `schema`. */
    validate(name: string, cacheKey: string, schema: JsonSchema, value: unknown): void;
}
//# sourceMappingURL=validation.d.ts.map