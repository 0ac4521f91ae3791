// The records view: ONE kappa view that keeps, atomically with its cursors,
//   - every version of every record (v), the heads of each record over all versions (h, k),
//   - the secondary index of indexed fields (i) and the full-text postings (t, n),
//   - the authorization ops of `core/source` records (a).
// It indexes every feed, authorized or not: whether a version counts is decided at
// query time from the current authorization limits (see auth.ts), so an authorization
// that arrives later makes earlier records visible with no reindex, and every peer
// agrees whatever order records arrived in.
//
// Which fields are indexed is the union over every version of the schema's definition
// seen so far (order-independent). When a definition adds fields, the versions of that
// schema already indexed are fixed up in the same batch. App schemas (RecordDBOptions.schemas)
// are fixed by the app instead: their fields are the app's, and a version that breaks its
// app schema is skipped and recorded like a malformed envelope (the view's version names
// the app's definitions, so changing them rebuilds the view).
import type { Address, View, ViewBatch, ViewContext, ViewDb, Entry } from '@kappa-ts/kappa-core'
import { envelopeSchema, type Envelope } from '@kappa-ts/schemas'
import { createHash } from 'node:crypto'
import type { AppSchemas } from './app-schemas.js'
import { jsonSize } from './size.js'
import { compoundName, createAjv, fieldsOf, type FieldConfig } from './validation.js'
import { termsOf } from './text.js'
import {
  authKey, compoundKey, encodeValue, fieldsKey, headsKey, indexKey, isIndexValue, linkedKey, postingKey, ref,
  statsKey, under, versionKey, wellFormed, type IndexValue
} from './layout.js'

/** What the view stores for one version of a record. */
export interface StoredVersion {
  feed: string
  address: Address
  op: 'put' | 'del'
  value?: unknown
  timestamp: number
  links: string[]
  /** Searchable length (tokens) of the value when it was indexed. */
  dl?: number
}

export interface TextStats { docs: number; length: number }
/** A full-text posting's value: [term frequency, searchable length of the version]. */
export type Posting = [number, number]

export const SCHEMA_TYPE = 'core/schema'
export const SOURCE_TYPE = 'core/source'
const HEX_KEY = /^[0-9a-f]{64}$/
const MAX_INDEXED_ARRAY = 64

const checkEnvelope = createAjv().compile(envelopeSchema)

export function isEnvelope (value: unknown): value is Envelope {
  return checkEnvelope(value)
}

/** Why a value is not an envelope (the first rule it breaks), or null. */
export function notEnvelope (value: unknown): string | null {
  if (checkEnvelope(value)) return null
  const e = checkEnvelope.errors?.[0]
  return e === undefined ? 'not a record envelope' : `not a record envelope: ${e.instancePath === '' ? '' : e.instancePath + ' '}${e.message ?? 'is invalid'}`
}

/** What, besides the envelope schema, decides whether a stored entry is a record the view keeps. */
export interface RecordRules {
  /** The app's fixed schemas (their versions are checked against them). */
  app?: AppSchemas
  /** Most characters of JSON an entry may take (jsonSize); a bigger one is skipped. */
  maxRecordSize?: number
}

/**
 * Why the records view skips an entry (and reports no change for it), or null: over the
 * size limit, not an envelope, or breaking the app's definition of its schema. The size
 * is checked first: it costs what the limit allows, the JSON Schema checks what the entry holds.
 */
export function recordProblem (value: unknown, feed: string, rules: RecordRules): string | null {
  const max = rules.maxRecordSize
  if (max !== undefined && jsonSize(value, max) > max) return `a record over ${max} characters of JSON`
  const bad = notEnvelope(value)
  if (bad !== null) return bad
  return rules.app?.problem(value as Envelope, feed) ?? null
}

/** The records view's version: 4, plus what the rules are when the app sets any. */
export function viewVersion (rules: RecordRules): number | string {
  const app = rules.app !== undefined && rules.app.size > 0 ? rules.app.describe() : ''
  if (app === '' && rules.maxRecordSize === undefined) return 4
  const digest = createHash('sha256').update(JSON.stringify([app, rules.maxRecordSize ?? null])).digest('hex').slice(0, 16)
  return `4:${digest}`
}

/** A field config's lists as sets (and its compound indexes by first field), built once per config object. */
const fieldSets = new WeakMap<FieldConfig, { index: Set<string>; search: Set<string>; compound: Map<string, string[][]> }>()

