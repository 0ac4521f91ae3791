// JSON Schema validation with ajv, plus the two kappa keywords a property may carry:
// `"index": true` (secondary index) and `"search": true` (full-text index), and the one
// a schema may carry at its top level: `"indexes": [["a", "b"]]` (compound indexes).
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { RE2JS } from 're2js'
import { KAPPA_KEYWORDS, KAPPA_SCHEMA_KEYWORDS, type JsonSchema } from '@kappa-ts/schemas'
import { RecordDbError, ValidationError, type ValidationIssue } from './errors.js'

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv

type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>

/** A schema `pattern` RE2 cannot run: lookaround and backreferences are not regular. */
class UnsupportedPattern extends Error {
  constructor (readonly pattern: string, reason: string) {
    super(reason)
  }
}

/**
 * ajv's `code.regExp`: every `pattern` and `patternProperties` key runs on RE2
 * (re2js, pure JS), which matches in time linear in the input whatever the
 * pattern. JavaScript's backtracking RegExp took exponential time on `^(a+)+$`
 * against 34 a's and a b: anyone whose schema counts could freeze every writer.
 * RE2 has no lookaround or backreferences; such a pattern is refused when the
 * schema is compiled (ERR_BAD_PATTERN).
 */
const linearRegExp: RegExpEngine = Object.assign((pattern: string) => {
  let re: RE2JS
  try {
    if (hasNamedBackreference(pattern)) throw new Error('backreferences are not supported')
    // JSON Schema patterns are ECMA-262: re2js rewrites the JS-only syntax (\uXXXX,
    // \u{...}, \cX, [^], (?<name>...)) into RE2's.
    re = RE2JS.compile(RE2JS.translateRegExp(pattern))
  } catch (err) {
    throw new UnsupportedPattern(pattern, (err as Error).message)
  }
  // ajv keys compiled patterns by toString(): keep it distinct per pattern.
  return { test: (text: string) => re.test(text), toString: () => `re2:${pattern}` }
}, { code: 'linearRegExp' /* only read by ajv's standalone code, which we do not use */ })

export function createAjv (opts: { coerceTypes?: boolean } = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: opts.coerceTypes === true, code: { regExp: linearRegExp } })
  addFormats(ajv)
  for (const keyword of KAPPA_KEYWORDS) {
    ajv.addKeyword({ keyword, schemaType: 'boolean', metaSchema: { type: 'boolean' } })
  }
  for (const keyword of KAPPA_SCHEMA_KEYWORDS) {
    ajv.addKeyword({ keyword, schemaType: 'array', metaSchema: INDEXES_META })
  }
  return ajv
}

/** Throws ERR_UNKNOWN_SCHEMA unless `name` is a schema name (what the envelope allows). */
export function checkSchemaName (name: unknown): asserts name is string {
  const ok = typeof name === 'string' && name.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(name)
  if (!ok) throw new RecordDbError('ERR_UNKNOWN_SCHEMA', `invalid schema name ${JSON.stringify(name)}`)
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

/** Most compound indexes one definition declares, and most fields in one. */
export const MAX_COMPOUND_INDEXES = 16
export const MAX_COMPOUND_FIELDS = 4

/** What `"indexes"` may hold: compound indexes of 2..4 top-level property names. */
const INDEXES_META = {
  type: 'array',
  maxItems: MAX_COMPOUND_INDEXES,
  items: { type: 'array', minItems: 2, maxItems: MAX_COMPOUND_FIELDS, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 256 } }
}

/**
 * Which top-level properties a schema marks indexed / searchable, and its compound
 * indexes (each a list of property names, in index order). Every list is sorted.
 */
export interface FieldConfig { index: string[]; search: string[]; compound?: string[][] }

/** The compound indexes `"indexes"` declares; what does not fit INDEXES_META (a peer's definition) is left out. */
function compoundOf (indexes: unknown): string[][] {
  if (!Array.isArray(indexes)) return []
  const out = new Map<string, string[]>()
  for (const fields of indexes.slice(0, MAX_COMPOUND_INDEXES)) {
    if (!Array.isArray(fields) || fields.length < 2 || fields.length > MAX_COMPOUND_FIELDS) continue
    if (!fields.every((f) => typeof f === 'string' && f.length > 0 && f.length <= 256)) continue
    if (new Set(fields).size !== fields.length) continue
    out.set(compoundName(fields as string[]), fields as string[])
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f)
}

