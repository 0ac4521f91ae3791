// RecordDB: JSON records with JSON-Schema validation, syncing through kappa-core.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import {
  Kappa, TypedResource, type Address, type Entry, type IndexProgress, type JoinOptions, type KappaEvents, type SkippedEntry, type SyncedOptions, type ViewDb
} from '@kappa-ts/kappa-core'
import { builtinSchemas, envelopeSchema, type Envelope, type JsonSchema } from '@kappa-ts/schemas'
import { computeLimits, type AuthOp } from './auth.js'
import { AppSchemas, type AppSchema } from './app-schemas.js'
import { RecordDbError, ValidationError } from './errors.js'
import { decodeValue, encodeValue, headsKey, isIndexValue, parseRef, ref, sharesEncoding, splitKey, under, SEP, type IndexValue } from './layout.js'
import { recordProblem, recordsView, SCHEMA_TYPE, SOURCE_TYPE, type RecordRules, type RecordsView, type StoredVersion } from './records-view.js'
import { jsonSize } from './size.js'
import { tokenize } from './text.js'
import { CONFIG_FILE, readStoredConfig, type StoredConfig } from './storage-config.js'
import { checkSchemaName, fieldsOf, issuesOf, Validators, createAjv, type FieldConfig } from './validation.js'
import { matches, parseWhere, scansFor, type Bounds, type Cond, type Range, type Scan, type Where } from './where.js'
import { compareVersions, currentMany, currentVersions, toVersion, winner, type Counts, type RecordVersion } from './versions.js'
import { rankPostings } from './ranking.js'

export type { Range, Where, RecordVersion, AppSchema, IndexValue }

export type Mode = 'authorized' | 'open'

export interface RecordDBOptions {
  /**
   * The database key to join (128 hex chars: the root's feed key, then a secret; what
   * `key` of the creator's RecordDB says); absent: a new database whose root is this peer's writer.
   */
  key?: string | Uint8Array
  /** 'authorized' (default for a new database): only the root and feeds it authorized count. 'open': every feed counts. */
  mode?: Mode
  /**
   * The app's own record types, fixed in its code: name -> { schema, id?, appendOnly? }.
   * Writes are validated against them and no peer can redefine them; a peer's version that
   * breaks one is not indexed (skipped and recorded). See "App schemas" in the README.
   */
  schemas?: Record<string, AppSchema>
  /**
   * Most characters of JSON one record (its envelope) may take: a bigger write is refused
   * (ERR_TOO_BIG), a peer's bigger entry is not indexed (skipped and recorded). Default: no
   * limit of its own (kappa-core's entry limit applies).
   */
  maxRecordSize?: number
  /** The clock of this writer's envelope timestamps, in ms (default Date.now; for tests and demos). */
  now?: () => number
}

export type BatchOp =
  | { type: 'put'; schema: string; value: unknown; id?: string }
  | { type: 'del'; schema: string; id: string }

export interface BatchOptions {
  /**
   * The caller guarantees that no version of these records exists yet (bulk loads into an
   * empty schema): no links are read, so the batch need not wait for the index. Puts only.
   */
  fresh?: boolean
}

export interface ListOptions { limit?: number; reverse?: boolean; gt?: string; gte?: string; lt?: string; lte?: string }
export interface QueryOptions {
  /** Conditions on indexed fields (AND). May be left out when `order` is given: every record. */
  where?: Where
  /**
   * Return the records in this field's order (then by id): read from the field's own index,
   * or from a compound index (`"indexes"` in the schema) whose leading fields `where` fixes
   * with equalities: `{ where: { channel: '#a' }, order: 'timestamp' }` reads [channel, timestamp].
   * ERR_NOT_INDEXED when no index gives it. Absent: the order of the narrowest index.
   */
  order?: string
  /** Descending order. */
  reverse?: boolean
  limit?: number
}
export interface CountOptions { where: Where }
export interface ValuesOptions { limit?: number }
export interface SearchOptions { schema?: string; limit?: number }
export interface SearchHit<V = unknown> { score: number; record: RecordVersion<V> }
export interface FeedStatus { key: string; length: number; local: boolean; counted: number | 'all' }
export interface RecordDBStatus {
  key: string; mode: Mode; writer: string; root: string
  feeds: FeedStatus[]
  /** Entries indexed of all known; `skipped`: entries (or blocks) that could not be indexed, see skipped(). */
  index: { indexed: number; total: number; skipped: number; state: string }
}

/**
 * The 'change' event: a version of a record that counts was indexed, written here or
 * replicated from a peer. `ref` is the version's ref as get/history return it.
 */
export interface RecordChange {
  schema: string
  id: string
  op: 'put' | 'del'
  /** Author feed key (hex). */
  feed: string
  ref: string
  timestamp: number
  /** The version's value (puts): a live tail needs no read. */
  value?: unknown
}

/**
 * The events of a RecordDB, typed: `db.on(name, listener)` checks the name and the listener's
 * arguments. Never 'error'. kappa-core's own events ('feed', 'view-error', 'peer-error', and after
 * join() 'peer-add', 'peer-remove', 'sync-progress', 'synced', 'connection-error') are passed on as they are.
 */
export interface RecordDBEvents extends Pick<KappaEvents, typeof KAPPA_EVENTS[number]> {
  /** A version that counts was indexed (written here or replicated), in index order; computed only while someone listens. */
  change: (change: RecordChange) => void
  /** The records view skipped an entry or a block (what skipped() lists). */
  skip: (skip: SkippedEntry) => void
  /** Indexing progress of the records view, in entries. */
  progress: (progress: IndexProgress) => void
  /** ready() finished. */
  ready: () => void
  /** close() finished. */
  close: () => void
}

