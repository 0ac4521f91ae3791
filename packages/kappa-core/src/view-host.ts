// Runs one view: its own MultifeedIndex (own cursors, atomic per view), the
// ViewBatch scoped to the view's sublevel, the filter, and the live hook.
import { EventEmitter } from 'node:events'
import type { AbstractChainedBatch } from 'abstract-level'
import type { Multifeed } from '@kappa-ts/multifeed'
import { MultifeedIndex, type EntryReader, type Entry, type IndexDb, type IndexError, type IndexState, type IndexProgress, type MapContext, type SkippedEntry } from '@kappa-ts/multifeed-index'
import { KappaError, type KappaErrorDetails } from './errors.js'
import type { AnyView, Address, ViewBatch, ViewBatchOptions, ViewContext, ViewDb } from './view.js'

/** What a view may read besides its own db: given by the kappa, shared by its views. */
export interface ViewReads {
  entry: ViewContext['entry']
  /** Aborted when the kappa closes. */
  signal: AbortSignal
}

export interface ViewHostOptions {
  name: string
  view: AnyView
  multifeed: Multifeed
  db: ViewDb
  reader: EntryReader
  reads: ViewReads
}

/** What the host's map hands on to the live hook: the entries map was given, and its result. */
interface Mapped { given: Entry[]; result: unknown }

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
type AnyBatch = AbstractChainedBatch<any, any, any>

/**
 * Events: 'state'(state), 'progress'(IndexProgress), 'failed'(KappaError),
 * 'indexed'(entries) after each commit with the entries the view was given,
 * 'skip'(SkippedEntry) for an entry or block that could not be indexed.
 */
export class ViewHost extends EventEmitter {
  readonly name: string
  readonly index: MultifeedIndex
  readonly ctx: ViewContext
  private readonly view: AnyView
  private starting: Promise<void> | null = null
  private failure: KappaError | null = null

  constructor (opts: ViewHostOptions) {
    super()
    this.setMaxListeners(0) // one 'failed' listener per pending indexed() call
    this.name = opts.name
    this.view = opts.view
    this.ctx = viewContext(this, opts.reads)
    const view = opts.view
    this.index = new MultifeedIndex({
      multifeed: opts.multifeed,
      db: opts.db as unknown as IndexDb,
      reader: opts.reader,
      ...(view.maxBatch !== undefined ? { maxBatch: view.maxBatch } : {}),
      ...(view.version !== undefined ? { version: view.version } : {}),
      ...(view.onError !== undefined ? { onError: view.onError } : {}),
      map: (entries: Entry[], batch: AnyBatch, ictx: MapContext): Promise<Mapped | null> => this.map(entries, batch, ictx)
    })
    this.index.on('state', (state: IndexState) => {
      if (state !== 'error') this.failure = null
      this.emit('state', state)
    })
    this.index.on('progress', (p: IndexProgress) => this.emit('progress', p))
    this.index.on('map-error', (err: IndexError) => this.fail(err))
    this.index.on('index-error', (err: IndexError) => this.fail(err))
    this.index.on('skip', (skip: SkippedEntry) => this.emit('skip', skip))
    // the index started over (e.g. a feed was truncated): in-memory view state goes too
    this.index.on('reset', () => { this.reset() })
    // (what this host's map returned: Mapped or null)
    this.index.on('batch', (_entries: Entry[], mapped: unknown) => { if (mapped !== null) this.onBatch(mapped as Mapped) })
  }

  get state (): IndexState { return this.index.state }

  /** The view's current data sublevel (it changes when the view is rebuilt). */
  data (): ViewDb {
    try {
      return this.index.data as ViewDb
    } catch (err) {
      throw new KappaError('ERR_NOT_READY', `view "${this.name}" is not open yet: await kappa.ready() first`, { view: this.name, cause: err })
    }
  }

  get error (): KappaError | null { return this.failure }

  /** Opens the index; it starts indexing what exists and then follows the feeds live. */
  start (): Promise<void> {
    this.starting ??= this.index.ready().catch((err: unknown) => {
      this.fail(err)
      throw this.failure
    })
    return this.starting
  }

  /** Resolves when every entry known now is indexed; rejects if the view is (or goes) in error. */
  async indexed (): Promise<void> {
    await this.start()
    if (this.failure !== null) throw this.failure
    await new Promise<void>((resolve, reject) => {
      const onFail = (err: KappaError): void => reject(err)
      this.once('failed', onFail)
      this.index.indexed().then(resolve, (err: unknown) => reject(this.failure ?? this.asKappaError(err))).finally(() => this.off('failed', onFail))
    })
  }

  pause (): void { this.index.pause() }
  resume (): void { this.index.resume() }

  async close (): Promise<void> {
    if (this.starting !== null) await this.starting.catch(() => {})
    await this.index.close()
  }

  /** Filters the batch and runs the view's map over what is left; null when nothing is. */
  private async map (entries: Entry[], batch: AnyBatch, ictx: MapContext): Promise<Mapped | null> {
    const data = ictx.data as ViewDb
    const filter = this.view.filter
    const given = filter === undefined ? entries : entries.filter((e) => filter.call(this.view, e))
    if (given.length === 0) return null
    const viewBatch = scopedBatch(batch, data, ictx)
    const result: unknown = await this.view.map(given, viewBatch, this.ctx)
    return { given, result }
  }

