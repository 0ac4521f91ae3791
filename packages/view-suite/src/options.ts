// What a view hands the suite, and the suite's defaults.
import type { AnyView } from '@kappa-ts/kappa-core'
import { ViewSuiteError } from './errors.js'

/** What values(i, at) is told about the entry it makes. */
export interface ValueContext {
  /** Which writer appends it (0 .. writers - 1). */
  readonly writer: number
  /** That writer's feed key (hex): e.g. for records only their author may write. */
  readonly feed: string
  /**
   * Entry ids (`<feed>@<block>.<index>`) of the values appended before this one's append:
   * `ids[j]` for value j, undefined for a value of the same append (a link target).
   */
  readonly ids: ReadonlyArray<string | undefined>
}

/** Optional checks, as abstract-level's suite gates on a `supports` manifest. Each defaults to true. */
export interface ViewSuiteSupports {
  /** A SIGKILL mid-indexing, then a restart: needs `module` (the child process builds the view from it). */
  crash?: boolean
  /** A writer truncates its feed: what was derived from the removed entries goes. */
  truncate?: boolean
  /** Hostile entries: deep, huge, ill-formed text, JSON of no shape of the view's. */
  hostile?: boolean
}

/** The suite's checks, by name (`checks` runs a part of them). */
export const CHECKS = ['rebuild', 'order', 'crash', 'version', 'truncate', 'hostile'] as const
export type CheckName = typeof CHECKS[number]

export interface ViewSuiteOptions {
  /** Names the view in the test names. */
  name: string
  /** A fresh view object, with in-memory state of its own, each call. */
  create(): AnyView
  /**
   * The i-th entry value to write (i = 0, 1, ...): what the view indexes, in the shapes
   * it meets in practice (several keys, links to earlier entries, every kind of record).
   * May depend on i and `at`; randomness is allowed (the logs are written once per check).
   */
  values(i: number, at: ValueContext): unknown
  /**
   * The module that exports these options (`import.meta.url` of it), as `exportName`: the
   * crash check's child process imports it to create the view. Keep tests out of it.
   * Required unless `supports.crash` is false.
   */
  module?: string | URL
  /** The export of `module` that holds these options. Default 'default'. */
  exportName?: string
  /** The logs' value encoding, as the view expects its entries. Default 'json'. */
  valueEncoding?: 'json' | 'binary' | 'utf-8'
  /** Values each check writes. Default 120. */
  count?: number
  /** Writers (feeds) the values are spread over. Default 3. */
  writers?: number
  /** Seeds every random choice (append sizes, orders, the kill point). Default fixed. */
  seed?: number
  supports?: ViewSuiteSupports
  /** Run only these checks (default all that `supports` allows). */
  checks?: CheckName[]
}

export interface Resolved {
  name: string
  create: () => AnyView
  values: (i: number, at: ValueContext) => unknown
  module: string | null
  exportName: string
  valueEncoding: 'json' | 'binary' | 'utf-8'
  count: number
  writers: number
  seed: number
  checks: Set<CheckName>
}

export const DEFAULT_SEED = 20261201
const DEFAULT_COUNT = 120
const DEFAULT_WRITERS = 3

export function resolveOptions (opts: ViewSuiteOptions): Resolved {
  if (opts === null || typeof opts !== 'object') throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'viewSuite(test, options): options are required')
  if (typeof opts.name !== 'string' || opts.name === '') throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'options.name must be a non-empty string')
  if (typeof opts.create !== 'function') throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'options.create must be a function returning a fresh view')
  if (typeof opts.values !== 'function') throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'options.values must be a function (i, at) => value')
  const count = opts.count ?? DEFAULT_COUNT
  const writers = opts.writers ?? DEFAULT_WRITERS
  if (!Number.isSafeInteger(count) || count < 10) throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'options.count must be an integer >= 10')
  if (!Number.isSafeInteger(writers) || writers < 2 || writers > 16) throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'options.writers must be an integer in 2..16')
  const encoding = opts.valueEncoding ?? 'json'
  if (encoding !== 'json' && encoding !== 'binary' && encoding !== 'utf-8') throw new ViewSuiteError('ERR_INVALID_OPTIONS', "options.valueEncoding must be 'json', 'binary' or 'utf-8'")
  const supports = opts.supports ?? {}
  const checks = new Set<CheckName>(opts.checks ?? CHECKS)
  for (const c of checks) if (!CHECKS.includes(c)) throw new ViewSuiteError('ERR_INVALID_OPTIONS', `options.checks: no check named ${String(c)} (${CHECKS.join(', ')})`)
  for (const gated of ['crash', 'truncate', 'hostile'] as const) if (supports[gated] === false) checks.delete(gated)
  const module = opts.module === undefined ? null : String(opts.module)
  if (checks.has('crash') && module === null) {
    throw new ViewSuiteError('ERR_INVALID_OPTIONS', 'options.module (the import.meta.url of the module that exports these options) is required for the crash check; or set supports.crash: false')
  }
  return {
    name: opts.name,
    create: () => opts.create(),
    values: (i, at) => opts.values(i, at),
    module,
    exportName: opts.exportName ?? 'default',
    valueEncoding: encoding,
    count,
    writers,
    seed: opts.seed ?? DEFAULT_SEED,
    checks
  }
}