const VIEW = 'records'
/** kappa-core's events a RecordDB passes on unchanged. */
const KAPPA_EVENTS = ['feed', 'view-error', 'peer-error', 'peer-add', 'peer-remove', 'sync-progress', 'synced', 'connection-error'] as const
/** Most ops one batch() may hold (so they fit in one hypercore append). */
export const MAX_BATCH = 10_000
const HEX_KEY = /^[0-9a-f]{64}$/
const DB_KEY = /^[0-9a-f]{128}$/
/** Index entries counted per condition to pick the narrowest one to scan. */
const DRIVER_PROBE = 4096
const ID_PATTERN = /^[^\u0000-\u001f\u007f]{1,256}$/
/**
 * The database key is what peers share: the root's feed key (public: every ref of its
 * records carries it) followed by 32 random bytes no ref carries. Peers prove knowledge
 * of the multifeed key derived from both, and the logs' blocks are encrypted with a key
 * derived from it, so a feed key seen in a ref or an `authorize` command gives nothing.
 */
function multifeedKeyOf (dbKey: string): Buffer {
  return createHash('sha256').update('kappa-ts/record-db/multifeed-key/v2').update(Buffer.from(dbKey, 'hex')).digest()
}

function toDbKeyHex (key: string | Uint8Array): string {
  const hex = typeof key === 'string' ? key.toLowerCase() : Buffer.from(key).toString('hex')
  if (!DB_KEY.test(hex)) throw new RecordDbError('ERR_BAD_KEY', 'a database key is 128 hex characters (64 bytes: the root feed key and a secret)')
  return hex
}

/** A fresh random id that sorts by creation time. */
export function newId (): string {
  return Date.now().toString(36).padStart(9, '0') + randomBytes(6).toString('hex')
}

function toKeyHex (key: string | Uint8Array): string {
  const hex = typeof key === 'string' ? key.toLowerCase() : Buffer.from(key).toString('hex')
  if (!HEX_KEY.test(hex)) throw new RecordDbError('ERR_BAD_KEY', 'a key must be 64 hex characters (32 bytes)')
  return hex
}

const checkEnvelope = createAjv().compile(envelopeSchema)

/**
 * The lifecycle is Holepunch's ReadyResource, as kappa-core's: ready() opens (creates) the
 * database once, shared by every call; close() closes once, after an open in progress and
 * the pending writes; `opening`, `opened`, `closing`, `closed` tell where it is. Calls after
 * close() fail with ERR_CLOSED.
 */
export class RecordDB extends TypedResource<RecordDBEvents> {
  readonly storage: string
  private readonly opts: RecordDBOptions
  private _kappa: Kappa<Record<typeof VIEW, RecordsView>> | null = null
  private _key = ''
  private _root = ''
  private _mode: Mode = 'authorized'
  private _writerKey = ''
  private writing: Promise<unknown> = Promise.resolve()
  /** Writes called and not settled yet: close() lets them land (see write()). */
  private acceptedWrites = 0
  private limits: Map<string, number> | null = null
  private readonly validators = new Validators()
  /** Current schema definitions; cleared whenever a core/schema or core/source record is indexed. */
  private readonly schemaCache = new Map<string, { schema: JsonSchema; cacheKey: string } | null>()
  private schemaGen = 0
  private paused = false
  private readonly coercing = new Validators({ coerceTypes: true })
  /** Keeps 'change' events in index order while each batch's authorization state is read. */
  private changes: Promise<void> = Promise.resolve()
  private readonly app: AppSchemas
  private readonly rules: RecordRules
  private readonly now: () => number

  constructor (storage: string, opts: RecordDBOptions = {}) {
    super()
    if (typeof storage !== 'string' || storage === '') throw new RecordDbError('ERR_BAD_OPTION', 'storage must be a directory path')
    if (opts.mode !== undefined && opts.mode !== 'authorized' && opts.mode !== 'open') {
      throw new RecordDbError('ERR_BAD_OPTION', "mode must be 'authorized' or 'open'")
    }
    if (opts.key !== undefined) toDbKeyHex(opts.key)
    const max = opts.maxRecordSize
    if (max !== undefined && (!Number.isSafeInteger(max) || max < 64)) throw new RecordDbError('ERR_BAD_OPTION', 'maxRecordSize is an integer of at least 64 (characters of JSON)')
    if (opts.now !== undefined && typeof opts.now !== 'function') throw new RecordDbError('ERR_BAD_OPTION', 'now is a function returning ms')
    this.app = new AppSchemas(opts.schemas) // ERR_BAD_OPTION, ERR_BAD_SCHEMA, ERR_BAD_PATTERN, ERR_RESERVED_SCHEMA
    this.rules = max === undefined ? { app: this.app } : { app: this.app, maxRecordSize: max }
    this.now = opts.now ?? Date.now
    this.storage = storage
    this.opts = opts
  }

  /** The database key (hex): share it with peers. In authorized mode it is also the root writer's key. */
  /** The database key (128 hex): share it with the peers who may replicate; it lets them read everything. */
  get key (): string { this.assertReady(); return this._key }
  /** The root's feed key (64 hex, the first half of the key): in authorized mode, the feed whose word is final. */
  get root (): string { this.assertReady(); return this._root }
  get mode (): Mode { this.assertReady(); return this._mode }
  /** This peer's writer feed key (hex): what a root authorizes. */
  get writerKey (): string { this.assertReady(); return this._writerKey }
  get kappa (): Kappa<Record<typeof VIEW, RecordsView>> { this.assertReady(); return this._kappa as Kappa<Record<typeof VIEW, RecordsView>> }

  /** Opens (creates) the database; every call shares the one open. ERR_CLOSED after close(). */
  override ready (): Promise<void> {
    if (this.refusing()) return Promise.reject(new RecordDbError('ERR_CLOSED', 'the database is closed'))
    return super.ready()
  }

