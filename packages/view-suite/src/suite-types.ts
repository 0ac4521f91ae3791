// The part of tape's API the suite uses, declared here so the suite's types do not
// need @types/tape (tape's `test`, or a harness from tape.createHarness(), fits).

export interface SuiteAssert {
  ok(value: unknown, msg?: string): void
  equal(actual: unknown, expected: unknown, msg?: string): void
  deepEqual(actual: unknown, expected: unknown, msg?: string): void
  fail(msg?: string): void
  comment(msg: string): void
  /** Runs after the test, passed or failed (tape 5). */
  teardown(fn: () => void | Promise<void>): void
}

/** tape's `test` (or a harness's): registers a test. */
export type SuiteTest = (name: string, cb: (t: SuiteAssert) => Promise<void>) => unknown
