// KappaLevel: an abstract-level database whose writes go to this peer's own log in
// a kappa multifeed and whose reads come from a view of every peer's writes,
// materialized in LevelDB in Level's key order. Any code written for the Level
// interface (level, classic-level, memory-level) runs on it unchanged, and peers
// that share the kappa key share the database.
import fs from 'node:fs'
import { AbstractLevel, type AbstractDatabaseOptions, type AbstractSnapshot } from 'abstract-level'
import { Kappa, type Entry, type KappaOptions, type SkippedEntry } from '@kappa-ts/kappa-core'
import { KappaLevelError } from './errors.js'
import { winnerOf } from './heads.js'
import { readHeads, storedValue, stripValue } from './heads-store.js'
import { KeyFilter } from './key-filter.js'
import { KappaLevelIterator, KappaLevelKeyIterator, KappaLevelSnapshot, KappaLevelValueIterator } from './iterators.js'
import { normalize, type Stored } from './keys.js'
import { levelView, type LevelView } from './level-view.js'
import { OwnWrites } from './own-writes.js'
import { entryKey, parseOpId, positionOf } from './positions.js'
import { feedTag } from './writer-tag.js'
import { tablesOf, type Table, type Tables } from './tables.js'
import { LevelWriter, type WriteRequest } from './writes.js'

/** The name of KappaLevel's view in `db.kappa`. */
export const VIEW_NAME = 'level'

export type LevelKappa = Kappa<{ level: LevelView }>

export interface KappaLevelOptions<K = string, V = string> extends AbstractDatabaseOptions<K, V> {
  /** The kappa (multifeed) key to join an existing database (32 bytes or 64 hex chars). Default: a new database. */
  key?: Uint8Array | string
  /** Which feeds announced by peers to replicate (see @kappa-ts/multifeed). Default: all. */
  accept?: KappaOptions['accept']
  maxFeeds?: number
  maxFeedsPerMessage?: number
  /** Bytes of decoded log blocks kappa's shared cache keeps (kappa's default, 16 MiB). */
  cacheBytes?: number
  /**
   * RocksDB write buffer of the logs, in bytes (kappa's default, 16 MiB). An open database
   * preallocates about this much disk for its write-ahead log (22 MB open at the default,
   * 4 MB at 64 KiB): lower it when many databases are open at once.
   */
  writeBufferSize?: number
}

/** One head of a key: a write that no write of the same key has replaced. */
export interface KappaLevelHead<V = string> {
  /** The write's id: what a later write of the key links to replace it. */
  id: string
  /** The writer's feed key (hex). */
  writer: string
  /** 1 + the highest clock of the writes it replaced. */
  clock: number
  /** Whether the write is a delete. */
  deleted: boolean
  /** The value written (undefined for a delete). */
  value: V | undefined
  /** Whether the conflict rule picks this head: what get() returns. */
  winner: boolean
}

/** An entry of some log that is not a KappaLevel entry, skipped by the view (kappa's skip record). */
export type { SkippedEntry }

interface EncodingOptions { keyEncoding?: string; valueEncoding?: string }

// What the private API is handed: encodings are format names, ranges already encoded.
/* eslint-disable @typescript-eslint/no-explicit-any -- abstract-level's private API passes options and encoded data untyped */
type PrivateOptions = Record<string, any> & { keyEncoding: string; valueEncoding?: string; snapshot?: AbstractSnapshot }
type PrivateOperation = { type: 'put' | 'del'; key: string | Uint8Array; value?: string | Uint8Array }
type Encoding = { format: string; encode(data: any): any; decode(data: any): any }
/* eslint-enable @typescript-eslint/no-explicit-any */

const HEX_KEY = /^[0-9a-fA-F]{64}$/

/**
 * Everything kappa-side that lives from one open() to the next close(): a closed
 * kappa cannot reopen, so each open builds a fresh one over the same storage.
 */
class Session {
  readonly kappa: LevelKappa
  readonly own = new OwnWrites()
  readonly filter: KeyFilter
  writer: LevelWriter | null = null
  /** Writes not settled yet: close() lets them finish. */
  readonly inFlight = new Set<Promise<void>>()

