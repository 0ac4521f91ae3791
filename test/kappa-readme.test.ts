// The READMEs carry complete examples and the output they print: the root README's "Use it
// in your app", multifeed's, kappa-core's, the swarm's and record-db's examples, view-kv's and view-list's. Run each
// (from a fresh folder: the examples write their storage relative to it) and check that it
// prints exactly that (in order).
import test from 'tape'
import { tmpDir } from '@kappa-ts/test-helpers'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

function exampleOf (readme: string, heading: string): { code: string; expected: string[] } {
  const text = fs.readFileSync(path.join(root, readme), 'utf8')
  const from = text.indexOf(heading)
  const code = /```js\n([\s\S]*?)```/.exec(text.slice(from))
  if (from < 0 || code === null) throw new Error(`${readme}: no js example under ${heading}`)
  const after = text.slice(from + code.index + code[0].length)
  const out = /```\n([\s\S]*?)```/.exec(after)
  if (out === null) throw new Error(`${readme}: no printed output after the example`)
  return { code: code[1]!, expected: out[1]!.trim().split('\n') }
}

function run (file: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

const EXAMPLES: Array<[readme: string, heading: string]> = [
  ['README.md', '## Use it in your app'],
  ['packages/multifeed/README.md', '## Example'],
  ['packages/kappa-core/README.md', '## Example'],
  ['packages/swarm/README.md', '## Example'],
  ['packages/record-db/README.md', '## Example'],
  ['views/kv/README.md', '## Example'],
  ['views/list/README.md', '## Example']
]

for (const [readme, heading] of EXAMPLES) {
  test(`${readme}: the example runs and prints what the README says`, async (t) => {
    const { code, expected } = exampleOf(readme, heading)
    // inside the monorepo, so @kappa-ts/* resolve as they would for a user of the packages
    const file = path.join(root, 'test', 'dist', 'readme-' + readme.replace(/\W+/g, '-') + '.mjs')
    const cwd = tmpDir(t, 'kappa-readme-')
    fs.writeFileSync(file, code)
    try {
      const lines = (await run(file, cwd)).trim().split('\n')
      // every printed line of the README, in order (examples may print more, e.g. arrival order)
      let at = 0
      for (const line of lines) if (at < expected.length && line === expected[at]) at++
      t.equal(at, expected.length, `all ${expected.length} lines printed in order`)
      if (at < expected.length) t.comment(`missing "${expected[at]}" in:\n${lines.join('\n')}`)
    } finally {
      fs.rmSync(file, { force: true })
    }
  })
}
