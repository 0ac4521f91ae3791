// viewSuite(test, options): registers one tape test per check of the view contract.
import { CHECK_RUNNERS } from './checks.js'
import { CHECKS, resolveOptions, type ViewSuiteOptions } from './options.js'
import type { SuiteTest } from './suite-types.js'

/**
 * Registers the view contract's checks on `test` (tape's, or a harness of it) for the view
 * `options.create()` makes, over logs of `options.values(i)`. Throws ViewSuiteError
 * ERR_INVALID_OPTIONS at once for options that cannot work.
 */
export function viewSuite (test: SuiteTest, options: ViewSuiteOptions): void {
  if (typeof test !== 'function') throw new TypeError('viewSuite(test, options): test must be tape\'s test function')
  const opts = resolveOptions(options)
  for (const check of CHECKS) {
    if (!opts.checks.has(check)) continue
    const { title, run } = CHECK_RUNNERS[check]!
    test(`view-suite ${opts.name}: ${title}`, async (t) => {
      try {
        await run(t, opts)
      } catch (err) {
        // a view in error, a wait that failed: say which check and why, as a failure
        t.fail(`${check}: ${err instanceof Error ? err.message : String(err)}`)
      }
    })
  }
}
