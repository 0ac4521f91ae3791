// App schemas: the record types an application fixes in its code (RecordDBOptions.schemas).
// No peer can redefine them (a `core/schema` record of the same name changes nothing), so
// their versions are checked when indexed, the same way on every peer that runs the app:
// a version that breaks its app schema is skipped and recorded, as a malformed envelope is.
// Besides the value's JSON Schema, a definition may fix the envelope: how the id is chosen
// (the author's feed key, or a field of the value) and whether versions are ever replaced.
import { builtinSchemas, type Envelope, type JsonSchema } from '@kappa-ts/schemas'
import { RecordDbError } from './errors.js'
import { checkSchemaName, fieldsOf, issuesOf, Validators, type FieldConfig } from './validation.js'

export interface AppSchema {
  /** The JSON Schema every value satisfies (draft-07 with the kappa keywords). */
  schema: JsonSchema
  /**
   * How a record's id is fixed. 'author': the writer's feed key, so each author has one
   * record of the schema and nobody else writes it (a profile, a nickname). `{ field }`: the
   * value's top-level string `field` (a natural key: a channel's topic under the channel's
   * name). Absent: any id.
   */
  id?: 'author' | { field: string }
  /**
   * Versions are never replaced nor deleted: each is a put without links (messages, events).
   * No writer can then hide or change another's records.
   */
  appendOnly?: boolean
}

interface Compiled { def: AppSchema; fields: FieldConfig; cacheKey: string }

export class AppSchemas {
  private readonly defs = new Map<string, Compiled>()
  private readonly validators = new Validators()

  /** Throws ERR_BAD_OPTION, ERR_RESERVED_SCHEMA, ERR_UNKNOWN_SCHEMA (a bad name), ERR_BAD_SCHEMA or ERR_BAD_PATTERN. */
  constructor (defs: Record<string, AppSchema> = {}) {
    if (defs === null || typeof defs !== 'object' || Array.isArray(defs)) throw new RecordDbError('ERR_BAD_OPTION', 'schemas maps schema names to { schema, id?, appendOnly? }')
    for (const [name, def] of Object.entries(defs)) {
      checkSchemaName(name)
      if (Object.hasOwn(builtinSchemas, name)) throw new RecordDbError('ERR_RESERVED_SCHEMA', `${name} is a built-in schema`)
      if (def === null || typeof def !== 'object' || def.schema === null || typeof def.schema !== 'object' || Array.isArray(def.schema)) {
        throw new RecordDbError('ERR_BAD_OPTION', `schemas["${name}"] needs { schema: <a JSON Schema object> }`)
      }
      const id = def.id
      const idOk = id === undefined || id === 'author' || (id !== null && typeof id === 'object' && typeof id.field === 'string' && id.field !== '')
      if (!idOk) throw new RecordDbError('ERR_BAD_OPTION', `schemas["${name}"].id is 'author' or { field: '<a top-level property>' }`)
      if (def.appendOnly !== undefined && typeof def.appendOnly !== 'boolean') throw new RecordDbError('ERR_BAD_OPTION', `schemas["${name}"].appendOnly is a boolean`)
      const cacheKey = `app:${name}`
      this.validators.compile(cacheKey, def.schema, name) // ERR_BAD_SCHEMA / ERR_BAD_PATTERN now, not on the first record
      this.defs.set(name, { def, fields: fieldsOf(def.schema), cacheKey })
    }
  }

  get size (): number { return this.defs.size }
  has (name: string): boolean { return this.defs.has(name) }
  names (): string[] { return [...this.defs.keys()] }
  schema (name: string): JsonSchema | undefined { return this.defs.get(name)?.def.schema }
  /** The indexed, searchable and compound fields: the app's definition's, whatever peers define. */
  fields (name: string): FieldConfig | undefined { return this.defs.get(name)?.fields }
  appendOnly (name: string): boolean { return this.defs.get(name)?.def.appendOnly === true }

  /** What the definitions are, as text: a change of them is a change of what the records view keeps. */
  describe (): string {
    return JSON.stringify([...this.defs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, c]) => [name, c.def.schema, c.def.id ?? null, c.def.appendOnly === true]))
  }

  /** Throws ValidationError unless `value` satisfies the app's definition of `name`. */
  validate (name: string, value: unknown): void {
    const c = this.defs.get(name) as Compiled
    this.validators.validate(name, c.cacheKey, c.def.schema, value)
  }

  /**
   * The id a write of `name` uses: the given one, or the one the schema fixes. Throws
   * ERR_BAD_ID when a given id is not the one the schema fixes, ERR_APPEND_ONLY for a
   * delete of an append-only record. Call after validate() (a put's field is a string then).
   */
  writeId (name: string, op: 'put' | 'del', givenId: string | undefined, value: unknown, writerKey: string): string | undefined {
    const { def } = this.defs.get(name) as Compiled
    if (def.appendOnly === true && op === 'del') throw new RecordDbError('ERR_APPEND_ONLY', `${name} records are never deleted`)
    let fixed: string | undefined
    if (def.id === 'author') fixed = writerKey
    else if (def.id !== undefined && op === 'put') {
      const v = (value as Record<string, unknown>)[def.id.field]
      if (typeof v !== 'string') throw new RecordDbError('ERR_BAD_ID', `a ${name} record's id is its "${def.id.field}", which must be a string`)
      fixed = v
    }
    if (fixed !== undefined && givenId !== undefined && givenId !== fixed) {
      throw new RecordDbError('ERR_BAD_ID', def.id === 'author'
        ? `a ${name} record's id is its author's feed key (${fixed})`
        : `a ${name} record's id is its "${(def.id as { field: string }).field}" (${JSON.stringify(fixed)})`)
    }
    return givenId ?? fixed
  }

  /** Why a stored version of an app schema breaks its definition (then it is not indexed), or null. */
  problem (env: Envelope, feed: string): string | null {
    const c = this.defs.get(env.schema)
    if (c === undefined) return null
    const { def } = c
    if (def.appendOnly === true) {
      if (env.op === 'del') return `${env.schema} records are never deleted`
      if (env.links.length > 0) return `${env.schema} records are never replaced (this version links others)`
    }
    if (def.id === 'author' && env.id !== feed) return `a ${env.schema} record of another author (its id is not its feed key)`
    if (env.op !== 'put') return null
    const fn = this.validators.compile(c.cacheKey, def.schema, env.schema)
    if (!fn(env.value)) {
      const e = issuesOf(fn.errors)[0]
      return `invalid ${env.schema}: ${e === undefined ? 'value' : `${e.path === '' ? 'value' : e.path} ${e.message}`}`
    }
    if (def.id !== undefined && def.id !== 'author' && (env.value as Record<string, unknown>)[def.id.field] !== env.id) {
      return `a ${env.schema} record whose id is not its "${def.id.field}"`
    }
    return null
  }
}
