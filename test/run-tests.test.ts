// scripts/run-tests.mjs runs a folder's compiled tests, but only those whose .ts source still
// exists: tsc -b never deletes what a removed test compiled to, and such a stale file would
// run old code against the new packages (one hung kappa-core's run).
import test from 'tape'
import { tmpDir } from '@kappa-ts/test-helpers'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const PASSING = "import test from 'tape'\ntest('kept', (t) => { t.pass('ran'); t.end() })\n"
const STALE = "import test from 'tape'\ntest('stale', (t) => { t.fail('a test whose source is gone ran'); t.end() })\n"

test('run-tests runs compiled tests whose source exists and skips, naming them, those whose source is gone', async (t) => {
  const pkg = tmpDir(t, 'run-tests-', root) // a package folder of the repository, as run-tests takes them
  fs.mkdirSync(path.join(pkg, 'test'))
  fs.mkdirSync(path.join(pkg, 'dist', 'test'), { recursive: true })
  fs.writeFileSync(path.join(pkg, 'test', 'kept.test.ts'), PASSING)
  fs.writeFileSync(path.join(pkg, 'dist', 'test', 'kept.test.js'), PASSING)
  fs.writeFileSync(path.join(pkg, 'dist', 'test', 'removed.test.js'), STALE)
  const folder = path.relative(root, pkg)
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = execFile(process.execPath, [path.join(root, 'scripts', 'run-tests.mjs'), folder], { cwd: root }, (_err, stdout) => resolve({ code: child.exitCode, out: stdout }))
  })
  t.match(out, new RegExp(`skipped ${folder}/dist/test/removed\\.test\\.js: its source is gone`), 'the stale file is named and skipped')
  t.match(out, /ok 1 ran/, 'the test with a source ran')
  t.doesNotMatch(out, /a test whose source is gone ran/, 'the stale one did not')
  t.match(out, /^1 passed, 0 failed$/m, 'totals count only the test that ran')
  t.equal(code, 0)
})
