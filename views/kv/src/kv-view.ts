// A kv view: key -> latest value(s) on unordered-materialized-kv.
//
// Stored in the view's sublevel:
//   u/...      the umkv's heads and link markers (its own sublevel)
//   i!<id length>!<id>!<entry id>   1: an entry (`<feed>@<block>.<index>`) that holds a
//              doc whose id is not the default (its entry id). Every entry claiming an id
//              is kept (a peer may reuse anyone's id): one record per claimant, never
//              overwritten, so the table is the same whatever order entries came in.
// Values are not copied into the view: get(key) reads the heads' ids (one
// LevelDB read) and each head's entry (at most one block read, usually a cache
// hit), and runs the map again to pick the doc's value. Indexing then writes only
// the umkv's records, and the view takes a fraction of the log's size on disk.
import type { Address, Entry, View, ViewBatch, ViewContext, ViewDb } from '@kappa-ts/kappa-core'
import { LiveQueue, entryId, parseEntryId } from '@kappa-ts/kappa-core'
import { UnorderedMaterializedKV, type Doc, type UmkvOperation } from '@kappa-ts/unordered-materialized-kv'

/** What a kv map function returns for an entry: the key it sets, and what it replaces. */
export interface KvDoc {
  key: string
  /** Unique id of this doc. Default the entry id `<feed>@<block>.<index>`. */
  id?: string
  /** Ids of the docs (of the same key) this one replaces. Default none. */
  links?: string[]
  /** The value get() returns for this doc. Default the entry's value. */
  value?: unknown
}

/** One head of a key: the entry that set it and its value. */
export interface KvHead<T> {
  /** Feed (hex key) of the entry. */
  key: string
  /** Where the entry is in its feed. */
  address: Address
  value: T
  /** The doc id: what a later write links to replace this one. */
  id: string
}

/** The stored entry convention used by put() and by the default map. */
export interface KvRecord<T> {
  key: string
  value: T
  links: string[]
}

export interface KvUpdate<T> {
  key: string
  /** The heads after the update (empty if the key has none). */
  heads: KvHead<T>[]
}

/** What put() needs of a writer (kappa.writer() gives one). */
export interface KvWriter {
  readonly key: string
  append(value: unknown): Promise<Address>
}

export interface KvViewOptions {
  /** The docs an entry sets. Default: the KvRecord convention ({ key, value, links }). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a map written for the app's own entry type must fit
  map?(entry: Entry<any>): KvDoc | KvDoc[] | null | undefined
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for map
  filter?(entry: Entry<any>): boolean
  version?: number | string
  maxBatch?: number
  /** When the map function throws for an entry: skip and record it (default), or stop the view. */
  onError?: 'stop' | 'skip'
}

export type KvApi<T> = {
  /** The heads of `key` with their values: [] if unset, one normally, several on a fork. */
  get(ctx: ViewContext, key: string): Promise<KvHead<T>[]>
  /**
   * Writes `{ key, value, links }` with links = the current heads (and this
   * peer's own puts not indexed yet), so an overwrite replaces instead of forking.
   * Resolves with the new head once appended (before it is indexed).
   */
  put(ctx: ViewContext, writer: KvWriter, key: string, value: T): Promise<KvHead<T>>
  /** Calls `cb` after each committed change of `key` (null: of any key); returns the function that stops it. */
  onUpdate(ctx: ViewContext, key: string | null, cb: (update: KvUpdate<T>) => void): () => void
  /** Live: each committed change of `key` (or of every key), until break/close. */
  subscribe(ctx: ViewContext, key?: string): LiveQueue<KvUpdate<T>>
}

// Bumped when the stored layout changes, so old data is rebuilt, not misread.
// kv4: the id table keeps every claimant of a custom id (kv3 kept the last indexed).
const LAYOUT = 'kv4'
const IDS = 'i!'
/** Most claimants of one custom id looked at to resolve a head (a peer may claim any id many times). */
const MAX_CLAIMANTS = 32
const DEFAULT_MAX_BATCH = 1000
const NO_LINKS: string[] = [] // shared by every doc without links; never mutated

type Umkv = { db: ViewDb; kv: UnorderedMaterializedKV }