  constructor (location: string, options: KappaOptions) {
    this.kappa = new Kappa(location, {
      ...options,
      // entries are binary (entry-format.ts): Level keys and values are bytes
      valueEncoding: 'binary',
      views: { level: levelView({ indexed: (entries) => this.indexed(entries), filter: () => this.filter }) }
    })
    this.filter = new KeyFilter(() => scanKeys(this.tables()))
    this.kappa.on('state', (name: string, state: string) => {
      if (name !== VIEW_NAME) return
      if (state === 'error') {
        const cause = this.kappa.status()[VIEW_NAME]?.error
        this.own.fail(new KappaLevelError('ERR_NOT_INDEXED', 'the write is on the log, but the view stopped before applying it (it will once the view is resumed)', { cause }))
      } else {
        this.own.recover()
      }
    })
    this.kappa.once('close', () => {
      this.own.fail(new KappaLevelError('ERR_CLOSED', 'the database closed before the write was applied (it is on the log: it will be on reopen)'))
    })
  }

  tables (): Tables {
    return tablesOf(this.kappa.context(VIEW_NAME).db)
  }

  private indexed (entries: Entry[]): void {
    const writer = this.writer
    if (writer === null) return
    let mine: string[] | null = null
    for (const e of entries) if (e.key === writer.key) (mine ??= []).push(entryKey(e.key, positionOf(e)))
    if (mine !== null) writer.applied(mine)
  }
}

const MANIFEST = {
  encodings: { utf8: true, buffer: true, view: true },
  // reads go straight to the view's LevelDB (classic-level), which provides these
  implicitSnapshots: true,
  explicitSnapshots: true,
  has: true,
  getSync: true,
  seek: true,
  permanence: true,
  createIfMissing: true,
  errorIfExists: true,
  signals: { iterators: true },
  additionalMethods: { heads: true, skipped: true, approximateSize: true }
}

/** Entries kept by kappa's entry cache unless told otherwise (see the constructor). */

/** Keys clear() deletes per append. */
const CLEAR_CHUNK = 1000

export class KappaLevel<KDefault = string, VDefault = string> extends AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault> {
  /** The folder the database lives in (its logs and its view). */
  readonly location: string
  readonly #kappaOptions: KappaOptions
  #session: Session | null = null

  constructor (storage: string, options: KappaLevelOptions<KDefault, VDefault> = {}) {
    if (typeof storage !== 'string' || storage === '') {
      throw new KappaLevelError('ERR_INVALID_OPTIONS', 'storage must be a non-empty folder path')
    }
    const { key, accept, maxFeeds, maxFeedsPerMessage, cacheBytes, writeBufferSize, ...levelOptions } = options ?? {}
    if (key !== undefined && !(typeof key === 'string' ? HEX_KEY.test(key) : key instanceof Uint8Array && key.byteLength === 32)) {
      throw new KappaLevelError('ERR_INVALID_OPTIONS', 'key must be 32 bytes or 64 hex characters')
    }
    super(MANIFEST, levelOptions)
    this.location = storage
    const kappaOptions: KappaOptions = {}
    if (key !== undefined) kappaOptions.key = key
    if (accept !== undefined) kappaOptions.accept = accept
    if (maxFeeds !== undefined) kappaOptions.maxFeeds = maxFeeds
    if (maxFeedsPerMessage !== undefined) kappaOptions.maxFeedsPerMessage = maxFeedsPerMessage
    if (cacheBytes !== undefined) kappaOptions.cacheBytes = cacheBytes
    if (writeBufferSize !== undefined) kappaOptions.writeBufferSize = writeBufferSize
    this.#kappaOptions = kappaOptions
  }

