// A list view: entries sorted by a key that a map function picks (e.g. a timestamp).
import type { Address, Entry, View, ViewBatch, ViewContext } from '@kappa-ts/kappa-core'
import { LiveQueue } from '@kappa-ts/kappa-core'
import { decodeStoredKey, storedKey, toKeyRange, type SortKey, type SortRange } from './sort-key.js'

/** One entry of the list, as read back. */
export interface ListItem<T> {
  /** Feed (hex key) of the entry. */
  key: string
  /** Where the entry is in its feed. */
  address: Address
  value: T
  /** The sort key the map function gave it. */
  sortKey: SortKey
}

export interface ListReadOptions extends SortRange {
  /** Most items returned. Default: all in range. */
  limit?: number
  /** Largest sort key first. */
  reverse?: boolean
}

export interface ListViewOptions<T> {
  /** Where the entry goes in the list: a sort key, several (it is listed once per key), or null to leave it out. */
  map(entry: Entry<T>): SortKey | SortKey[] | null | undefined
  /** Entries for which this is false are not listed (the cursor still moves past them). */
  filter?(entry: Entry<T>): boolean
  version?: number | string
  maxBatch?: number
  /** When the map function throws for an entry: skip and record it (default), or stop the view. */
  onError?: 'stop' | 'skip'
}

export type ListApi<T> = {
  /** Items in sort-key order (ties by feed key, then address), within the range. */
  read(ctx: ViewContext, opts?: ListReadOptions): Promise<ListItem<T>[]>
  /**
   * Live: yields the last `n` items in order, then each item as it is indexed
   * (items indexed later may sort before earlier ones, e.g. old messages arriving
   * from a peer). Stop with `break` or close().
   */
  tail(ctx: ViewContext, n: number): LiveQueue<ListItem<T>>
  /** Live: each item as it is indexed (in sort order within a batch). */
  subscribe(ctx: ViewContext): LiveQueue<ListItem<T>>
  /** Calls `cb` with the items of each committed batch; returns the function that stops it. */
  onInsert(ctx: ViewContext, cb: (items: ListItem<T>[]) => void): () => void
}

/** An item a batch listed, with its key in the view's sublevel (what the list sorts by). */
export interface ListInserted<T> { item: ListItem<T>; id: string }
type Stored<T> = ListInserted<T>
/** A list view: what map() returns, handed to indexed(), is the items the batch listed. */
export type ListView<T> = View<ListApi<T>, T, Array<ListInserted<T>>>
interface ListState<T> {
  listeners: Set<(items: Stored<T>[]) => void>
  queues: Set<LiveQueue<ListItem<T>>>
}

// Bumped when the stored layout changes, so old data is rebuilt, not misread.
const LAYOUT = 'list2'
// Fewer, larger commits: measured faster than the indexer's 500 for bulk imports.
const DEFAULT_MAX_BATCH = 1000

/** Why a sort key cannot be used, or null: a string (well-formed text) or a number other than NaN. */
function badSortKey (sk: unknown): string | null {
  if (typeof sk === 'number') return Number.isNaN(sk) ? 'its sort key is NaN' : null
  if (typeof sk !== 'string') return `its sort key is ${sk === null ? 'null' : typeof sk}, not a string or a number`
  return (sk as unknown as { isWellFormed(): boolean }).isWellFormed() ? null : 'its sort key is not well-formed text (a lone surrogate)'
}

