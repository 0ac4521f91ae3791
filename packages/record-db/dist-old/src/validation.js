// JSON Schema validation with ajv, plus the two kappa keywords a property may carry:
// `"index": true` (secondary index) and `"search": true` (full-text index).
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { KAPPA_KEYWORDS } from '@kappa-ts/schemas';
import { RecordDbError, ValidationError } from './errors.js';
// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = (addFormatsModule.default ?? addFormatsModule);
export function createAjv(opts = {}) {
    const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: opts.coerceTypes === true });
    addFormats(ajv);
    for (const keyword of KAPPA_KEYWORDS) {
        ajv.addKeyword({ keyword, schemaType: 'boolean', metaSchema: { type: 'boolean' } });
    }
    return ajv;
}
export function issuesOf(errors) {
    return (errors ?? []).map((e) => {
        // `required` reports the parent object; name the missing property in the path.
        const missing = e.keyword === 'required' ? e.params.missingProperty : undefined;
        return {
            path: missing === undefined ? e.instancePath : `${e.instancePath}/${missing}`,
            rule: e.keyword,
            message: e.message ?? 'is invalid'
        };
    });
}
export function fieldsOf(schema) {
    const index = [];
    const search = [];
    if (schema !== null && typeof schema === 'object' && !Array.isArray(schema)) {
        const props = schema.properties;
        if (props !== null && typeof props === 'object' && !Array.isArray(props)) {
            for (const [name, def] of Object.entries(props)) {
                if (def === null || typeof def !== 'object')
                    continue;
                if (def.index === true)
                    index.push(name);
                if (def.search === true)
                    search.push(name);
            }
        }
    }
    return { index: index.sort(), search: search.sort() };
}
/** Compiles schemas once (by a caller-chosen cache key) and validates values against them. */
export class Validators {
    ajv;
    cache = new Map();
    constructor(opts = {}) {
        this.ajv = createAjv(opts);
    }
    /** Throws ERR_BAD_SCHEMA when `schema` is not a JSON Schema ajv can compile. */
    compile(cacheKey, schema) {
        const hit = this.cache.get(cacheKey);
        if (hit !== undefined)
            return hit;
        let fn;
        try {
            // $id would clash between two versions of one schema in one ajv: compile without it.
            const { $id: _ignored, ...rest } = schema;
            fn = this.ajv.compile(rest);
        }
        catch (err) {
            throw new RecordDbError('ERR_BAD_SCHEMA', `invalid JSON Schema: ${err.message}`);
        }
        if (this.cache.size > 256)
            this.cache.clear();
        this.cache.set(cacheKey, fn);
        return fn;
    }
    /** Throws ValidationError (naming schema, path, rule) unless `value` satisfies `schema`. */
    validate(name, cacheKey, schema, value) {
        const fn = this.compile(cacheKey, schema);
        if (!fn(value))
            throw new ValidationError(name, issuesOf(fn.errors));
    }
}
