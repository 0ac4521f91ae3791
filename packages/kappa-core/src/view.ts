// What a view is, and the typing that turns a view's `api` into `kappa.api.<name>`.
import type { AbstractSublevel } from 'abstract-level'
import type { Entry } from '@kappa-ts/multifeed-index'
import type { Kappa } from './kappa.js'

export type { Entry }

/** A view's own data: a sublevel with string keys and JSON values. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ViewDb = AbstractSublevel<any, any, string, any>

/** Handed to every map/api/reset/indexed call of a view. */
export interface ViewContext {
  /** The name the view was use()d under. */
  readonly name: string
  /** This view's data sublevel (string keys, JSON values). Read it freely; write through the ViewBatch. */
  readonly db: ViewDb
  /** The kappa the view belongs to (e.g. to read a feed). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly kappa: Kappa<any>
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiDef = Record<string, (ctx: ViewContext, ...args: any[]) => unknown>

export interface View<A extends ApiDef = ApiDef, T = unknown> {
  /** Index a batch of entries (from one or several feeds) by writing into `batch`. */
  map(entries: Entry<T>[], batch: ViewBatch, ctx: ViewContext): void | Promise<void>
  /** Query functions; exposed (bound) as kappa.api.<name>. */
  api?: A
  /** Change it to clear the view's data and rebuild it from the logs. */
  version?: number | string
  /** Most entries handed to one map() call. */
  maxBatch?: number
  /**
   * When map (or filter) throws: 'stop' (default: a bug in the view is not hidden) puts
   * the view in error with the feed and address of the batch, and resume() retries it;
   * 'skip' finds the entry that makes it throw (map is run on parts of the batch, writing
   * nothing), skips and records it (ERR_MAP_THREW, with the error's message) and indexes
   * the rest. The built-in views use 'skip': no entry of a peer can stop them.
   */
  onError?: 'stop' | 'skip'
  /** Entries for which this returns false are not handed to map (the cursor still moves past them). */
  filter?(entry: Entry<T>): boolean
  /** Called when the view is about to be rebuilt (its data sublevel is cleared by kappa). */
  reset?(ctx: ViewContext): void | Promise<void>
  /** After each committed batch, with the (filtered) entries it held: the live-query hook. */
  indexed?(entries: Entry<T>[], ctx: ViewContext): void
}

/** A view's api with the ViewContext parameter bound away. */
export type BoundApi<A> = {
  [K in keyof A]: A[K] extends (ctx: ViewContext, ...args: infer P) => infer R ? (...args: P) => R : never
}

/** The bound api of one view (an empty object for a view without api). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ViewApi<W extends View<any, any>> = [NonNullable<W['api']>] extends [never]
  ? Record<never, never>
  : BoundApi<NonNullable<W['api']>>

/** `kappa.api`: one bound api per view. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KappaApi<V extends Record<string, View<any, any>>> = { readonly [K in keyof V]: ViewApi<V[K]> }
