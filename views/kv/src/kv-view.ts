// A kv view: key -> latest value(s) on unordered-materialized-kv.
//
// Stored in the view's sublevel:
//   u/...      the umkv's heads and link markers (its own sublevel)
//   v!<key>    the heads of <key> WITH their values: [{ id, key, seq, value }]
// so get(key) is one LevelDB read, and nothing is read back from the logs.
// A value only has to be kept while its doc is a head: a doc that is no longer
// a head never becomes one again, so older values are dropped as they go.
import type { Entry, View, ViewBatch, ViewContext, ViewDb } from '@kappa-ts/kappa-core'
import { LiveQueue } from '@kappa-ts/kappa-core'
import { UnorderedMaterializedKV, type Doc, type UmkvOperation } from '@kappa-ts/unordered-materialized-kv'

/** What a kv map function returns for an entry: the key it sets, and what it replaces. */
export interface KvDoc {
  key: string
  /** Unique id of this doc. Default `${entry.key}@${entry.seq}`. */
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
  seq: number
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
  append(value: unknown): Promise<number>
}

export interface KvViewOptions {
  /** The docs an entry sets. Default: the KvRecord convention ({ key, value, links }). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  map?(entry: Entry<any>): KvDoc | KvDoc[] | null | undefined
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  filter?(entry: Entry<any>): boolean
  version?: number | string
  maxBatch?: number
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
const LAYOUT = 'kv1'
const VALUES = 'v!'

interface KvState<T> {
  umkv: WeakMap<ViewDb, { db: ViewDb; kv: UnorderedMaterializedKV }>
  listeners: Map<string | null, Set<(u: KvUpdate<T>) => void>>
  queues: Set<LiveQueue<KvUpdate<T>>>
  changes: WeakMap<Entry[], KvUpdate<T>[]>
  /** This peer's puts appended but not indexed yet, by key: linked by the next put. */
  unindexed: Map<string, Set<string>>
  /** put() calls per key run one after another so each links the previous. */
  putting: Map<string, Promise<unknown>>
}

function isString (x: unknown): x is string { return typeof x === 'string' }