  protected override async _open (): Promise<void> {
    mkdirSync(this.storage, { recursive: true })
    const configPath = path.join(this.storage, CONFIG_FILE)
    const stored = readStoredConfig(this.storage) // ERR_STORAGE when the folder cannot be read
    const givenKey = this.opts.key === undefined ? null : toDbKeyHex(this.opts.key)
    if (stored !== null && givenKey !== null && stored.key !== givenKey) {
      throw new RecordDbError('ERR_BAD_KEY', `${this.storage} holds database ${stored.key}, not ${givenKey}`)
    }
    if (stored !== null && this.opts.mode !== undefined && stored.mode !== this.opts.mode) {
      throw new RecordDbError('ERR_MODE_MISMATCH', `${this.storage} is a database in ${stored.mode} mode`)
    }
    this._mode = stored?.mode ?? this.opts.mode ?? 'authorized'
    let key = stored?.key ?? givenKey
    const creating = key === null
    // a new database: its root is this peer's writer, its secret is new
    if (key === null) key = (await Kappa.localWriterKey(this.storage)) + randomBytes(32).toString('hex')
    const root = key.slice(0, 64)

    const kappa = new Kappa(this.storage, { key: multifeedKeyOf(key) }).use(VIEW, recordsView({
      ...this.rules,
      onAuthOrSchemaChange: () => { this.limits = null; this.schemaCache.clear(); this.schemaGen++ }
      // (Runs right after the commit, before indexed() waiters resolve.)
    }))
    kappa.on('progress', (name, p) => { if (name === VIEW) this.emit('progress', p) })
    kappa.on('indexed', (name, entries) => { if (name === VIEW && this.listenerCount('change') > 0) this.reportChanges(entries) })
    kappa.on('skip', (name, skip) => { if (name === VIEW) this.emit('skip', skip) })
    for (const event of KAPPA_EVENTS) this.passOn(kappa, event)
    this._kappa = kappa
    try {
      await kappa.ready()
      const writer = await kappa.writer()
      this._writerKey = writer.key
      if (creating && writer.key !== root) {
        throw new RecordDbError('ERR_ROOT_KEY', 'the new database\'s root is not its writer')
      }
    } catch (err) {
      await kappa.close().catch(() => {})
      throw err
    }
    this._key = key
    this._root = root
    if (stored === null) {
      const tmp = configPath + '.tmp'
      writeFileSync(tmp, JSON.stringify({ version: 2, key, mode: this._mode } satisfies StoredConfig, null, 2) + '\n')
      renameSync(tmp, configPath)
    }
  }

  /** Whether the schema has no record at all (live or deleted) in what is indexed. */
  async isEmpty (schema: string): Promise<boolean> {
    await this.indexed()
    const keys = await this.data().keys({ ...under('h', schema), limit: 1 }).all()
    return keys.length === 0
  }

  /** Resolves when every entry known now is indexed (at once while indexing is paused). */
  async indexed (): Promise<void> {
    await this.ready()
    this.assertOpen()
    if (this.paused) return
    await this.kappa.indexed([VIEW])
  }

  /**
   * Stops indexing until resume(): bulk appends then go at full speed and are indexed in
   * big batches afterwards. Meanwhile reads answer from what is indexed, and writes that
   * name an existing id are refused (their links need the index): ERR_BATCH.
   */
  pause (): void {
    this.assertReady()
    this.paused = true
    this.kappa.pause([VIEW])
  }

  resume (): void {
    this.assertReady()
    this.paused = false
    this.kappa.resume([VIEW])
  }

  // ---- schemas ---------------------------------------------------------------

  /** Stores a JSON Schema as the `core/schema` record `name` (it replicates like any record). */
  async putSchema (name: string, schema: JsonSchema): Promise<void> {
    if (Object.hasOwn(builtinSchemas, name)) throw new RecordDbError('ERR_RESERVED_SCHEMA', `${name} is a built-in schema`)
    if (this.app.has(name)) throw new RecordDbError('ERR_RESERVED_SCHEMA', `${name} is fixed by this app (RecordDBOptions.schemas)`)
    checkSchemaName(name)
    this.validators.compile(`check:${JSON.stringify(schema)}`, schema, name) // throws ERR_BAD_SCHEMA / ERR_BAD_PATTERN
    await this.put(SCHEMA_TYPE, schema, { id: name })
    await this.indexed() // the next write validates against this definition
  }

  /** The current definition of a schema, or null. Built-in schemas included. */
  async getSchema (name: string): Promise<JsonSchema | null> {
    return (await this.schemaDef(name))?.schema ?? null
  }

  /** Names of the schemas defined: the app's (RecordDBOptions.schemas), then the stored ones (not the built-in ones). */
  async schemas (): Promise<string[]> {
    const names: string[] = this.app.names()
    for await (const r of this.list(SCHEMA_TYPE)) if (!names.includes(r.id)) names.push(r.id)
    return names
  }

  private async schemaDef (name: string): Promise<{ schema: JsonSchema; cacheKey: string } | null> {
    const builtin = (builtinSchemas as Record<string, JsonSchema>)[name]
    if (builtin !== undefined) return { schema: builtin, cacheKey: `builtin:${name}` }
    const fixed = this.app.schema(name)
    if (fixed !== undefined) return { schema: fixed, cacheKey: `app:${name}` }
    const cached = this.schemaCache.get(name)
    if (cached !== undefined) return cached
    const gen = this.schemaGen
    await this.indexed()
    const current = (await this.current(SCHEMA_TYPE, name)).filter((v) => v.op === 'put')
    // A fork of a schema definition: its winner (the latest timestamp, then feed key and address: the same on every peer).
    const pick = winner(current)
    const def = pick === null ? null : { schema: pick.value as JsonSchema, cacheKey: `def:${pick.ref}` }
    if (gen === this.schemaGen && def !== null) this.schemaCache.set(name, def)
    return def
  }

  private async requireSchema (name: string): Promise<{ schema: JsonSchema; cacheKey: string }> {
    const def = await this.schemaDef(name)
    if (def === null) throw new RecordDbError('ERR_UNKNOWN_SCHEMA', `unknown schema "${name}" (add it with putSchema / kappa-db schema add)`)
    return def
  }