interface KvState<T> {
  umkv: WeakMap<ViewDb, Umkv>
  listeners: Map<string | null, Set<(u: KvUpdate<T>) => void>>
  queues: Set<LiveQueue<KvUpdate<T>>>
  /** Notifications run one after another so listeners see changes in commit order. */
  notifying: Promise<void>
  /** This peer's puts appended but not indexed yet, by key: linked by the next put. */
  unindexed: Map<string, Set<string>>
  /** put() calls per key run one after another so each links the previous. */
  putting: Map<string, Promise<unknown>>
}

function isString (x: unknown): x is string { return typeof x === 'string' }

/** Where the id table keeps the claimants of custom id `id`: its length first, so no id's range holds another id's. */
function claimPrefix (id: string): string {
  return `${IDS}${id.length}!${id}!`
}

/** No lone surrogate: the text survives UTF-8 (LevelDB keys) unchanged. */
function wellFormed (s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed()
}

/** The default map: entries shaped like KvRecord; anything else is not a kv entry. */
function recordDoc (entry: Entry<unknown>): KvDoc | null {
  const v: unknown = entry.value
  if (v === null || typeof v !== 'object') return null
  const r = v as Partial<KvRecord<unknown>>
  if (!isString(r.key)) return null
  return { key: r.key, links: Array.isArray(r.links) ? r.links.filter(isString) : [], value: r.value }
}

interface MappedDoc { doc: Doc; value: unknown; /** id is the entry's own id */ defaultId: boolean }

/** What map() hands to indexed(): the keys whose heads a batch rewrote, with their new head ids (null: none). */
export type KvChanges = Map<string, string[]> | null
/** A kv view of values T. */
export type KvView<T> = View<KvApi<T>, unknown, KvChanges>

