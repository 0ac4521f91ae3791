// The README's example, run as written: it must print what the README says it prints.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'tape'

const here = path.dirname(fileURLToPath(import.meta.url))
const readme = path.join(here, '..', '..', 'README.md')

test('README: the two-peer example runs and prints what the README says', async (t) => {
  const text = fs.readFileSync(readme, 'utf8')
  const from = text.indexOf('## Example')
  const code = /```js\n([\s\S]*?)```/.exec(text.slice(from))
  const printed = code === null ? null : /```\n([\s\S]*?)```/.exec(text.slice(from + code.index + code[0].length))
  if (from < 0 || code === null || printed === null) throw new Error('README: no example with its output')
  // beside the package's compiled files, so '@kappa-ts/level' resolves as for a user of the monorepo
  const file = path.join(here, 'readme-example.mjs')
  fs.writeFileSync(file, code[1]!)
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [file], { timeout: 120_000 }, (err, out, errOut) => err !== null ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out))
    })
    t.deepEqual(stdout.trim().split('\n'), printed[1]!.trim().split('\n'), 'prints exactly the README\'s lines')
  } finally {
    fs.rmSync(file, { force: true })
  }
})