/**
 * The fields of `list` (sorted, as every FieldConfig list is) that `value` has,
 * in the same order. Costs what the smaller of the two costs: the union of
 * every definition of a schema can be long (any peer's definition widens it,
 * 3,000 fields from an unauthorized one made every record cost 3,000 lookups),
 * while a record only has its own few fields.
 */
function present (value: object, list: string[], set: Set<string>): string[] {
  const own = Object.keys(value)
  if (list.length <= own.length) return list.filter((f) => Object.hasOwn(value, f))
  return own.filter((f) => set.has(f)).sort()
}

/** The keys a version adds to the secondary and full-text indexes under `cfg`. */
export function derive (schema: string, id: string, r: string, value: unknown, cfg: FieldConfig): { index: string[]; postings: Map<string, Posting>; dl: number } {
  const index = new Set<string>()
  let search: string[] = []
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    let sets = fieldSets.get(cfg)
    if (sets === undefined) fieldSets.set(cfg, sets = { index: new Set(cfg.index), search: new Set(cfg.search), compound: byFirstField(cfg.compound ?? []) })
    for (const field of present(value, cfg.index, sets.index)) {
      const v = (value as Record<string, unknown>)[field]
      // ill-formed text (a lone surrogate) is not indexed: as a key it would be another string's
      const values: IndexValue[] = (Array.isArray(v) ? v.slice(0, MAX_INDEXED_ARRAY) : [v]).filter(indexable)
      for (const x of values) index.add(indexKey(schema, field, encodeValue(x), id, r))
    }
    // Compound indexes take one value per field: an entry only when every field holds a single value.
    if (sets.compound.size > 0) {
      for (const first of Object.keys(value)) {
        for (const fields of sets.compound.get(first) ?? []) {
          const vals = fields.map((f) => (Object.hasOwn(value, f) ? (value as Record<string, unknown>)[f] : undefined))
          if (vals.every(isIndexValue)) index.add(compoundKey(schema, compoundName(fields), (vals as IndexValue[]).map(encodeValue), id, r))
        }
      }
    }
    search = present(value, cfg.search, sets.search)
  }
  const { tf, length } = termsOf(value, search)
  const postings = new Map<string, Posting>()
  for (const [term, n] of tf) postings.set(postingKey(term, schema, id, r), [n, length])
  return { index: [...index], postings, dl: length }
}

const indexable = (v: unknown): v is IndexValue => isIndexValue(v) && (typeof v !== 'string' || wellFormed(v))

/** Compound indexes by their first field: a record costs its own fields' lookups, not the union's length. */
function byFirstField (compound: string[][]): Map<string, string[][]> {
  const out = new Map<string, string[][]>()
  for (const fields of compound) {
    const first = fields[0] as string
    out.set(first, [...(out.get(first) ?? []), fields])
  }
  return out
}

function unionFields (a: FieldConfig, b: FieldConfig): FieldConfig {
  const out: FieldConfig = {
    index: [...new Set([...a.index, ...b.index])].sort(),
    search: [...new Set([...a.search, ...b.search])].sort()
  }
  const compound = new Map<string, string[]>()
  for (const fields of [...(a.compound ?? []), ...(b.compound ?? [])]) compound.set(compoundName(fields), fields)
  if (compound.size > 0) out.compound = [...compound.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, f]) => f)
  return out
}

const compoundText = (c: FieldConfig): string => (c.compound ?? []).map(compoundName).join('\x00')

const sameFields = (a: FieldConfig, b: FieldConfig): boolean =>
  a.index.join('\x00') === b.index.join('\x00') && a.search.join('\x00') === b.search.join('\x00') && compoundText(a) === compoundText(b)

/** Reads through to the db once per key, then serves and collects this batch's writes. */
class BatchState {
  readonly heads = new Map<string, Set<string> | null>() // headsKey -> heads (null = not loaded yet)
  readonly dirtyHeads = new Set<string>()
  readonly linked = new Set<string>()
  readonly stats = new Map<string, TextStats>()
  readonly fields = new Map<string, FieldConfig>()
  constructor (readonly db: ViewDb, readonly batch: ViewBatch, readonly app: AppSchemas | undefined) {}