  /** Throws ValidationError unless `value` satisfies the current definition of `schema`. */
  async validate (schema: string, value: unknown): Promise<void> {
    if (this.app.has(schema)) { this.app.validate(schema, value); return }
    const def = await this.requireSchema(schema)
    this.validators.validate(schema, def.cacheKey, def.schema, value)
    if (schema === SCHEMA_TYPE) this.validators.compile(`check:${JSON.stringify(value)}`, value as JsonSchema)
  }

  /**
   * A fast row checker for imports: returns null for a valid value, else the reason.
   * With `coerce`, strings are converted in place to the schema's types first (CSV/TSV):
   * "42" -> 42, and a string where a top-level property wants an array is split on
   * `arraySeparator` (default ","; each element trimmed, then coerced to the items' type).
   */
  async checker (schema: string, opts: { coerce?: boolean; arraySeparator?: string } = {}): Promise<(value: unknown) => string | null> {
    if (schema === SCHEMA_TYPE || schema === SOURCE_TYPE) throw new RecordDbError('ERR_RESERVED_SCHEMA', `import into ${schema} is not supported`)
    const def = await this.requireSchema(schema)
    const fn = (opts.coerce === true ? this.coercing : this.validators).compile(def.cacheKey, def.schema)
    const sep = opts.arraySeparator ?? ','
    if (opts.coerce === true && sep === '') throw new RecordDbError('ERR_BAD_OPTION', 'the array separator cannot be empty')
    const arrays = opts.coerce === true ? arrayFieldsOf(def.schema) : []
    return (value) => {
      if (arrays.length > 0 && value !== null && typeof value === 'object') {
        const v = value as Record<string, unknown>
        for (const field of arrays) {
          const cell = Object.hasOwn(v, field) ? v[field] : undefined
          if (typeof cell === 'string') v[field] = cell.split(sep).map((s) => s.trim())
        }
      }
      if (fn(value)) return null
      const e = issuesOf(fn.errors)[0]
      return e === undefined ? 'invalid' : `${e.path === '' ? 'value' : e.path} ${e.message} (rule: ${e.rule})`
    }
  }

  // ---- writes ----------------------------------------------------------------

  /**
   * Validates and appends a version of record `id` linking to its current heads; returns
   * the id. Without `id`: a new random one, or the one the app schema fixes.
   */
  async put (schema: string, value: unknown, opts: { id?: string } = {}): Promise<string> {
    return (await this.putVersion(schema, value, opts)).id
  }

  /** put(), returning the version written: its id, ref (what later versions link to), links, timestamp. */
  async putVersion<V = unknown> (schema: string, value: V, opts: { id?: string } = {}): Promise<RecordVersion<V>> {
    const op: BatchOp = opts.id === undefined ? { type: 'put', schema, value } : { type: 'put', schema, value, id: opts.id }
    const [version] = await this.write([op], {})
    return version as RecordVersion<V>
  }

  /** Writes a tombstone for record `id` linking to its current heads. ERR_NOT_FOUND if it has no live version. */
  async del (schema: string, id: string): Promise<void> {
    await this.batch([{ type: 'del', schema, id }])
  }

  /**
   * Validates every op first, then appends them all in ONE append (all or nothing).
   * Returns the ids, in order. One record may appear once per batch.
   */
  async batch (ops: BatchOp[], opts: BatchOptions = {}): Promise<string[]> {
    return (await this.write(ops, opts)).map((v) => v.id)
  }

  private async write (ops: BatchOp[], opts: BatchOptions): Promise<RecordVersion[]> {
    this.assertOpen()
    if (!Array.isArray(ops)) throw new RecordDbError('ERR_BATCH', 'batch takes an array of ops')
    if (ops.length > MAX_BATCH) throw new RecordDbError('ERR_BATCH', `a batch holds at most ${MAX_BATCH} ops`)
    if (ops.length === 0) {
      await this.ready()
      return []
    }
    // Joins the write queue at once, before any await: a close() called after this call lets
    // it land (its own reads pass the closed check until it is done: see refusing()).
    this.acceptedWrites++
    return await this.serialized(async () => {
      await this.ready()
      const seen = new Set<string>()
      const planned: Array<{ op: BatchOp; id: string; named: boolean }> = []
      for (const op of ops) {
        if (op === null || typeof op !== 'object' || (op.type !== 'put' && op.type !== 'del')) {
          throw new RecordDbError('ERR_BATCH', "each op needs type 'put' or 'del'")
        }
        checkSchemaName(op.schema)
        if (op.id !== undefined && (typeof op.id !== 'string' || !ID_PATTERN.test(op.id))) {
          throw new RecordDbError('ERR_BAD_ID', 'an id is 1..256 characters without control characters')
        }
        if (op.type === 'put') {
          if (op.schema === SOURCE_TYPE) checkSource(op.id ?? '', op.value) // (a random id names no feed)
          await this.validate(op.schema, op.value)
        } else {
          if (op.schema === SOURCE_TYPE) throw new RecordDbError('ERR_BATCH', 'revoke a source with revoke(), which names the length')
          await this.requireSchema(op.schema)
        }
        // An app schema may fix the id (the author's feed key, a field of the value).
        const given = this.app.has(op.schema) ? this.app.writeId(op.schema, op.type, op.id, op.type === 'put' ? op.value : undefined, this._writerKey) : op.id
        const id = given ?? newId()
        if (!ID_PATTERN.test(id)) throw new RecordDbError('ERR_BAD_ID', 'an id is 1..256 characters without control characters')
        const k = op.schema + SEP + id
        if (seen.has(k)) throw new RecordDbError('ERR_BATCH', `record ${op.schema}/${id} appears twice in one batch`)
        seen.add(k)
        planned.push({ op, id, named: given !== undefined })
      }
      // Fresh random ids have no versions yet: only named ids need their heads (and the index caught up).
      const needHeads = opts.fresh !== true && planned.some((p) => p.named)
      if (opts.fresh === true && planned.some(({ op }) => op.type === 'del')) throw new RecordDbError('ERR_BATCH', 'a fresh batch holds puts only')
      if (needHeads && this.paused) throw new RecordDbError('ERR_BATCH', 'writes that name an id need the index: resume() first')
      if (needHeads) await this.kappa.indexed([VIEW])
      const timestamp = this.now()
      const envelopes: Envelope[] = []
      for (const { op, id, named } of planned) {
        const heads = needHeads && named ? await this.current(op.schema, id) : []
        if (op.type === 'del' && !heads.some((h) => h.op === 'put')) {
          throw new RecordDbError('ERR_NOT_FOUND', `no record ${op.schema}/${id}`)
        }
        if (heads.length > 0 && this.app.appendOnly(op.schema)) {
          throw new RecordDbError('ERR_APPEND_ONLY', `${op.schema}/${id} exists, and ${op.schema} records are never replaced`)
        }
        const env: Envelope = { id, schema: op.schema, op: op.type, timestamp, links: heads.map((h) => h.ref) }
        if (op.type === 'put') env.value = op.value
        if (!checkEnvelope(env)) throw new ValidationError('envelope', issuesOf(checkEnvelope.errors))
        const max = this.rules.maxRecordSize
        if (max !== undefined && jsonSize(env, max) > max) {
          throw new RecordDbError('ERR_TOO_BIG', `${op.schema}/${id}: a record over ${max} characters of JSON`)
        }
        envelopes.push(env)
      }
      const writer = await this.kappa.writer()
      const addresses = await writer.append(envelopes)
      return envelopes.map((env, i) => toVersion(env.schema, env.id, {
        feed: writer.key, address: addresses[i] as Address, op: env.op, value: env.value, timestamp: env.timestamp, links: env.links
      }))
    }).finally(() => { this.acceptedWrites-- })
  }