export function kvView<T = unknown> (opts: KvViewOptions = {}): KvView<T> {
  const userMap = opts.map ?? recordDoc

  /**
   * The docs of an entry, or why it cannot be indexed: a doc without a string key, an
   * empty id, a key, id or link that is not well-formed text (a lone surrogate would be
   * stored as another string). One malformed doc makes the whole entry a skip.
   */
  const mapEntry = (entry: Entry): { docs: MappedDoc[]; problem: string | null } => {
    const out = userMap(entry)
    if (out === null || out === undefined) return { docs: [], problem: null }
    const docs: MappedDoc[] = []
    const list = Array.isArray(out) ? out : [out]
    for (let i = 0; i < list.length; i++) {
      const d = list[i]
      const which = list.length > 1 ? `doc ${i}: ` : ''
      if (d === null || typeof d !== 'object' || !isString(d.key)) return { docs: [], problem: `${which}a kv doc needs a string key` }
      if (!wellFormed(d.key)) return { docs: [], problem: `${which}its key is not well-formed text (a lone surrogate)` }
      const defaultId = entryId(entry.key, entry.address)
      const id = d.id ?? defaultId
      if (!isString(id) || id.length === 0 || !wellFormed(id)) return { docs: [], problem: `${which}its id must be a non-empty, well-formed string` }
      const links = Array.isArray(d.links) && d.links.length > 0 ? d.links.filter((l) => isString(l) && l.length > 0) : NO_LINKS
      if (!links.every(wellFormed)) return { docs: [], problem: `${which}a link is not well-formed text (a lone surrogate)` }
      docs.push({ doc: { id, key: d.key, links }, value: 'value' in d ? d.value : entry.value, defaultId: id === defaultId })
    }
    return { docs, problem: null }
  }
  /** The docs of an entry the view indexed (none for one it skipped). */
  const docsOf = (entry: Entry): MappedDoc[] => mapEntry(entry).docs

  const states = new WeakMap<ViewContext, KvState<T>>()
  const stateOf = (ctx: ViewContext): KvState<T> => {
    let s = states.get(ctx)
    if (s === undefined) {
      const state: KvState<T> = {
        umkv: new WeakMap(), listeners: new Map(), queues: new Set(),
        notifying: Promise.resolve(), unindexed: new Map(), putting: new Map()
      }
      ctx.signal.addEventListener('abort', () => { for (const q of [...state.queues]) q.close() }, { once: true })
      states.set(ctx, state)
      s = state
    }
    return s
  }
  // ctx.db is replaced when the view is rebuilt: keep one umkv per data sublevel
  const umkvOf = (ctx: ViewContext): Umkv => {
    const s = stateOf(ctx)
    const data = ctx.db
    let u = s.umkv.get(data)
    if (u === undefined) {
      const db = data.sublevel('u') as ViewDb
      u = { db, kv: new UnorderedMaterializedKV(db) }
      s.umkv.set(data, u)
    }
    return u
  }

  /** The entries that claim custom id `id`, in key order (the same on every peer), at most MAX_CLAIMANTS. */
  const claimants = async (ctx: ViewContext, id: string): Promise<Array<{ key: string; address: Address }>> => {
    const prefix = claimPrefix(id)
    const out: Array<{ key: string; address: Address }> = []
    for await (const k of ctx.db.keys({ gt: prefix, lt: prefix + '\uffff', limit: MAX_CLAIMANTS })) {
      const at = parseEntryId((k as string).slice(prefix.length))
      if (at !== null) out.push(at)
    }
    return out
  }

  /** The doc `id` of `key` in the entry at `at`, as a head; null when the entry does not hold it (or cannot be read). */
  const headAt = async (ctx: ViewContext, key: string, id: string, at: { key: string; address: Address }): Promise<KvHead<T> | null> => {
    // anyone's entry may name any address: an unreadable one resolves to nothing
    const entry = await ctx.entry(at.key, at.address).catch((err: unknown) => {
      if ((err as { code?: unknown }).code === 'ERR_INVALID_ENTRY') return null
      throw err
    })
    if (entry === null) return null
    const found = docsOf(entry).find((d) => d.doc.id === id && d.doc.key === key)
    return found === undefined ? null : { key: entry.key, address: entry.address, value: found.value as T, id }
  }

  /**
   * A head with its value: the entry read from its feed, mapped again to find the doc.
   * A default id names its entry; a custom one is looked up in the id table, and when
   * several entries claim it for this key, the first in the table's order wins (every
   * peer holding the same entries picks the same).
   */
  const resolve = async (ctx: ViewContext, key: string, id: string): Promise<KvHead<T> | null> => {
    const own = parseEntryId(id)
    if (own !== null) {
      const head = await headAt(ctx, key, id, own)
      if (head !== null) return head
      // else a custom id that merely looks like an entry id: ask the id table
    }
    for (const at of await claimants(ctx, id)) {
      const head = await headAt(ctx, key, id, at)
      if (head !== null) return head
    }
    return null
  }

  const headsOf = async (ctx: ViewContext, key: string, ids: string[], known?: Map<string, KvHead<T>>): Promise<KvHead<T>[]> => {
    const heads = await Promise.all(ids.map((id) => known?.get(id) ?? resolve(ctx, key, id)))
    return heads.filter((h): h is KvHead<T> => h !== null)
  }

  const get = async (ctx: ViewContext, key: string): Promise<KvHead<T>[]> => {
    if (!isString(key)) throw new TypeError('kv get(key): key must be a string')
    const ids = await umkvOf(ctx).kv.get(key)
    if (ids.length === 0) return []
    return await headsOf(ctx, key, ids)
  }

  const listen = (ctx: ViewContext, key: string | null, cb: (u: KvUpdate<T>) => void): () => void => {
    const s = stateOf(ctx)
    let set = s.listeners.get(key)
    if (set === undefined) s.listeners.set(key, set = new Set())
    set.add(cb)
    return () => {
      set.delete(cb)
      if (set.size === 0 && s.listeners.get(key) === set) s.listeners.delete(key)
    }
  }

  return {
    version: `${LAYOUT}/${opts.version ?? 0}`,
    maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    onError: opts.onError ?? 'skip',
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),

    async map (entries: Entry[], batch: ViewBatch, ctx: ViewContext): Promise<KvChanges> {
      const docs: Doc[] = []
      for (const entry of entries) {
        const mapped = mapEntry(entry)
        if (mapped.problem !== null) {
          batch.skip(entry, mapped.problem)
          continue
        }
        for (const { doc, defaultId } of mapped.docs) {
          docs.push(doc)
          if (!defaultId) batch.put(claimPrefix(doc.id) + entryId(entry.key, entry.address), 1)
        }
      }
      if (docs.length === 0) return null
      const { db: umkvDb, kv } = umkvOf(ctx)
      const { ops, heads } = await kv.opsWithHeads(docs)
      for (const op of ops) applyOp(batch, op, umkvDb)
      // who is told what changed is worked out after the commit (indexed()), and only if someone asks
      return heads.size > 0 ? heads : null
    },

    indexed (entries: Entry[], heads: KvChanges, ctx: ViewContext): void {
      if (heads === null) return
      const s = stateOf(ctx)
      if (s.unindexed.size === 0 && s.listeners.size === 0) return
      // the keys this batch changed and their heads, as the umkv computed them
      const changed: Array<{ key: string; ids: string[] }> = []
      for (const [key, ids] of heads) changed.push({ key, ids })
      const created = new Map<string, KvHead<T>>()
      for (const entry of entries) {
        for (const { doc, value } of docsOf(entry)) {
          if (!created.has(doc.id)) created.set(doc.id, { key: entry.key, address: entry.address, value: value as T, id: doc.id })
        }
      }
      for (const { key } of changed) {
        const mine = s.unindexed.get(key)
        if (mine === undefined) continue
        for (const id of created.keys()) mine.delete(id)
        if (mine.size === 0) s.unindexed.delete(key)
      }
      if (s.listeners.size === 0) return
      const wanted = changed.filter((c) => s.listeners.has(c.key) || s.listeners.has(null))
      if (wanted.length === 0) return
      // heads that survive from earlier batches (forks) are read from their feeds
      s.notifying = s.notifying.then(async () => {
        for (const { key, ids } of wanted) {
          const update: KvUpdate<T> = { key, heads: await headsOf(ctx, key, ids, created) }
          for (const cb of [...(s.listeners.get(key) ?? [])]) cb(update)
          for (const cb of [...(s.listeners.get(null) ?? [])]) cb(update)
        }
      }).catch(() => {}) // a listener that throws must not stop later notifications
    },

    api: {
      get,
      put (ctx: ViewContext, writer: KvWriter, key: string, value: T): Promise<KvHead<T>> {
        if (!isString(key)) return Promise.reject(new TypeError('kv put(writer, key, value): key must be a string'))
        const s = stateOf(ctx)
        const prev = s.putting.get(key) ?? Promise.resolve()
        const run = prev.catch(() => {}).then(async () => {
          const links = new Set(await umkvOf(ctx).kv.get(key))
          for (const id of s.unindexed.get(key) ?? []) links.add(id)
          const record: KvRecord<T> = { key, value, links: [...links] }
          const address = await writer.append(record)
          const id = entryId(writer.key, address)
          let mine = s.unindexed.get(key)
          if (mine === undefined) s.unindexed.set(key, mine = new Set())
          mine.add(id)
          return { key: writer.key, address, value, id }
        })
        s.putting.set(key, run)
        // forget the chain once it is idle, so keys written once do not pile up
        run.finally(() => { if (s.putting.get(key) === run) s.putting.delete(key) }).catch(() => {})
        return run
      },
      onUpdate (ctx: ViewContext, key: string | null, cb: (update: KvUpdate<T>) => void): () => void {
        return listen(ctx, key, cb)
      },
      subscribe (ctx: ViewContext, key?: string): LiveQueue<KvUpdate<T>> {
        const s = stateOf(ctx)
        let stop = (): void => {}
        const q = new LiveQueue<KvUpdate<T>>(() => { stop(); s.queues.delete(q) })
        s.queues.add(q)
        stop = listen(ctx, key ?? null, (u) => q.push(u))
        return q
      }
    }
  }
}

// The op names its own encodings; pass them on so the umkv reads back what it wrote.
function applyOp (batch: ViewBatch, op: UmkvOperation, sublevel: ViewDb): void {
  if (op.type === 'put') batch.put(op.key, op.value, { sublevel, keyEncoding: op.keyEncoding, valueEncoding: op.valueEncoding })
  else batch.del(op.key, { sublevel, keyEncoding: op.keyEncoding })
}