  async load (entries: Array<{ env: Envelope; r: string }>): Promise<void> {
    const headKeys = [...new Set(entries.map(({ env }) => headsKey(env.schema, env.id)))]
    const linkKeys = entries.map(({ env, r }) => linkedKey(env.schema, env.id, r))
    const schemas = [...new Set(entries.map(({ env }) => env.schema))]
    const [heads, links, stats, fields] = await Promise.all([
      this.db.getMany(headKeys),
      this.db.getMany(linkKeys),
      this.db.getMany(schemas.map(statsKey)),
      this.db.getMany(schemas.map(fieldsKey))
    ]) as [Array<string[] | undefined>, Array<unknown>, Array<TextStats | undefined>, Array<FieldConfig | undefined>]
    headKeys.forEach((k, i) => { if (!this.heads.has(k)) this.heads.set(k, new Set(heads[i] ?? [])) })
    linkKeys.forEach((k, i) => { if (links[i] !== undefined) this.linked.add(k) })
    schemas.forEach((s, i) => {
      if (!this.stats.has(s)) this.stats.set(s, stats[i] ?? { docs: 0, length: 0 })
      if (!this.fields.has(s)) this.fields.set(s, this.app?.fields(s) ?? fields[i] ?? { index: [], search: [] })
    })
  }

  async fieldsOf (schema: string): Promise<FieldConfig> {
    const fixed = this.app?.fields(schema)
    if (fixed !== undefined) return fixed
    let f = this.fields.get(schema)
    if (f === undefined) {
      f = (await this.db.get(fieldsKey(schema)) as FieldConfig | undefined) ?? { index: [], search: [] }
      this.fields.set(schema, f)
    }
    return f
  }

  async statsOf (schema: string): Promise<TextStats> {
    let s = this.stats.get(schema)
    if (s === undefined) {
      s = (await this.db.get(statsKey(schema)) as TextStats | undefined) ?? { docs: 0, length: 0 }
      this.stats.set(schema, s)
    }
    return s
  }

  flush (): void {
    for (const k of this.dirtyHeads) {
      const heads = this.heads.get(k)
      if (heads === undefined || heads === null || heads.size === 0) this.batch.del(k)
      else this.batch.put(k, [...heads].sort())
    }
    for (const [schema, s] of this.stats) this.batch.put(statsKey(schema), s)
  }
}

export interface RecordsViewOptions extends RecordRules {
  /** Called after each committed batch that held `core/source` or `core/schema` records. */
  onAuthOrSchemaChange?: () => void
}

export const recordsApi = {
  /** The view's data sublevel (reads only; see RecordDB for the query layer). */
  db: (ctx: ViewContext): ViewDb => ctx.db
}

/** What map() hands to indexed(): whether the batch held `core/source` or `core/schema` records. */
export type RecordsView = View<typeof recordsApi, unknown, boolean>