/** A compound index's name in keys: its fields as JSON (which escapes every control character). */
export function compoundName (fields: string[]): string {
  return JSON.stringify(fields)
}

export function fieldsOf (schema: unknown): FieldConfig {
  const index: string[] = []
  const search: string[] = []
  let compound: string[][] = []
  if (schema !== null && typeof schema === 'object' && !Array.isArray(schema)) {
    compound = compoundOf((schema as { indexes?: unknown }).indexes)
    const props = (schema as { properties?: unknown }).properties
    if (props !== null && typeof props === 'object' && !Array.isArray(props)) {
      for (const [name, def] of Object.entries(props as Record<string, unknown>)) {
        if (def === null || typeof def !== 'object') continue
        if ((def as { index?: unknown }).index === true) index.push(name)
        if ((def as { search?: unknown }).search === true) search.push(name)
      }
    }
  }
  const config: FieldConfig = { index: index.sort(), search: search.sort() }
  if (compound.length > 0) config.compound = compound
  return config
}

/** Compiles schemas once (by a caller-chosen cache key) and validates values against them. */
export class Validators {
  private readonly ajv: Ajv
  private readonly cache = new Map<string, ValidateFunction>()

  constructor (opts: { coerceTypes?: boolean } = {}) {
    this.ajv = createAjv(opts)
  }

  /**
   * Throws ERR_BAD_SCHEMA when `schema` is not a JSON Schema ajv can compile,
   * ERR_BAD_PATTERN when one of its patterns is not one RE2 runs. `name` labels
   * the error.
   */
  compile (cacheKey: string, schema: JsonSchema, name = 'schema'): ValidateFunction {
    const hit = this.cache.get(cacheKey)
    if (hit !== undefined) return hit
    let fn: ValidateFunction
    try {
      // $id would clash between two versions of one schema in one ajv: compile without it.
      const { $id: _ignored, ...rest } = schema
      fn = this.ajv.compile(rest)
    } catch (err) {
      if (err instanceof UnsupportedPattern) {
        const at = patternPath(schema, err.pattern)
        throw new RecordDbError('ERR_BAD_PATTERN', `${name}: pattern ${JSON.stringify(err.pattern)}${at === null ? '' : ` at ${at}`} is not supported (patterns run on RE2, in linear time: no lookaround or backreferences): ${err.message}`)
      }
      throw new RecordDbError('ERR_BAD_SCHEMA', `invalid JSON Schema: ${(err as Error).message}`)
    }
    if (this.cache.size > 256) this.cache.clear()
    this.cache.set(cacheKey, fn)
    return fn
  }

  /** Throws ValidationError (naming schema, path, rule) unless `value` satisfies `schema`. */
  validate (name: string, cacheKey: string, schema: JsonSchema, value: unknown): void {
    const fn = this.compile(cacheKey, schema, name)
    if (!fn(value)) throw new ValidationError(name, issuesOf(fn.errors))
  }
}

/**
 * Whether `pattern` holds a `\k<name>` backreference outside a character class.
 * RE2 refuses numbered ones itself; re2js's translation would turn this one into
 * the literal text "k<name>", so it is caught here.
 */
function hasNamedBackreference (pattern: string): boolean {
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === '\\') {
      if (!inClass && pattern[i + 1] === 'k' && pattern[i + 2] === '<') return true
      i++ // the escaped character, whatever it is
    } else if (ch === '[') {
      inClass = true
    } else if (ch === ']') {
      inClass = false
    }
  }
  return false
}

/**
 * The JSON pointer (into the schema) of the first `pattern` keyword or
 * `patternProperties` key equal to `pattern`, or null. Iterative, so a deeply
 * nested schema cannot overflow the stack.
 */
function patternPath (schema: unknown, pattern: string): string | null {
  const stack: Array<[unknown, string]> = [[schema, '']]
  const escape = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1')
  while (stack.length > 0) {
    const [node, at] = stack.pop() as [unknown, string]
    if (node === null || typeof node !== 'object') continue
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node)
    for (const [k, v] of entries) {
      if (k === 'pattern' && v === pattern) return `${at}/pattern`
      if (k === 'patternProperties' && v !== null && typeof v === 'object' && Object.hasOwn(v, pattern)) {
        return `${at}/patternProperties/${escape(pattern)}`
      }
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, v] = entries[i] as readonly [string, unknown]
      stack.push([v, `${at}/${escape(k)}`])
    }
  }
  return null
}
