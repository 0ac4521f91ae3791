// RecordDB: JSON records with JSON-Schema validation, syncing through kappa-core.
import { EventEmitter } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import { Kappa, type Entry, type JoinOptions, type SkippedEntry, type SyncedOptions, type ViewDb } from '@kappa-ts/kappa-core'
import { builtinSchemas, envelopeSchema, type Envelope, type JsonSchema } from '@kappa-ts/schemas'
import { computeLimits, type AuthOp } from './auth.js'
import { RecordDbError, ValidationError } from './errors.js'
import { headsKey, parseRef, ref, splitKey, under, SEP } from './layout.js'
import { isEnvelope, recordsView, SCHEMA_TYPE, SOURCE_TYPE, type RecordsView, type StoredVersion } from './records-view.js'
import { tokenize } from './text.js'
import { CONFIG_FILE, readStoredConfig, type StoredConfig } from './storage-config.js'
import { fieldsOf, issuesOf, Validators, createAjv } from './validation.js'
import { matches, parseWhere, scanBounds, type Cond, type Range, type Where } from './where.js'
import { byTime, currentMany, currentVersions, toVersion, type Counts, type RecordVersion } from './versions.js'
import { rankPostings } from './ranking.js'

export type { Range, Where, RecordVersion }

export type Mode = 'authorized' | 'open'

export interface RecordDBOptions {
  /**
   * The database key to join (128 hex chars: the root's feed key, then a secret; what
   * `key` of the creator's RecordDB says); absent: a new database whose root is this peer's writer.
   */
  key?: string | Uint8Array
  /** 'authorized' (default for a new database): only the root and feeds it authorized count. 'open': every feed counts. */
  mode?: Mode
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
export interface QueryOptions { where: Where; limit?: number }
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
}

const VIEW = 'records'
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

export class RecordDB extends EventEmitter {
  readonly storage: string
  private readonly opts: RecordDBOptions
  private _kappa: Kappa<Record<typeof VIEW, RecordsView>> | null = null
  private _key = ''
  private _root = ''
  private _mode: Mode = 'authorized'
  private _writerKey = ''
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null
  private writing: Promise<unknown> = Promise.resolve()
  private limits: Map<string, number> | null = null
  private readonly validators = new Validators()
  /** Current schema definitions; cleared whenever a core/schema or core/source record is indexed. */
  private readonly schemaCache = new Map<string, { schema: JsonSchema; cacheKey: string } | null>()
  private schemaGen = 0
  private paused = false
  private readonly coercing = new Validators({ coerceTypes: true })
  /** Keeps 'change' events in index order while each batch's authorization state is read. */
  private changes: Promise<void> = Promise.resolve()