export function recordsView (opts: RecordsViewOptions = {}): RecordsView {
  const rules: RecordRules = {}
  if (opts.app !== undefined) rules.app = opts.app
  if (opts.maxRecordSize !== undefined) rules.maxRecordSize = opts.maxRecordSize
  return {
    // 4: ids and indexed strings with a lone surrogate are no longer stored (they were, as U+FFFD);
    // 3: compound index entries (`c|...`); the rules' digest, when the app sets any
    version: viewVersion(rules),
    maxBatch: 2000,
    // a record no rule foresaw must not stop the database: the entry is skipped and recorded
    onError: 'skip',
    api: recordsApi,
    async map (entries: Entry<unknown>[], batch: ViewBatch, ctx: ViewContext): Promise<boolean> {
      const items: Array<{ entry: Entry<unknown>; env: Envelope; r: string }> = []
      for (const entry of entries) {
        // A malformed envelope (a hostile or broken peer), one over the size limit or one that
        // breaks its app schema is skipped and recorded, the same way on every peer. An id with a
        // lone surrogate is one too: stored as UTF-8 it would be another record's id.
        const problem = recordProblem(entry.value, entry.key, rules) ?? (wellFormed((entry.value as Envelope).id) ? null : 'its id is not well-formed text (a lone surrogate)')
        if (problem === null) items.push({ entry, env: entry.value as Envelope, r: ref(entry.key, entry.address) })
        else batch.skip(entry, problem)
      }
      if (items.length === 0) return false
      const st = new BatchState(ctx.db, batch, opts.app)
      await st.load(items)

      // Pass 1: schema definitions widen the indexed fields first, fixing up what is
      // stored: once per schema per batch, however many definitions the batch holds
      // (a peer writing many definitions that each add a field would otherwise
      // re-derive every stored version once per definition).
      const widened = new Map<string, FieldConfig>()
      for (const { env } of items) {
        // (an app schema's fields are the app's: no peer's definition changes them)
        if (env.schema !== SCHEMA_TYPE || env.op !== 'put' || opts.app?.has(env.id) === true) continue
        const before = widened.get(env.id) ?? await st.fieldsOf(env.id)
        widened.set(env.id, unionFields(before, fieldsOf(env.value)))
      }
      for (const [schema, after] of widened) {
        const before = await st.fieldsOf(schema)
        if (sameFields(before, after)) continue
        await fixUp(st, schema, before, after)
        st.fields.set(schema, after)
        batch.put(fieldsKey(schema), after)
      }

      // Pass 2: every version.
      for (const { entry, env, r } of items) {
        const stored: StoredVersion = { feed: entry.key, address: entry.address, op: env.op, timestamp: env.timestamp, links: env.links }
        if (env.value !== undefined) stored.value = env.value

        const hk = headsKey(env.schema, env.id)
        let heads = st.heads.get(hk)
        if (heads === undefined || heads === null) st.heads.set(hk, heads = new Set())
        if (!st.linked.has(linkedKey(env.schema, env.id, r))) { heads.add(r); st.dirtyHeads.add(hk) }
        for (const link of env.links) {
          if (heads.delete(link)) st.dirtyHeads.add(hk)
          const lk = linkedKey(env.schema, env.id, link)
          if (!st.linked.has(lk)) { st.linked.add(lk); batch.put(lk, 1) }
        }

        if (env.op === 'put') {
          const cfg = await st.fieldsOf(env.schema)
          const d = derive(env.schema, env.id, r, env.value, cfg)
          for (const k of d.index) batch.put(k, 1)
          for (const [k, n] of d.postings) batch.put(k, n)
          if (d.postings.size > 0) {
            stored.dl = d.dl
            const s = await st.statsOf(env.schema)
            s.docs++
            s.length += d.dl
          }
        }
        batch.put(versionKey(env.schema, env.id, r), stored)

        if (env.schema === SOURCE_TYPE && HEX_KEY.test(env.id)) {
          const v = env.value as { key?: unknown; length?: unknown } | undefined
          if (v === undefined || v.key === env.id) {
            const op: { op: 'put' | 'del'; length?: number } = { op: env.op }
            if (env.op === 'del') op.length = typeof v?.length === 'number' ? v.length : 0
            batch.put(authKey(env.id, entry.key, entry.address), op)
          }
        }
      }
      st.flush()
      return items.some(({ env }) => env.schema === SOURCE_TYPE || env.schema === SCHEMA_TYPE)
    },
    indexed (_entries: Entry<unknown>[], authOrSchema: boolean): void {
      if (authOrSchema) opts.onAuthOrSchemaChange?.()
    }
  }
}

/** Re-derives the index entries of every stored version of `schema` from `before` to `after`. */
async function fixUp (st: BatchState, schema: string, before: FieldConfig, after: FieldConfig): Promise<void> {
  const stats = await st.statsOf(schema)
  for await (const [key, stored] of st.db.iterator(under('v', schema)) as AsyncIterable<[string, StoredVersion]>) {
    if (stored.op !== 'put') continue
    const parts = key.split('\x00')
    const id = parts[2] as string
    const r = parts[3] as string
    const old = derive(schema, id, r, stored.value, before)
    const neu = derive(schema, id, r, stored.value, after)
    const keep = new Set(neu.index)
    for (const k of old.index) if (!keep.has(k)) st.batch.del(k)
    for (const k of neu.index) st.batch.put(k, 1)
    for (const k of old.postings.keys()) if (!neu.postings.has(k)) st.batch.del(k)
    for (const [k, n] of neu.postings) st.batch.put(k, n)
    if (old.postings.size > 0) { stats.docs--; stats.length -= old.dl }
    if (neu.postings.size > 0) { stats.docs++; stats.length += neu.dl }
    const updated: StoredVersion = { ...stored }
    if (neu.postings.size > 0) updated.dl = neu.dl
    else delete updated.dl
    st.batch.put(key, updated)
  }
}
