// The suite must fail a view that breaks the contract. Each broken view (broken-views.ts)
// runs the suite's check that should catch it, in a tape harness of its own, and this
// test reads that harness's results: the check reports failures, and a correct
// variant of the same view passes it.
import test from 'tape'
import { viewSuite, type CheckName, type ViewSuiteOptions } from '../src/index.js'
import * as broken from './broken-views.js'

interface Row { type: string; id?: number; test?: number; name?: string; ok?: boolean }

/** Runs the suite's `checks` over `options` in a harness of its own; the failed assertions, and how many passed. */
async function runSuite (options: ViewSuiteOptions, checks: CheckName[]): Promise<{ failed: string[]; passed: number }> {
  const harness = test.createHarness()
  const failed: string[] = []
  let passed = 0
  const names = new Map<number, string>()
  harness.createStream({ objectMode: true }).on('data', (row: Row) => {
    if (row.type === 'test' && row.id !== undefined) names.set(row.id, row.name ?? '')
    if (row.type !== 'assert') return
    if (row.ok === true) passed++
    else failed.push(`${names.get(row.test ?? -1) ?? '?'}: ${row.name ?? ''}`)
  })
  const finished = new Promise<void>((resolve) => harness.onFinish(() => resolve()))
  viewSuite(harness, { ...options, checks })
  await finished
  return { failed, passed }
}

const CASES: Array<[options: ViewSuiteOptions, check: CheckName, why: RegExp]> = [
  [broken.clock, 'rebuild', /equals a rebuild: row \d+/],
  [broken.arrival, 'order', /equals a rebuild: row \d+/],
  [broken.outsideBatch, 'crash', /after the kill and a restart, the view equals a rebuild: row \d+/],
  [broken.cacheWithoutReset, 'truncate', /never saw the removed entries: row \d+/],
  [broken.trusting, 'hostile', /did not stop the view|view is in error/],
  [broken.illFormedKeys, 'hostile', /ill-formed text was stored as U\+FFFD/],
  [broken.unstableVersion, 'version', /same version/]
]

for (const [options, check, why] of CASES) {
  test(`the ${check} check fails a view that breaks it: ${options.name}`, async (t) => {
    const { failed, passed } = await runSuite(options, [check])
    t.ok(failed.length > 0, `${failed.length} failed assertions (${passed} passed)`)
    t.ok(failed.some((f) => why.test(f)), `one says why: ${failed.find((f) => why.test(f)) ?? failed.join(' | ')}`)
  })
}

test('the same cache, dropped by reset() when the view is rebuilt, passes the truncate check', async (t) => {
  const { failed, passed } = await runSuite(broken.cacheWithReset, ['truncate'])
  t.deepEqual(failed, [], `no failures (${passed} passed)`)
  t.ok(passed > 0)
})