  // ---- authorization ---------------------------------------------------------

  /** Authorizes a writer feed (a `core/source` record). It counts once the author of this record does. */
  async authorize (feedKey: string, opts: { note?: string } = {}): Promise<void> {
    const key = toKeyHex(feedKey)
    const value: { key: string; note?: string } = { key }
    if (opts.note !== undefined) value.note = opts.note
    await this.put(SOURCE_TYPE, value, { id: key })
  }

  /**
   * Revokes a feed: its records in blocks >= `length` stop counting (default: its length
   * in blocks as known here now). Effective from the root, or from a feed that granted it (its own grant).
   */
  async revoke (feedKey: string, opts: { length?: number } = {}): Promise<void> {
    const key = toKeyHex(feedKey)
    await this.ready()
    // Nobody limits the root (auth.ts): such a record would be stored and change nothing.
    if (this._mode === 'authorized' && key === this._root) {
      throw new RecordDbError('ERR_REVOKE_ROOT', `${key} is the root of this database: it always counts and cannot be revoked`)
    }
    const length = opts.length ?? this.kappa.multifeed.lengths(key)?.length ?? 0
    if (!Number.isSafeInteger(length) || length < 0) throw new RecordDbError('ERR_BAD_OPTION', 'length must be a non-negative integer')
    if (this.paused) throw new RecordDbError('ERR_BATCH', 'revoke needs the index: resume() first')
    await this.indexed()
    const heads = await this.current(SOURCE_TYPE, key)
    await this.serialized(async () => {
      const env: Envelope = { id: key, schema: SOURCE_TYPE, op: 'del', value: { key, length }, timestamp: Date.now(), links: heads.map((h) => h.ref) }
      await (await this.kappa.writer()).append([env])
    })
  }

  /** Feed key -> how many of its records count (Infinity = all); absent feeds count none. */
  async authorizations (): Promise<Map<string, number>> {
    await this.indexed()
    return new Map(await this.authLimits())
  }

  /** Whether what this peer writes now counts (open mode, or its writer is authorized and not revoked). */
  async writable (): Promise<boolean> {
    await this.indexed()
    if (this._mode === 'open') return true
    const limit = (await this.authLimits()).get(this._writerKey) ?? 0
    return limit > (this.kappa.multifeed.lengths(this._writerKey)?.length ?? 0)
  }

  private async authLimits (): Promise<Map<string, number>> {
    if (this.limits !== null) return this.limits
    const gen = this.schemaGen // bumped with every change of core/source (and core/schema) records
    const ops: AuthOp[] = []
    for await (const [k, v] of this.data().iterator(under('a')) as AsyncIterable<[string, { op: 'put' | 'del'; length?: number }]>) {
      const [, target, author, at] = splitKey(k)
      const [block, index] = (at as string).split('.').map(Number) as [number, number]
      const op: AuthOp = { target: target as string, author: author as string, block, index, op: v.op }
      if (v.length !== undefined) op.length = v.length
      ops.push(op)
    }
    const limits = computeLimits(this._root, ops)
    if (gen === this.schemaGen) this.limits = limits // else a newer change landed while reading
    return limits
  }

  private async counter (): Promise<Counts> {
    if (this._mode === 'open') return () => true
    const limits = await this.authLimits()
    return (feed, block) => block < (limits.get(feed) ?? 0)
  }

  // ---- reads -----------------------------------------------------------------

  /** The current live versions of a record ([] if none or deleted; several on a fork). */
  async get<V = unknown> (schema: string, id: string): Promise<Array<RecordVersion<V>>> {
    await this.indexed()
    return (await this.current(schema, id)).filter((v) => v.op === 'put') as Array<RecordVersion<V>>
  }

