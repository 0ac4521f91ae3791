// The README's example, run as written: its three files (a view of a third party, the
// suite's options, the test) are written into a folder inside the monorepo (so
// @kappa-ts/view-suite and tape resolve as they would for a user), and `node tags.test.js`
// must pass and print the README's lines, in order.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tmpDir } from '@kappa-ts/test-helpers'

const here = path.dirname(fileURLToPath(import.meta.url))
const readme = fs.readFileSync(path.join(here, '..', '..', 'README.md'), 'utf8')

/** The js blocks of the README that start with `// <file name>`, by name. */
function files (): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of readme.matchAll(/```js\n\/\/ ([\w.-]+\.js)\n([\s\S]*?)```/g)) out.set(m[1]!, m[2]!)
  return out
}

test('README: a third-party view runs the suite as the example shows, and passes', async (t) => {
  const example = files()
  t.deepEqual([...example.keys()], ['tags-view.js', 'tags-suite.js', 'tags.test.js'], 'the example has its three files')
  const printed = /`node tags\.test\.js` \(inside[\s\S]*?```\n([\s\S]*?)```/.exec(readme)
  t.ok(printed !== null, 'the README shows what it prints')
  const expected = printed![1]!.trim().split('\n')
  const dir = tmpDir(t, 'readme-example-', path.join(here, '..'))
  for (const [name, code] of example) fs.writeFileSync(path.join(dir, name), code)
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['tags.test.js'], { cwd: dir, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
  t.equal(code, 0, `node tags.test.js exits 0 ${stderr.slice(-500)}`)
  const lines = stdout.split('\n')
  let at = 0
  for (const line of lines) if (at < expected.length && line.trim() === expected[at]!.trim()) at++
  t.equal(at, expected.length, `all ${expected.length} lines of the README printed in order`)
  if (at < expected.length) t.comment(`missing "${expected[at]}" in:\n${stdout}`)
  t.notOk(/^not ok/m.test(stdout), 'no assertion failed')
})
