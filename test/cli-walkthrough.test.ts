// CLI.md's walkthrough, run as written: its shell blocks (up to "Two peers", which needs a
// second terminal; cli-sync.test covers it) go through bash from a scratch folder inside the
// repository, and every output block the walkthrough shows must appear (timings aside).
// `npx kappa-db` runs node_modules/.bin/kappa-db, the link npx itself would run (bins.test
// runs npx for each command): this saves npm's start-up, about a second per command.
import test from 'tape'
import { tmpDir } from '@kappa-ts/test-helpers'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

function walkthrough (): { script: string; outputs: string[] } {
  const text = fs.readFileSync(path.join(root, 'packages/record-db/CLI.md'), 'utf8')
  const from = text.indexOf('## Walkthrough')
  const to = text.indexOf('### Two peers')
  if (from < 0 || to < from) throw new Error('CLI.md: no walkthrough')
  const part = text.slice(from, to)
  const blocks = [...part.matchAll(/```(\w*)\n([\s\S]*?)```/g)]
  const shell = blocks.filter((b) => b[1] === 'sh').map((b) => b[2]!)
  const outputs = blocks.filter((b) => b[1] === '').flatMap((b) => b[2]!.trim().split('\n'))
  // The reader has run npm install already (so have we), and works in a scratch folder.
  const script = shell.join('\n').split('\n')
    .filter((line) => !/^npm install\b/.test(line))
    .map((line) => (/^mkdir -p try && cd try\b/.test(line) ? 'cd "$WALK"' : line))
    .join('\n')
  return { script, outputs }
}

test('CLI.md walkthrough: its commands run with npx as written and print what it shows', async (t) => {
  const { script, outputs } = walkthrough()
  t.ok(script.includes('npx kappa-db init'), 'the walkthrough calls the commands through npx')
  t.ok(outputs.length >= 3, `${outputs.length} output lines to find`)
  const dir = tmpDir(t, 'walkthrough-', path.join(root, 'test', 'dist'))
  const npx = 'npx () { case "$1" in kappa-*) local c="$1"; shift; "$ROOT/node_modules/.bin/$c" "$@";; *) command npx "$@";; esac; }'
  const out = await new Promise<string>((resolve) => {
    execFile('bash', ['-c', `${npx}\n${script}`], { cwd: root, env: { ...process.env, WALK: dir, ROOT: root }, timeout: 240_000 }, (_err, stdout, stderr) => resolve(stdout + stderr))
  })
  let missing = 0
  for (const want of outputs) {
    const pattern = new RegExp('^' + want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d+ ms/g, '\\d+ ms') + '$', 'm')
    if (!pattern.test(out)) missing++
    t.match(out, pattern, `prints: ${want}`)
  }
  t.ok(fs.existsSync(path.join(dir, '.kappa-db')) && fs.existsSync(path.join(dir, 'restored')), 'in the scratch folder')
  if (missing > 0) t.comment(out.slice(-3000))
})