  /** Every counted version of a record (puts and deletes), oldest first. */
  async history<V = unknown> (schema: string, id: string): Promise<Array<RecordVersion<V>>> {
    await this.indexed()
    const counts = await this.counter()
    const out: RecordVersion[] = []
    for await (const [k, v] of this.data().iterator(under('v', schema, id)) as AsyncIterable<[string, StoredVersion]>) {
      if (splitKey(k).length !== 4) continue
      if (counts(v.feed, v.address.block)) out.push(toVersion(schema, id, v))
    }
    return out.sort(compareVersions) as Array<RecordVersion<V>>
  }

  /** Live records of a schema in id order (each current version; several on a fork). */
  async * list<V = unknown> (schema: string, opts: ListOptions = {}): AsyncGenerator<RecordVersion<V>> {
    await this.indexed()
    const limit = opts.limit ?? Infinity
    const base = under('h', schema)
    const range: { gt?: string; gte?: string; lt?: string; lte?: string; reverse: boolean } = { reverse: opts.reverse === true }
    if (opts.gte !== undefined) range.gte = headsKey(schema, opts.gte)
    else if (opts.gt !== undefined) range.gt = headsKey(schema, opts.gt)
    else range.gt = base.gt
    if (opts.lte !== undefined) range.lte = headsKey(schema, opts.lte)
    else if (opts.lt !== undefined) range.lt = headsKey(schema, opts.lt)
    else range.lt = base.lt
    const counts = await this.counter()
    let n = 0
    if (n >= limit) return
    // Heads come with the scan; their versions are read in chunks with one getMany each.
    let chunk = new Map<string, string[]>()
    const drain = async function * (self: RecordDB): AsyncGenerator<RecordVersion<V>> {
      const current = await self.currentMany(schema, [...chunk.keys()], counts, chunk)
      for (const id of chunk.keys()) {
        const live = (current.get(id) ?? []).filter((v) => v.op === 'put')
        if (live.length === 0) continue
        for (const v of live) yield v as RecordVersion<V>
        if (++n >= limit) return
      }
      chunk = new Map()
    }
    for await (const [k, heads] of this.data().iterator(range) as AsyncIterable<[string, string[]]>) {
      chunk.set(splitKey(k)[2] as string, heads)
      if (chunk.size >= Math.min(256, limit - n)) { // a small limit needs a small first chunk
        yield * drain(this)
        if (n >= limit) return
      }
    }
    yield * drain(this)
  }

  /**
   * Live versions whose indexed fields match `where` (equality or ranges): in `order`'s
   * order when given (then by id), else in the order of the narrowest index; `reverse`
   * descends. Several versions of one record (a fork) are each a hit.
   */
  async * query<V = unknown> (schema: string, opts: QueryOptions): AsyncGenerator<RecordVersion<V>> {
    const def = await this.requireSchema(schema)
    if (opts === null || typeof opts !== 'object') throw new RecordDbError('ERR_BAD_QUERY', 'query needs { where, order?, reverse?, limit? }')
    const limit = opts.limit ?? Infinity
    if (limit !== Infinity && (!Number.isSafeInteger(limit) || limit < 0)) throw new RecordDbError('ERR_BAD_QUERY', 'limit must be a non-negative integer')
    const { conds, scan } = await this.plan(schema, fieldsOf(def.schema), opts)
    await this.indexed()
    const counts = await this.counter()
    let n = 0
    if (n >= limit) return
    // (a small limit reads a small first chunk)
    for await (const v of this.liveIn(schema, scan.bounds, counts, opts.reverse === true, Math.min(256, limit))) {
      if (!conds.every((c) => matches(v.value, c))) continue
      yield v as RecordVersion<V>
      if (++n >= limit) return
    }
  }

  /**
   * How many live versions match `where` (what query() would yield). For an append-only app
   * schema and a condition its index enforces exactly, the index keys are counted without
   * reading a version (every version of such a schema is live).
   */
  async count (schema: string, opts: CountOptions): Promise<number> {
    const def = await this.requireSchema(schema)
    const { conds, scan } = await this.plan(schema, fieldsOf(def.schema), opts)
    const exact = this.app.appendOnly(schema) && scan.covers === conds.length &&
      conds.every((c) => Object.values(c.range).every((v) => !sharesEncoding(v as IndexValue)))
    if (!exact) return await lengthOf(this.query(schema, { where: opts.where }))
    await this.indexed()
    return await lengthOf(this.hits(scan.bounds, false, await this.counter()))
  }

  /**
   * The distinct values an indexed field has among live records of `schema`, in index order
   * (null, false, true, numbers, strings; array fields give their elements). Costs a seek
   * and a check per distinct value, not a read per record.
   */
  async * values (schema: string, field: string, opts: ValuesOptions = {}): AsyncGenerator<IndexValue> {
    const def = await this.requireSchema(schema)
    if (!fieldsOf(def.schema).index.includes(field)) {
      throw new RecordDbError('ERR_NOT_INDEXED', `field "${field}" of ${schema} is not indexed (mark it "index": true in the schema)`)
    }
    const limit = opts.limit ?? Infinity
    if (limit !== Infinity && (!Number.isSafeInteger(limit) || limit < 0)) throw new RecordDbError('ERR_BAD_QUERY', 'limit must be a non-negative integer')
    await this.indexed()
    const counts = await this.counter()
    const prefix = ['i', schema, field].join(SEP) + SEP
    const end = under('i', schema, field).lt
    let n = 0
    let from = prefix
    while (n < limit) {
      const [key] = await this.data().keys({ gt: from, lt: end, limit: 1 }).all() as string[]
      if (key === undefined) return
      const enc = splitKey(key)[3] as string
      const group = { gt: prefix + enc + SEP, lt: prefix + enc + '\x01' }
      from = prefix + enc + '\x01' // the next value: past every key of this one
      // The live values behind this encoding: one when it is whole, each distinct one when it is
      // a cut string (values sharing their first 512 characters share it).
      const cut = sharesEncoding(decodeValue(enc))
      const found = new Map<string, IndexValue>()
      for await (const v of this.liveIn(schema, group, counts, false, 1)) {
        const raw = (v.value as Record<string, unknown>)[field]
        for (const x of Array.isArray(raw) ? raw : [raw]) {
          if (isIndexValue(x) && encodeValue(x) === enc) found.set(JSON.stringify(x), x === 0 ? 0 : x) // (-0 indexes as 0)
        }
        if (!cut && found.size > 0) break
      }
      const list = [...found.values()]
      if (cut) list.sort() // (strings only)
      for (const x of list) {
        yield x
        if (++n >= limit) return
      }
    }
  }