  constructor (storage: string, opts: RecordDBOptions = {}) {
    super()
    if (typeof storage !== 'string' || storage === '') throw new RecordDbError('ERR_BAD_OPTION', 'storage must be a directory path')
    if (opts.mode !== undefined && opts.mode !== 'authorized' && opts.mode !== 'open') {
      throw new RecordDbError('ERR_BAD_OPTION', "mode must be 'authorized' or 'open'")
    }
    if (opts.key !== undefined) toDbKeyHex(opts.key)
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
  get closed (): boolean { return this.closing !== null }

  ready (): Promise<void> {
    if (this.closing !== null) return Promise.reject(new RecordDbError('ERR_CLOSED', 'the database is closed'))
    this.opening ??= this.open()
    return this.opening
  }

  private async open (): Promise<void> {
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
      onAuthOrSchemaChange: () => { this.limits = null; this.schemaCache.clear(); this.schemaGen++ }
      // (Runs right after the commit, before indexed() waiters resolve.)
    }))
    kappa.on('view-error', (name: string, err: Error) => this.emit('view-error', name, err))
    kappa.on('progress', (name: string, p: { indexed: number; total: number }) => { if (name === VIEW) this.emit('progress', p) })
    kappa.on('indexed', (name: string, entries: Entry[]) => { if (name === VIEW && this.listenerCount('change') > 0) this.reportChanges(entries) })
    for (const ev of ['peer-add', 'peer-remove', 'synced', 'sync-progress', 'feed']) {
      kappa.on(ev, (...args: unknown[]) => this.emit(ev, ...args))
    }
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
    checkSchemaName(name)
    this.validators.compile(`check:${JSON.stringify(schema)}`, schema, name) // throws ERR_BAD_SCHEMA / ERR_BAD_PATTERN
    await this.put(SCHEMA_TYPE, schema, { id: name })
    await this.indexed() // the next write validates against this definition
  }

  /** The current definition of a schema, or null. Built-in schemas included. */
  async getSchema (name: string): Promise<JsonSchema | null> {
    return (await this.schemaDef(name))?.schema ?? null
  }

  /** Names of the schemas defined (not the built-in ones). */
  async schemas (): Promise<string[]> {
    const names: string[] = []
    for await (const r of this.list(SCHEMA_TYPE)) if (!names.includes(r.id)) names.push(r.id)
    return names
  }

  private async schemaDef (name: string): Promise<{ schema: JsonSchema; cacheKey: string } | null> {
    const builtin = (builtinSchemas as Record<string, JsonSchema>)[name]
    if (builtin !== undefined) return { schema: builtin, cacheKey: `builtin:${name}` }
    const cached = this.schemaCache.get(name)
    if (cached !== undefined) return cached
    const gen = this.schemaGen
    await this.indexed()
    const current = (await this.current(SCHEMA_TYPE, name)).filter((v) => v.op === 'put')
    // A fork of a schema definition: the latest timestamp wins, ties broken by ref (same on every peer).
    const pick = current.length === 0 ? null : current.reduce((a, b) => (b.timestamp > a.timestamp || (b.timestamp === a.timestamp && b.ref > a.ref) ? b : a))
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

  /** Validates and appends a version of record `id` (new random id if absent) linking to its current heads. */
  async put (schema: string, value: unknown, opts: { id?: string } = {}): Promise<string> {
    const op: BatchOp = opts.id === undefined ? { type: 'put', schema, value } : { type: 'put', schema, value, id: opts.id }
    const [id] = await this.batch([op])
    return id as string
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
    await this.ready()
    this.assertOpen()
    if (!Array.isArray(ops)) throw new RecordDbError('ERR_BATCH', 'batch takes an array of ops')
    if (ops.length > MAX_BATCH) throw new RecordDbError('ERR_BATCH', `a batch holds at most ${MAX_BATCH} ops`)
    if (ops.length === 0) return []
    return await this.serialized(async () => {
      const seen = new Set<string>()
      const planned: Array<{ op: BatchOp; id: string }> = []
      for (const op of ops) {
        if (op === null || typeof op !== 'object' || (op.type !== 'put' && op.type !== 'del')) {
          throw new RecordDbError('ERR_BATCH', "each op needs type 'put' or 'del'")
        }
        checkSchemaName(op.schema)
        const id = op.id ?? newId()
        if (!ID_PATTERN.test(id)) throw new RecordDbError('ERR_BAD_ID', 'an id is 1..256 characters without control characters')
        const k = op.schema + SEP + id
        if (seen.has(k)) throw new RecordDbError('ERR_BATCH', `record ${op.schema}/${id} appears twice in one batch`)
        seen.add(k)
        if (op.type === 'put') {
          if (op.schema === SOURCE_TYPE) checkSource(id, op.value)
          await this.validate(op.schema, op.value)
        } else {
          if (op.schema === SOURCE_TYPE) throw new RecordDbError('ERR_BATCH', 'revoke a source with revoke(), which names the length')
          await this.requireSchema(op.schema)
        }
        planned.push({ op, id })
      }
      // Fresh random ids have no versions yet: only named ids need their heads (and the index caught up).
      const needHeads = opts.fresh !== true && planned.some(({ op }) => op.type === 'del' || op.id !== undefined)
      if (opts.fresh === true && planned.some(({ op }) => op.type === 'del')) throw new RecordDbError('ERR_BATCH', 'a fresh batch holds puts only')
      if (needHeads && this.paused) throw new RecordDbError('ERR_BATCH', 'writes that name an id need the index: resume() first')
      if (needHeads) await this.kappa.indexed([VIEW])
      const timestamp = Date.now()
      const envelopes: Envelope[] = []
      for (const { op, id } of planned) {
        const heads = needHeads ? await this.current(op.schema, id) : []
        if (op.type === 'del' && !heads.some((h) => h.op === 'put')) {
          throw new RecordDbError('ERR_NOT_FOUND', `no record ${op.schema}/${id}`)
        }
        const env: Envelope = { id, schema: op.schema, op: op.type, timestamp, links: heads.map((h) => h.ref) }
        if (op.type === 'put') env.value = op.value
        if (!checkEnvelope(env)) throw new ValidationError('envelope', issuesOf(checkEnvelope.errors))
        envelopes.push(env)
      }
      const writer = await this.kappa.writer()
      await writer.append(envelopes)
      return planned.map((p) => p.id)
    })
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
    const length = opts.length ?? this.kappa.feed(key)?.length ?? 0
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
    return limit > (this.kappa.feed(this._writerKey)?.length ?? 0)
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
    return out.sort(byTime) as Array<RecordVersion<V>>
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

  /** Live versions whose indexed fields match `where` (equality or ranges), in index order. */
  async * query<V = unknown> (schema: string, opts: QueryOptions): AsyncGenerator<RecordVersion<V>> {
    const def = await this.requireSchema(schema)
    const indexed = fieldsOf(def.schema).index
    const conds = parseWhere(opts?.where, indexed)
    const limit = opts.limit ?? Infinity
    await this.indexed()
    const counts = await this.counter()
    // Drive the scan with the narrowest condition: count each one's index entries up to a cap.
    const boundsOf = (c: Cond): { gt?: string; gte?: string; lt?: string; lte?: string } =>
      scanBounds(['i', schema, c.field].join(SEP) + SEP, c.range)
    let driver = conds[0] as Cond
    if (conds.length > 1) {
      let best = Infinity
      for (const c of conds) {
        const n = (await this.data().keys({ ...boundsOf(c), limit: DRIVER_PROBE }).all()).length
        if (n < best) { best = n; driver = c }
      }
    }
    const bounds = boundsOf(driver)
    const seenRefs = new Set<string>()
    let n = 0
    if (n >= limit) return
    // Hits are verified in chunks: is this version current (and counted) for its record?
    let chunk: Array<{ id: string; r: string }> = []
    const drain = async function * (self: RecordDB): AsyncGenerator<RecordVersion<V>> {
      const current = await self.currentMany(schema, chunk.map((c) => c.id), counts)
      for (const { id, r } of chunk) {
        const v = current.get(id)?.find((c) => c.ref === r && c.op === 'put')
        if (v === undefined || !conds.every((c) => matches(v.value, c))) continue
        yield v as RecordVersion<V>
        if (++n >= limit) return
      }
      chunk = []
    }
    for await (const k of this.data().keys(bounds) as AsyncIterable<string>) {
      const parts = splitKey(k)
      const r = parts[5] as string
      if (seenRefs.has(r)) continue
      seenRefs.add(r)
      const { feed, address } = parseRef(r)
      if (!counts(feed, address.block)) continue
      chunk.push({ id: parts[4] as string, r })
      if (chunk.length >= Math.min(256, limit - n)) { // a small limit needs a small first chunk
        yield * drain(this)
        if (n >= limit) return
      }
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
    const feeds: FeedStatus[] = this.kappa.feeds().map((f) => {
      const key = (f.key as Buffer).toString('hex')
      const limit = limits === null ? Infinity : limits.get(key) ?? 0
      return { key, length: f.length, local: key === this._writerKey, counted: limit === Infinity ? 'all' : Math.min(limit, f.length) }
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

  close (): Promise<void> {
    this.closing ??= (async () => {
      if (this.opening !== null) await this.opening.catch(() => {})
      await this.writing.catch(() => {})
      if (this._kappa !== null) await this._kappa.close()
    })()
    return this.closing
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
      if (!isEnvelope(e.value)) continue
      const env = e.value
      versions.push({ schema: env.schema, id: env.id, op: env.op, feed: e.key, ref: ref(e.key, e.address), timestamp: env.timestamp })
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

  private assertOpen (): void {
    if (this.closing !== null) throw new RecordDbError('ERR_CLOSED', 'the database is closed')
  }
}

function checkSchemaName (name: unknown): asserts name is string {
  const ok = typeof name === 'string' && name.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(name)
  if (!ok) throw new RecordDbError('ERR_UNKNOWN_SCHEMA', `invalid schema name ${JSON.stringify(name)}`)
}

function checkSource (id: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || (value as { key?: unknown }).key !== id) {
    throw new RecordDbError('ERR_BAD_KEY', 'a core/source record\'s id must be the feed key it names')
  }
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