  /**
   * The kappa underneath (after the database opened): `replicate()`, `key`, `status()`,
   * `indexed()`; @kappa-ts/swarm's `join(db.kappa)` puts it on the network. Each open() makes a new one over the same storage.
   */
  get kappa (): LevelKappa {
    if (this.#session === null) throw new KappaLevelError('ERR_NOT_OPEN', 'db.kappa exists once the database is open: await db.open() first')
    return this.#session.kappa
  }

  // ---- open and close ---------------------------------------------------

  async _open (options: { createIfMissing: boolean; errorIfExists: boolean }): Promise<void> {
    const exists = hasData(this.location)
    if (!exists && !options.createIfMissing) {
      throw new KappaLevelError('ERR_STORAGE_MISSING', `${this.location} does not exist (createIfMissing is false)`)
    }
    if (exists && options.errorIfExists) {
      throw new KappaLevelError('ERR_STORAGE_EXISTS', `${this.location} already exists (errorIfExists is true)`)
    }
    const session = new Session(this.location, this.#kappaOptions)
    try {
      await session.kappa.ready()
      const writer = await session.kappa.writer()
      session.writer = new LevelWriter(writer, () => session.tables(), session.own, session.filter)
      session.filter.start()
      // what is already on the logs here is applied before the first read
      await session.kappa.indexed()
      const t = session.tables()
      await Promise.all([t.values.open(), t.heads.open()])
    } catch (err) {
      await session.kappa.close().catch(() => {})
      throw err
    }
    this.#session = session
  }

  async _close (): Promise<void> {
    const session = this.#session
    if (session === null) return
    await Promise.allSettled([...session.inFlight])
    await session.filter.close()
    await session.kappa.close()
  }

  // ---- reads: straight from the view's value table ------------------------

  #values (): Table {
    return (this.#session as Session).tables().values
  }

  async _get (key: Stored, options: PrivateOptions): Promise<unknown> {
    return stripValue(await this.#values().get(key, readOptions(options)))
  }

  _getSync (key: Stored, options: PrivateOptions): unknown {
    return stripValue(this.#values().getSync(key, readOptions(options)))
  }

  async _getMany (keys: Stored[], options: PrivateOptions): Promise<unknown[]> {
    const values = await this.#values().getMany(keys, readOptions(options))
    for (let i = 0; i < values.length; i++) values[i] = stripValue(values[i])
    return values
  }

  async _has (key: Stored, options: PrivateOptions): Promise<boolean> {
    return await this.#values().has(key, readOptions(options))
  }

  async _hasMany (keys: Stored[], options: PrivateOptions): Promise<boolean[]> {
    return await this.#values().hasMany(keys, readOptions(options))
  }

  _iterator (options: PrivateOptions): KappaLevelIterator {
    return new KappaLevelIterator(this, options, this.#values().iterator(readOptions(options, true)))
  }

  _keys (options: PrivateOptions): KappaLevelKeyIterator {
    return new KappaLevelKeyIterator(this, options, this.#values().keys(readOptions(options, true)))
  }

  _values (options: PrivateOptions): KappaLevelValueIterator {
    return new KappaLevelValueIterator(this, options, this.#values().values(readOptions(options, true)))
  }

  _snapshot (options: { owner: object }): KappaLevelSnapshot {
    // the view's tables are sublevels of one LevelDB: its snapshot covers them all
    return new KappaLevelSnapshot(options, this.#values().db.snapshot())
  }

  // ---- writes: appended to this peer's log, resolved once applied ---------

  async _put (key: Stored, value: Stored, _options: PrivateOptions): Promise<void> {
    await this.#write([{ del: false, key: normalize(key), value: normalize(value) }])
  }

  async _del (key: Stored, _options: PrivateOptions): Promise<void> {
    await this.#write([{ del: true, key: normalize(key) }])
  }

  async _batch (operations: PrivateOperation[], _options: PrivateOptions): Promise<void> {
    const requests = new Array<WriteRequest>(operations.length)
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i]!
      requests[i] = op.type === 'put'
        ? { del: false, key: normalize(op.key), value: normalize(op.value as string | Uint8Array) }
        : { del: true, key: normalize(op.key) }
    }
    await this.#write(requests)
  }

  /** Deletes what the range holds now (read from a snapshot), a chunk of keys per append. */
  async _clear (options: PrivateOptions): Promise<void> {
    // read keys as bytes: a key that is not UTF-8 must be deleted as itself
    const opts = readOptions(options, true)
    for (const bound of ['gt', 'gte', 'lt', 'lte']) {
      if (typeof opts[bound] === 'string') opts[bound] = Buffer.from(opts[bound] as string)
    }
    opts.keyEncoding = 'view'
    const it = this.#values().keys(opts)
    try {
      while (true) {
        const keys = await it.nextv(CLEAR_CHUNK) as Array<string | Uint8Array>
        if (keys.length === 0) break
        await this.#write(keys.map((k) => ({ del: true, key: normalize(k) })))
      }
    } finally {
      await it.close()
    }
  }

  #write (requests: WriteRequest[]): Promise<void> {
    const session = this.#session as Session
    const p = (session.writer as LevelWriter).write(requests)
    session.inFlight.add(p)
    const forget = (): void => { session.inFlight.delete(p) }
    p.then(forget, forget)
    return p
  }

  // ---- beyond the Level interface ------------------------------------------

  /**
   * Every head of `key`: one normally, several when writers wrote it without seeing
   * each other's writes. The winner is what get() returns (or a delete). `[]` for a
   * key no write ever named.
   */
  async heads<K = KDefault, V = VDefault> (key: K, options: EncodingOptions = {}): Promise<Array<KappaLevelHead<V>>> {
    await this.#opened()
    const keyEncoding = (options.keyEncoding === undefined ? this.keyEncoding() : this.keyEncoding(options.keyEncoding as never)) as Encoding
    const valueEncoding = (options.valueEncoding === undefined ? this.valueEncoding() : this.valueEncoding(options.valueEncoding as never)) as Encoding
    const stored = normalize(keyEncoding.encode(key) as string | Uint8Array)
    const [found] = await readHeads((this.#session as Session).tables(), [stored], null)
    if (found === undefined) return []
    const heads = found.heads
    const winner = winnerOf(heads)
    if (winner !== null && found.value !== undefined) winner.value = storedValue(found.value)
    // ids name writers by a tag of their key (writer-tag.ts): find the full key among the logs
    const writers = new Map<string, string>()
    for (const key of (this.#session as Session).kappa.feedKeys()) writers.set(feedTag(key), key)
    return heads.map((h) => ({
      id: h.id,
      writer: writers.get(parseOpId(h.id)?.writer ?? '') ?? '',
      clock: h.clock,
      deleted: h.del,
      value: h.value === undefined ? undefined : valueEncoding.decode(asFormat(h.value, valueEncoding.format)) as V,
      winner: h === winner
    }))
  }

  /**
   * LevelDB's estimate of the bytes the range [start, end) takes on disk (as
   * classic-level's approximateSize(); quadstore uses it to plan queries).
   */
  async approximateSize<K = KDefault> (start: K, end: K, options: { keyEncoding?: string } = {}): Promise<number> {
    await this.#opened()
    const keyEncoding = (options.keyEncoding === undefined ? this.keyEncoding() : this.keyEncoding(options.keyEncoding as never)) as Encoding
    const values = (this.#session as Session).tables().values
    const root = values.db as unknown as { approximateSize(start: unknown, end: unknown, options: object): Promise<number> }
    // any of 'utf8', 'buffer', 'view': prefixKey() takes each (one overload is named here for the compiler)
    const format = keyEncoding.format as 'view'
    const prefix = (key: K): Uint8Array => values.prefixKey(keyEncoding.encode(key) as Uint8Array, format, false)
    const s = prefix(start)
    const e = prefix(end)
    return await root.approximateSize(s, e, { keyEncoding: format })
  }

  /** The entries of the logs the view skipped (not KappaLevel entries), with why: feed, block, index, code, reason. */
  async skipped (): Promise<SkippedEntry[]> {
    await this.#opened()
    return await this.kappa.skipped(VIEW_NAME)
  }

  async #opened (): Promise<void> {
    if (this.status === 'opening') await this.open({ passive: true })
    if (this.status !== 'open' || this.#session === null) {
      throw new KappaLevelError('ERR_NOT_OPEN', 'the database is not open')
    }
  }
}

/** The private options as the view's table takes them: the snapshot swapped for LevelDB's. */
function readOptions (options: PrivateOptions, copy = false): PrivateOptions {
  const snapshot = options.snapshot
  if (snapshot instanceof KappaLevelSnapshot) return { ...options, snapshot: snapshot.inner }
  // iterators may adjust the range options they are given: hand them their own
  return copy ? { ...options } : options
}

/** A stored value in the format an encoding decodes from. */
function asFormat (value: Stored, format: string): string | Uint8Array {
  if (format === 'utf8') return typeof value === 'string' ? value : Buffer.from(value).toString()
  const bytes = typeof value === 'string' ? Buffer.from(value) : value
  return format === 'buffer' ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
}

/** Every key of the value and heads tables, as bytes: what the key filter is built from. */
async function * scanKeys (t: Tables): AsyncGenerator<Uint8Array[]> {
  for (const table of [t.values, t.heads]) {
    const it = table.keys<Uint8Array>({ keyEncoding: 'view' })
    try {
      while (true) {
        const chunk = await it.nextv(1000)
        if (chunk.length === 0) break
        yield chunk
      }
    } finally {
      await it.close()
    }
  }
}

/** Whether `location` holds anything (a database made there before). */
function hasData (location: string): boolean {
  try {
    return fs.readdirSync(location).length > 0
  } catch {
    return false
  }
}