  /** The index scan that answers a query, and its conditions. ERR_NOT_INDEXED / ERR_BAD_QUERY. */
  private async plan (schema: string, fields: FieldConfig, opts: { where?: Where; order?: string }): Promise<{ conds: Cond[]; scan: Scan }> {
    const order = opts.order
    if (order !== undefined && typeof order !== 'string') throw new RecordDbError('ERR_BAD_QUERY', 'order names a field')
    const indexable = [...new Set([...fields.index, ...(fields.compound ?? []).flat()])]
    const conds = opts.where === undefined && order !== undefined ? [] : parseWhere(opts.where, indexable)
    let scans = scansFor(schema, conds, fields, order)
    if (order !== undefined) {
      // With the order field fixed to one value, any scan comes in its order.
      const fixed = conds.some((c) => c.field === order && c.range.eq !== undefined)
      scans = scans.filter((sc) => fixed || sc.order === order)
      if (scans.length === 0) {
        throw new RecordDbError('ERR_NOT_INDEXED', `no index of ${schema} reads it in "${order}" order with these conditions: index "${order}", or declare "indexes": [[<fields the query fixes>..., "${order}"]]`)
      }
    } else {
      scans = scans.filter((sc) => sc.covers > 0)
      if (scans.length === 0) throw new RecordDbError('ERR_NOT_INDEXED', `no index of ${schema} serves these conditions`)
    }
    // The narrowest: the most conditions enforced by the range, then the fewest keys (counted up to a cap).
    const most = Math.max(...scans.map((sc) => sc.covers))
    scans = scans.filter((sc) => sc.covers === most)
    let best = scans[0] as Scan
    if (scans.length > 1) {
      let fewest = Infinity
      for (const sc of scans) {
        const n = (await this.data().keys({ ...sc.bounds, limit: DRIVER_PROBE }).all()).length
        if (n < fewest) { fewest = n; best = sc }
      }
    }
    return { conds, scan: best }
  }

  /** The (id, ref) of each counted version an index range names, once each, in key order. */
  private async * hits (bounds: Bounds, reverse: boolean, counts: Counts): AsyncGenerator<{ id: string; r: string }> {
    const seenRefs = new Set<string>()
    for await (const k of this.data().keys({ ...bounds, reverse }) as AsyncIterable<string>) {
      const parts = splitKey(k)
      const r = parts[5] as string
      if (seenRefs.has(r)) continue
      seenRefs.add(r)
      const { feed, address } = parseRef(r)
      if (!counts(feed, address.block)) continue
      yield { id: parts[4] as string, r }
    }
  }

  /**
   * The live versions an index range names, in key order. Hits are checked in chunks (is
   * this version current, and counted, for its record?), the first of `first` hits, then
   * growing: a reader that wants one pays for a few, one that wants all for few reads.
   */
  private async * liveIn (schema: string, bounds: Bounds, counts: Counts, reverse: boolean, first: number): AsyncGenerator<RecordVersion> {
    let size = Math.max(1, first)
    let chunk: Array<{ id: string; r: string }> = []
    const drain = async function * (self: RecordDB): AsyncGenerator<RecordVersion> {
      const current = await self.currentMany(schema, chunk.map((c) => c.id), counts)
      for (const { id, r } of chunk) {
        const v = current.get(id)?.find((c) => c.ref === r && c.op === 'put')
        if (v !== undefined) yield v
      }
      chunk = []
      size = Math.min(256, size * 4)
    }
    for await (const hit of this.hits(bounds, reverse, counts)) {
      chunk.push(hit)
      if (chunk.length >= size) yield * drain(this)
    }
    yield * drain(this)
  }

  /** Full-text search over the searchable fields, ranked by BM25; live versions only. */
  async search<V = unknown> (text: string, opts: SearchOptions = {}): Promise<Array<SearchHit<V>>> {
    if (typeof text !== 'string') throw new RecordDbError('ERR_BAD_QUERY', 'search text must be a string')
    const limit = opts.limit ?? 10
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RecordDbError('ERR_BAD_QUERY', 'limit must be a positive integer')
    if (opts.schema !== undefined) await this.requireSchema(opts.schema)
    const terms = [...new Set(tokenize(text))]
    await this.indexed()
    if (terms.length === 0) return []
    const counts = await this.counter()
    const scored = await rankPostings(this.data(), terms, opts.schema, counts)
    // Keep the best live version of each record: stale or deleted versions are skipped here.
    const out: Array<SearchHit<V>> = []
    const done = new Set<string>()
    for (const s of scored) {
      const rk = s.schema + SEP + s.id
      if (done.has(rk)) continue
      const v = (await this.current(s.schema, s.id, counts)).find((c) => c.ref === s.r && c.op === 'put')
      if (v === undefined) continue
      done.add(rk)
      out.push({ score: s.score, record: v as RecordVersion<V> })
      if (out.length >= limit) break
    }
    return out
  }

  private async current (schema: string, id: string, counts?: Counts): Promise<RecordVersion[]> {
    return await currentVersions(this.data(), schema, id, counts ?? await this.counter())
  }

  private async currentMany (schema: string, ids: string[], counts: Counts, knownHeads?: Map<string, string[]>): Promise<Map<string, RecordVersion[]>> {
    return await currentMany(this.data(), schema, ids, counts, knownHeads)
  }

  // ---- replication, status, lifecycle -------------------------------------------