/** Sorted list view. Use it several times under different names for several lists. */
export function listView<T = unknown> (opts: ListViewOptions<T>): ListView<T> {
  if (opts === null || typeof opts !== 'object' || typeof opts.map !== 'function') {
    throw new TypeError('listView needs { map(entry) => sortKey }')
  }
  const userMap = opts.map
  const states = new WeakMap<ViewContext, ListState<T>>()
  const stateOf = (ctx: ViewContext): ListState<T> => {
    let s = states.get(ctx)
    if (s === undefined) {
      const state: ListState<T> = { listeners: new Set(), queues: new Set() }
      // one listener per view, not per subscription: closing the kappa ends every live query
      ctx.signal.addEventListener('abort', () => { for (const q of [...state.queues]) q.close() }, { once: true })
      states.set(ctx, state)
      s = state
    }
    return s
  }

  const read = async (ctx: ViewContext, ro: ListReadOptions = {}): Promise<ListItem<T>[]> => {
    const range: Record<string, unknown> = { ...toKeyRange(ro), reverse: ro.reverse === true }
    if (ro.limit !== undefined) range.limit = ro.limit
    const out: ListItem<T>[] = []
    for await (const [k, v] of ctx.db.iterator(range)) {
      const d = decodeStoredKey(k as string)
      out.push({ key: d.feed, address: d.address, value: v as T, sortKey: d.sortKey })
    }
    return out
  }

  const listen = (ctx: ViewContext, fn: (items: Stored<T>[]) => void): () => void => {
    const s = stateOf(ctx)
    s.listeners.add(fn)
    return () => { s.listeners.delete(fn) }
  }

  /** A live queue fed by `feed`, ended (and unhooked) by close, break or the kappa closing. */
  const queue = (ctx: ViewContext, feed: (q: LiveQueue<ListItem<T>>, items: Stored<T>[]) => void): LiveQueue<ListItem<T>> => {
    const s = stateOf(ctx)
    let stop = (): void => {}
    const q = new LiveQueue<ListItem<T>>(() => { stop(); s.queues.delete(q) })
    s.queues.add(q)
    stop = listen(ctx, (items) => feed(q, items))
    return q
  }

  const live = (ctx: ViewContext): LiveQueue<ListItem<T>> =>
    queue(ctx, (q, items) => { for (const s of items) q.push(s.item) })

  return {
    version: `${LAYOUT}/${opts.version ?? 0}`,
    maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    onError: opts.onError ?? 'skip',
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),

    map (entries: Entry<T>[], batch: ViewBatch): Array<Stored<T>> {
      const stored: Stored<T>[] = []
      for (const entry of entries) {
        const keys = userMap(entry)
        if (keys === null || keys === undefined) continue
        const list = Array.isArray(keys) ? keys : [keys]
        // a bad sort key from someone's entry must not stop the list: the entry is skipped, and recorded
        const problem = list.map(badSortKey).find((p) => p !== null) ?? null
        if (problem !== null) {
          batch.skip(entry, problem)
          continue
        }
        for (const sk of list) {
          const id = storedKey(sk, entry.key, entry.address)
          batch.put(id, entry.value)
          stored.push({ id, item: { key: entry.key, address: entry.address, value: entry.value, sortKey: sk } })
        }
      }
      return stored
    },

    indexed (_entries: Entry<T>[], stored: Array<Stored<T>>, ctx: ViewContext): void {
      if (stored.length === 0) return
      const s = stateOf(ctx)
      if (s.listeners.size === 0) return
      stored.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      for (const fn of [...s.listeners]) fn(stored)
    },

    api: {
      read,
      tail (ctx: ViewContext, n: number): LiveQueue<ListItem<T>> {
        if (!Number.isSafeInteger(n) || n < 0) throw new TypeError('tail(n) needs a non-negative integer')
        const seen = new Set<string>()
        let backlog: Stored<T>[] | null = []
        // Listen before reading so nothing indexed in between is missed; dedupe after.
        const q = queue(ctx, (q, items) => {
          if (backlog !== null) backlog.push(...items)
          else for (const s of items) q.push(s.item)
        })
        read(ctx, { reverse: true, limit: n }).then((last) => {
          for (let i = last.length - 1; i >= 0; i--) {
            const it = last[i]!
            seen.add(storedKey(it.sortKey, it.key, it.address))
            q.push(it)
          }
          const waiting = backlog ?? []
          backlog = null
          for (const s of waiting) if (!seen.has(s.id)) q.push(s.item)
        }, (err: unknown) => q.fail(err))
        return q
      },
      subscribe: live,
      onInsert (ctx: ViewContext, cb: (items: ListItem<T>[]) => void): () => void {
        return listen(ctx, (items) => cb(items.map((s) => s.item)))
      }
    }
  }
}
