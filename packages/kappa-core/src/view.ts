// The view contract: everything a view is handed, may read and returns, and the
// typing that turns a view's `api` into `kappa.api.<name>`. It names nothing of
// Kappa: a view sees only what is declared here, and `@kappa-ts/view-suite`
// checks a view against this contract.
import type { AbstractSublevel } from 'abstract-level'
import type { Address, Entry } from '@kappa-ts/multifeed-index'

export type { Address, Entry }

/** A view's own data: a sublevel with string keys and JSON values. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
export type ViewDb = AbstractSublevel<any, any, string, any>

/**
 * What a view may read, handed to every map/api/reset/indexed call of the view.
 * The same object for the life of the view (so a view may key in-memory state on it);
 * `db` changes when the view is rebuilt.
 */
export interface ViewContext {
  /** The name the view was use()d under. */
  readonly name: string
  /**
   * This view's data sublevel (string keys, JSON values): what earlier batches committed.
   * Read it freely; write only through the ViewBatch (a write of its own is not
   * committed with the view's progress, so a crash would lose or double it).
   */
  readonly db: ViewDb
  /**
   * The entry at `address` of feed `feedKey` (hex), as map() would get it, or null when the
   * feed is unknown, the block is not local (with `wait`, it is requested from peers) or holds
   * no such entry. At most one block read. Rejects with KappaError ERR_INVALID_ADDRESS for a
   * malformed key or address, ERR_INVALID_ENTRY when the block or entry cannot be decoded
   * (anyone's entry may name any address: treat both as "no such entry").
   */
  entry<V = unknown>(feedKey: string, address: Address, opts?: { wait?: boolean }): Promise<Entry<V> | null>
  /** Aborted when the kappa closes: end live queries and drop listeners on it. */
  readonly signal: AbortSignal
}

/**
 * Writes of one map() call, scoped to the view's sublevel. They are committed
 * in the same atomic LevelDB batch as the view's advanced cursors.
 */
export interface ViewBatch {
  put(key: string, value: unknown, opts?: ViewBatchOptions): void
  del(key: string, opts?: ViewBatchOptions): void
  /**
   * This entry (one of this map() call's) cannot be indexed by the view: it is skipped
   * and recorded with the reason, in the same commit (kappa.skipped(name), status(),
   * the 'skip' event). Write nothing for it. `code` defaults to ERR_NOT_INDEXABLE.
   */
  skip(entry: Entry<unknown>, reason: string, code?: string): void
}

export interface ViewBatchOptions {
  /** Write into this sublevel of the view's db (e.g. ctx.db.sublevel('x')) instead of ctx.db itself. */
  sublevel?: ViewDb
  /** Encodings for this write, when not the (sub)level's defaults (e.g. 'utf8'). */
  keyEncoding?: string
  valueEncoding?: string
}

/** A view's query functions: each takes the ViewContext first, which kappa binds away. */
// The `any[]` is what lets functions with specific parameters be assigned here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see the line above
export type ApiDef = Record<string, (ctx: ViewContext, ...args: any[]) => unknown>

/**
 * A view: a plain object kappa runs over every entry of every log, exactly once per
 * entry across crashes. Its stored state must be a function of the set of entries
 * alone: the same whatever order they arrive in, however they are batched, after a
 * crash and restart, and after a rebuild (`@kappa-ts/view-suite` checks it).
 *
 * - `A`: the api (query functions), exposed bound as `kappa.api.<name>`.
 * - `T`: the entries' value type as the view assumes it (values come from peers:
 *   check them, as a view must be total over any input).
 * - `R`: what map() returns for a batch, handed to indexed() after the commit.
 */
export interface View<A extends ApiDef = ApiDef, T = unknown, R = unknown> {
  /**
   * Indexes a batch of entries: from one or several feeds, in no global order (the
   * entries of one block always together, in log order; blocks of a feed still
   * downloading may come in any order), at most `maxBatch` of them (a larger block goes
   * alone). Reads `ctx.db` (what earlier batches committed) and entries by address
   * (`ctx.entry`); writes only into `batch`, and calls `batch.skip(entry, reason)` for an
   * entry it cannot index. Nothing else: no clock, no randomness, no state of its own that
   * changes what it writes. Its writes and the view's progress commit atomically.
   * What it returns (resolves to) is handed to indexed() once that commit is written.
   */
  map(entries: Entry<T>[], batch: ViewBatch, ctx: ViewContext): R | Promise<R>
  /** Query functions (ctx first); exposed bound as kappa.api.<name>. */
  api?: A
  /** Names the stored layout: a change clears the view's data and rebuilds it from the logs. */
  version?: number | string
  /** Most entries handed to one map() call (default 500). The stored state must not depend on it. */
  maxBatch?: number
  /**
   * When map (or filter) throws: 'stop' (default: a bug in the view is not hidden) puts
   * the view in error with the feed and address of the batch, and resume() retries it;
   * 'skip' finds the entry that makes it throw (map is run on parts of the batch, writing
   * nothing), skips and records it (ERR_MAP_THREW, with the error's message) and indexes
   * the rest. The built-in views use 'skip': no entry of a peer can stop them.
   */
  onError?: 'stop' | 'skip'
  /** Entries for which this returns false are not handed to map (the cursor still moves past them). A pure function of the entry. */
  filter?(entry: Entry<T>): boolean
  /**
   * The view's data was cleared while it runs (a log was truncated) and it is rebuilt
   * from the logs: drop in-memory state derived from it. (A version change is applied
   * when the view opens, before any of its code runs.)
   */
  reset?(ctx: ViewContext): void | Promise<void>
  /**
   * After each committed batch, with the (filtered) entries map() was given and what it
   * returned for them: the live-query hook. Not called for a batch map() never saw (all
   * filtered out). Must not throw (a throw is reported as a 'view-error', indexing goes on).
   */
  indexed?(entries: Entry<T>[], result: R, ctx: ViewContext): void
}

/** Any view, whatever its api, value and result types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- unknown would reject views whose map or api take specific types
export type AnyView = View<any, any, any>

/** A view's api with the ViewContext parameter bound away. */
export type BoundApi<A> = {
  [K in keyof A]: A[K] extends (ctx: ViewContext, ...args: infer P) => infer R ? (...args: P) => R : never
}

/** The bound api of one view (an empty object for a view without api). */
export type ViewApi<W extends AnyView> = [NonNullable<W['api']>] extends [never]
  ? Record<never, never>
  : BoundApi<NonNullable<W['api']>>

/** `kappa.api`: one bound api per view. */
export type KappaApi<V extends Record<string, AnyView>> = { readonly [K in keyof V]: ViewApi<V[K]> }