  /** A replication stream: pipe it to a peer's (`a.pipe(b).pipe(a)`). */
  replicate (isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex {
    this.assertReady()
    return this.kappa.replicate(isInitiator, opts)
  }

  /** Finds peers of this database over hyperswarm (kappa-core's join). */
  async join (opts?: JoinOptions): Promise<void> {
    await this.ready()
    await this.kappa.join(opts)
  }

  /** Same as join(): connect and keep syncing. */
  sync (opts?: JoinOptions): Promise<void> { return this.join(opts) }

  /**
   * Resolves once this database holds everything its connected peers hold (piped streams
   * and swarm peers, asked now) and has indexed it: kappa-core's synced(). `{ peers: 1 }`
   * after join() waits for a peer first. While indexing is paused it waits for resume().
   */
  async synced (opts?: SyncedOptions): Promise<void> {
    await this.ready()
    this.assertOpen()
    await this.kappa.synced(opts)
  }

  async leave (): Promise<void> {
    await this.ready()
    await this.kappa.leave()
  }

  get peers (): unknown[] { return this.kappa.peers }

  /**
   * Entries (or whole blocks) the records view could not index, with the reason: a peer's
   * malformed record, a value nested too deep, a block in no known format. In feed then log order.
   */
  async skipped (feedKey?: string): Promise<SkippedEntry[]> {
    await this.ready()
    return await this.kappa.skipped(VIEW, feedKey === undefined ? undefined : toKeyHex(feedKey))
  }

  async status (): Promise<RecordDBStatus> {
    await this.ready()
    const limits = this._mode === 'open' ? null : await this.authLimits()
    // every feed of the set, open or not (feeds open lazily)
    const feeds: FeedStatus[] = this.kappa.feedKeys().map((key) => {
      const length = this.kappa.multifeed.lengths(key)?.length ?? 0
      const limit = limits === null ? Infinity : limits.get(key) ?? 0
      return { key, length, local: key === this._writerKey, counted: limit === Infinity ? 'all' : Math.min(limit, length) }
    })
    const s = this.kappa.status()[VIEW]
    return {
      key: this._key,
      mode: this._mode,
      writer: this._writerKey,
      root: this._mode === 'open' ? '' : this._root,
      feeds,
      index: { indexed: s?.indexed ?? 0, total: s?.total ?? 0, skipped: s?.skipped ?? 0, state: s?.state ?? 'idle' }
    }
  }

  /** close() (ReadyResource's: once, after an open in progress): the pending writes land, then the kappa closes. */
  protected override async _close (): Promise<void> {
    await this.writing.catch(() => {})
    if (this._kappa !== null) await this._kappa.close()
  }

  // ---- helpers -------------------------------------------------------------------

  /**
   * Emits 'change' for each version of a committed view batch that counts now. Versions by
   * feeds that do not count are not reported; an authorization is reported as the
   * `core/source` change itself (the records it makes visible are not listed one by one).
   */
  private reportChanges (entries: Entry[]): void {
    const versions: RecordChange[] = []
    for (const e of entries) {
      if (recordProblem(e.value, e.key, this.rules) !== null) continue // skipped by the view: no change
      const env = e.value as Envelope
      const change: RecordChange = { schema: env.schema, id: env.id, op: env.op, feed: e.key, ref: ref(e.key, e.address), timestamp: env.timestamp }
      if (env.value !== undefined) change.value = env.value
      versions.push(change)
    }
    if (versions.length === 0) return
    this.changes = this.changes.then(async () => {
      const counts = await this.counter()
      for (const v of versions) {
        const { feed, address } = parseRef(v.ref)
        if (counts(feed, address.block)) this.emit('change', v)
      }
    }).catch(() => {}) // closed meanwhile: nobody is left to tell
  }

  private data (): ViewDb {
    return this.kappa.api[VIEW].db()
  }

  private serialized<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn)
    this.writing = run.catch(() => {})
    return run
  }

  private assertReady (): void {
    if (this._kappa === null || this._key === '') throw new RecordDbError('ERR_CLOSED', 'call ready() first')
  }

  /** Re-emits one of kappa-core's events as this database's own, with the same arguments. */
  private passOn<E extends typeof KAPPA_EVENTS[number]> (kappa: Kappa<Record<typeof VIEW, RecordsView>>, event: E): void {
    // (RecordDBEvents picks these from KappaEvents: the same arguments)
    const listener = (...args: Parameters<KappaEvents[E]>): void => { this.emit(event, ...(args as unknown as Parameters<RecordDBEvents[E]>)) }
    kappa.on(event, listener as unknown as KappaEvents[E])
  }

  /** Closed for new calls: close() was called and the writes accepted before it have landed. */
  private refusing (): boolean {
    return this.closing !== null && this.acceptedWrites === 0
  }

  private assertOpen (): void {
    if (this.refusing()) throw new RecordDbError('ERR_CLOSED', 'the database is closed')
  }
}

function checkSource (id: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || (value as { key?: unknown }).key !== id) {
    throw new RecordDbError('ERR_BAD_KEY', 'a core/source record\'s id must be the feed key it names')
  }
}

async function lengthOf (it: AsyncIterable<unknown>): Promise<number> {
  const iterator = it[Symbol.asyncIterator]()
  let n = 0
  while ((await iterator.next()).done !== true) n++
  return n
}

/** Top-level properties whose schema type is (or includes) array. */
function arrayFieldsOf (schema: JsonSchema): string[] {
  const props = (schema as { properties?: unknown }).properties
  if (props === null || typeof props !== 'object' || Array.isArray(props)) return []
  return Object.entries(props as Record<string, unknown>)
    .filter(([, def]) => {
      const type = (def as { type?: unknown } | null)?.type
      // (a field that may also be a string keeps its text)
      return type === 'array' || (Array.isArray(type) && type.includes('array') && !type.includes('string'))
    })
    .map(([name]) => name)
}
