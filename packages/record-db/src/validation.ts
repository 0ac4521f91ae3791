// JSON Schema validation with ajv, plus the two kappa keywords a property may carry:
// `"index": true` (secondary index) and `"search": true` (full-text index).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { KAPPA_KEYWORDS, type JsonSchema } from '@kappa-ts/schemas'
import { RecordDbError, ValidationError, type ValidationIssue } from './errors.js'

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv

export function createAjv (opts: { coerceTypes?: boolean } = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: opts.coerceTypes === true })
  addFormats(ajv)
  for (const keyword of KAPPA_KEYWORDS) {
    ajv.addKeyword({ keyword, schemaType: 'boolean', metaSchema: { type: 'boolean' } })
  }
  return ajv
}

export function issuesOf (errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    // `required` reports the parent object; name the missing property in the path.
    const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined
    return {
      path: missing === undefined ? e.instancePath : `${e.instancePath}/${missing}`,
      rule: e.keyword,
      message: e.message ?? 'is invalid'
    }
  })
}

/** Which top-level properties a schema marks indexed / searchable. */
export interface FieldConfig { index: string[]; search: string[] }

export function fieldsOf (schema: unknown): FieldConfig {
  const index: string[] = []
  const search: string[] = []
  if (schema !== null && typeof schema === 'object' && !Array.isArray(schema)) {
    const props = (schema as { properties?: unknown }).properties
    if (props !== null && typeof props === 'object' && !Array.isArray(props)) {
      for (const [name, def] of Object.entries(props as Record<string, unknown>)) {
        if (def === null || typeof def !== 'object') continue
        if ((def as { index?: unknown }).index === true) index.push(name)
        if ((def as { search?: unknown }).search === true) search.push(name)
      }
    }
  }
  return { index: index.sort(), search: search.sort() }
}

/** Compiles schemas once (by a caller-chosen cache key) and validates values against them. */
export class Validators {
  private readonly ajv: Ajv
  private readonly cache = new Map<string, ValidateFunction>()

  constructor (opts: { coerceTypes?: boolean } = {}) {
    this.ajv = createAjv(opts)
  }

  /** Throws ERR_BAD_SCHEMA when `schema` is not a JSON Schema ajv can compile. */
  compile (cacheKey: string, schema: JsonSchema): ValidateFunction {
    const hit = this.cache.get(cacheKey)
    if (hit !== undefined) return hit
    let fn: ValidateFunction
    try {
      // $id would clash between two versions of one schema in one ajv: compile without it.
      const { $id: _ignored, ...rest } = schema
      fn = this.ajv.compile(rest)
    } catch (err) {
      throw new RecordDbError('ERR_BAD_SCHEMA', `invalid JSON Schema: ${(err as Error).message}`)
    }
    if (this.cache.size > 256) this.cache.clear()
    this.cache.set(cacheKey, fn)
    return fn
  }

  /** Throws ValidationError (naming schema, path, rule) unless `value` satisfies `schema`. */
  validate (name: string, cacheKey: string, schema: JsonSchema, value: unknown): void {
    const fn = this.compile(cacheKey, schema)
    if (!fn(value)) throw new ValidationError(name, issuesOf(fn.errors))
  }
}