  private onBatch ({ given, result }: Mapped): void {
    if (this.view.indexed !== undefined) {
      try {
        this.view.indexed(given, result, this.ctx)
      } catch (err) {
        // A broken live-query hook must not stop indexing; report it like a view error.
        this.emit('hook-error', new KappaError('ERR_VIEW_FAILED', `view "${this.name}": indexed() hook threw`, { view: this.name, cause: err }))
      }
    }
    this.emit('indexed', given)
  }

  private reset (): void {
    if (this.view.reset === undefined) return
    Promise.resolve()
      .then(() => this.view.reset?.(this.ctx))
      .catch((err: unknown) => this.emit('hook-error', new KappaError('ERR_VIEW_FAILED', `view "${this.name}": reset() threw`, { view: this.name, cause: err })))
  }

  private asKappaError (err: unknown): KappaError {
    if ((err as { code?: unknown } | null)?.code === 'ERR_CLOSED') {
      return new KappaError('ERR_CLOSED', `view "${this.name}" closed`, { view: this.name, cause: err })
    }
    return this.viewFailed(err)
  }

  private fail (err: unknown): void {
    this.failure = this.viewFailed(err)
    this.emit('failed', this.failure)
  }

  private viewFailed (err: unknown): KappaError {
    const e = err as Partial<IndexError> | null
    const details: KappaErrorDetails = { view: this.name, cause: err }
    if (typeof e?.feed === 'string') details.feed = e.feed
    if (e?.address !== undefined) details.address = e.address
    const at = details.address !== undefined ? `${details.address.block}.${details.address.index}` : '?'
    const where = details.feed !== undefined ? ` at ${details.feed.slice(0, 8)}…@${at}` : ''
    const why = err instanceof Error ? err.message : String(err)
    return new KappaError('ERR_VIEW_FAILED', `view "${this.name}" failed${where}: ${why}`, details)
  }
}

/** The ViewContext of a host: its name, its current data sublevel, and the kappa's declared reads. */
function viewContext (host: ViewHost, reads: ViewReads): ViewContext {
  const name = host.name
  return Object.freeze({
    name,
    get db (): ViewDb { return host.data() },
    entry: <V = unknown>(feedKey: string, address: Address, opts?: { wait?: boolean }) => reads.entry<V>(feedKey, address, opts),
    signal: reads.signal
  })
}

// abstract-level's chained batch is slow with the `sublevel` option (it walks
// the sublevel's ancestry and copies the options on every put: ~6 µs a put,
// 3x a plain put). The view's sublevels all live under the batch's db, so we
// prefix their keys ourselves once and put plain utf8 keys, which writes the
// same bytes. Anything unusual (another key encoding, a sublevel elsewhere)
// takes the general path.
const relativePrefixes = new WeakMap<object, Map<object, string | null>>()

function relativePrefix (batchDb: ViewDb, sub: ViewDb): string | null {
  let bySub = relativePrefixes.get(batchDb)
  if (bySub === undefined) relativePrefixes.set(batchDb, bySub = new Map())
  let rel = bySub.get(sub)
  if (rel === undefined) {
    const base: unknown = batchDb.prefix
    const full: unknown = sub.prefix
    const utf8 = (db: ViewDb): boolean => db.keyEncoding().format === 'utf8' && db.keyEncoding().name === 'utf8'
    rel = typeof base === 'string' && typeof full === 'string' && full.startsWith(base) && utf8(batchDb) && utf8(sub)
      ? full.slice(base.length)
      : null
    bySub.set(sub, rel)
  }
  return rel
}

function scopedBatch (batch: AnyBatch, data: ViewDb, ictx: MapContext): ViewBatch {
  const batchDb = batch.db as ViewDb
  const dataPrefix = relativePrefix(batchDb, data)
  const fastPrefix = (opts: ViewBatchOptions | undefined): string | null => {
    if (opts === undefined) return dataPrefix
    if (opts.keyEncoding !== undefined && opts.keyEncoding !== 'utf8') return null
    return relativePrefix(batchDb, opts.sublevel ?? data)
  }
  return {
    skip (entry: Entry<unknown>, reason: string, code?: string) {
      ictx.skip(entry, reason, code)
    },
    put (key: string, value: unknown, opts?: ViewBatchOptions) {
      const prefix = typeof key === 'string' ? fastPrefix(opts) : null
      const enc = opts?.valueEncoding ?? 'json'
      if (prefix !== null && enc === 'json') {
        // stringified here: abstract-level's json path costs ~2x more per put
        batch.put(prefix + key, JSON.stringify(value))
      } else if (prefix !== null && enc === 'utf8' && typeof value === 'string') {
        batch.put(prefix + key, value)
      } else {
        batch.put(key, value, writeOptions(opts, data))
      }
    },
    del (key: string, opts?: ViewBatchOptions) {
      const prefix = typeof key === 'string' ? fastPrefix(opts) : null
      if (prefix !== null) batch.del(prefix + key)
      else batch.del(key, writeOptions(opts, data))
    }
  }
}

function writeOptions (opts: ViewBatchOptions | undefined, data: ViewDb): { sublevel: ViewDb; keyEncoding?: string; valueEncoding?: string } {
  const out: { sublevel: ViewDb; keyEncoding?: string; valueEncoding?: string } = { sublevel: opts?.sublevel ?? data }
  if (opts?.keyEncoding !== undefined) out.keyEncoding = opts.keyEncoding
  if (opts?.valueEncoding !== undefined) out.valueEncoding = opts.valueEncoding
  return out
}