/** The default map: entries shaped like KvRecord; anything else is not a kv entry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function recordDoc (entry: Entry<any>): KvDoc | null {
  const v: unknown = entry.value
  if (v === null || typeof v !== 'object') return null
  const r = v as Partial<KvRecord<unknown>>
  if (!isString(r.key)) return null
  return { key: r.key, links: Array.isArray(r.links) ? r.links.filter(isString) : [], value: r.value }
}

export function kvView<T = unknown> (opts: KvViewOptions = {}): View<KvApi<T>> {
  const userMap = opts.map ?? recordDoc
  const states = new WeakMap<ViewContext, KvState<T>>()
  const stateOf = (ctx: ViewContext): KvState<T> => {
    let s = states.get(ctx)
    if (s === undefined) {
      const state: KvState<T> = {
        umkv: new WeakMap(), listeners: new Map(), queues: new Set(), changes: new WeakMap(), unindexed: new Map(), putting: new Map()
      }
      ctx.kappa.once('close', () => { for (const q of [...state.queues]) q.close() })
      states.set(ctx, state)
      s = state
    }
    return s
  }
  // ctx.db is replaced when the view is rebuilt: keep one umkv per data sublevel
  const umkvOf = (ctx: ViewContext): { db: ViewDb; kv: UnorderedMaterializedKV } => {
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

  const get = async (ctx: ViewContext, key: string): Promise<KvHead<T>[]> => {
    if (!isString(key)) throw new TypeError('kv get(key): key must be a string')
    const heads = await ctx.db.get(VALUES + key) as KvHead<T>[] | undefined
    return heads ?? []
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
    ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),

    async map (entries: Entry[], batch: ViewBatch, ctx: ViewContext): Promise<void> {
      const docs: Doc[] = []
      const byId = new Map<string, KvHead<T>>()
      for (const entry of entries) {
        const out = userMap(entry)
        if (out === null || out === undefined) continue
        for (const d of Array.isArray(out) ? out : [out]) {
          // a malformed doc from someone's entry must not stop the view: leave it out
          if (d === null || typeof d !== 'object' || !isString(d.key)) continue
          const id = d.id ?? `${entry.key}@${entry.seq}`
          if (!isString(id) || id.length === 0) continue
          const links = Array.isArray(d.links) ? d.links.filter((l) => isString(l) && l.length > 0) : []
          docs.push({ id, key: d.key, links })
          if (!byId.has(id)) byId.set(id, { key: entry.key, seq: entry.seq, value: ('value' in d ? d.value : entry.value) as T, id })
        }
      }
      if (docs.length === 0) return

      const { db: umkvDb, kv } = umkvOf(ctx)
      const ops = await kv.ops(docs)
      // The umkv's heads records (`h!<key>` -> JSON array of head ids, as its
      // README's storage layout documents) say which keys changed and their heads.
      const newHeads = new Map<string, string[]>()
      for (const op of ops) {
        if (op.key.startsWith(UMKV_HEADS)) newHeads.set(op.key.slice(UMKV_HEADS.length), op.type === 'put' ? headIds(op.value) : [])
        applyOp(batch, op, umkvDb)
      }
      if (newHeads.size === 0) return

      // Heads that survive from earlier batches (forks) keep their stored values.
      const needOld = [...newHeads].filter(([, ids]) => ids.some((id) => !byId.has(id))).map(([k]) => k)
      const old = new Map<string, KvHead<T>>()
      if (needOld.length > 0) {
        const prev = await ctx.db.getMany(needOld.map((k) => VALUES + k)) as Array<KvHead<T>[] | undefined>
        for (const heads of prev) for (const h of heads ?? []) old.set(h.id, h)
      }
      const updates: KvUpdate<T>[] = []
      for (const [key, ids] of newHeads) {
        const heads: KvHead<T>[] = []
        for (const id of ids) {
          const h = byId.get(id) ?? old.get(id)
          if (h !== undefined) heads.push(h)
        }
        if (heads.length === 0) batch.del(VALUES + key)
        else batch.put(VALUES + key, heads)
        updates.push({ key, heads })
      }
      stateOf(ctx).changes.set(entries, updates)
    },

    indexed (entries: Entry[], ctx: ViewContext): void {
      const s = stateOf(ctx)
      const updates = s.changes.get(entries)
      if (updates === undefined) return
      s.changes.delete(entries)
      for (const u of updates) {
        const mine = s.unindexed.get(u.key)
        if (mine !== undefined) {
          for (const e of entries) mine.delete(`${e.key}@${e.seq}`)
          if (mine.size === 0) s.unindexed.delete(u.key)
        }
        for (const cb of [...(s.listeners.get(u.key) ?? [])]) cb(u)
        for (const cb of [...(s.listeners.get(null) ?? [])]) cb(u)
      }
    },

    api: {
      get,
      put (ctx: ViewContext, writer: KvWriter, key: string, value: T): Promise<KvHead<T>> {
        if (!isString(key)) return Promise.reject(new TypeError('kv put(writer, key, value): key must be a string'))
        const s = stateOf(ctx)
        const prev = s.putting.get(key) ?? Promise.resolve()
        const run = prev.catch(() => {}).then(async () => {
          const heads = await get(ctx, key)
          const links = new Set(heads.map((h) => h.id))
          for (const id of s.unindexed.get(key) ?? []) links.add(id)
          const record: KvRecord<T> = { key, value, links: [...links] }
          const seq = await writer.append(record)
          const id = `${writer.key}@${seq}`
          let mine = s.unindexed.get(key)
          if (mine === undefined) s.unindexed.set(key, mine = new Set())
          mine.add(id)
          return { key: writer.key, seq, value, id }
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

const UMKV_HEADS = 'h!'

function headIds (value: unknown): string[] {
  const ids: unknown = typeof value === 'string' ? JSON.parse(value) : value
  return Array.isArray(ids) ? ids.filter(isString) : []
}

// The op names its own encodings; pass them on so the umkv reads back what it wrote.
function applyOp (batch: ViewBatch, op: UmkvOperation, sublevel: ViewDb): void {
  if (op.type === 'put') batch.put(op.key, op.value, { sublevel, keyEncoding: op.keyEncoding, valueEncoding: op.valueEncoding })
  else batch.del(op.key, { sublevel, keyEncoding: op.keyEncoding })
}
