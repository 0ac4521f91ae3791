// Every chapter's solution runs and prints exactly what its README says.
import test from 'tape'
import fs from 'node:fs'
import { spawn } from 'node:child_process'
import { listChapters, expectedOutput, lineMatches } from '../src/index.js'

function run (file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAPPA_BOOTSTRAP: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

const chapters = listChapters()

test('the workshop has every chapter, in order', (t) => {
  const dirs = chapters.map((c) => c.dir)
  for (const dir of ['01-log', '02-json', '03-trust', '04-replicate', '05-swarm', '06-multifeed', '07-view', '08-live-tail', '09-kv-forks', '10-own-view', '11-chat']) t.ok(dirs.includes(dir), `${dir} exists`)
  t.deepEqual(dirs.map((d) => d.slice(0, 2)), dirs.map((_, i) => String(i + 1).padStart(2, '0')), 'numbered 01.. without gaps')
  t.end()
})

test('wildcard lines match only what they should', (t) => {
  t.ok(lineMatches('key <any> ok', 'key abc123 ok'))
  t.notOk(lineMatches('key <any> ok', 'key abc123 bad'))
  t.notOk(lineMatches('a.b', 'axb'), 'dots are literal')
  t.end()
})

for (const chapter of chapters) {
  test(`chapter ${chapter.dir}: the solution prints what the README says`, async (t) => {
    const expected = expectedOutput(fs.readFileSync(chapter.readme, 'utf8'))
    t.ok(expected, 'README has an "## Expected output" text block')
    t.ok(fs.existsSync(chapter.solution), 'solution is compiled')
    if (!expected || !fs.existsSync(chapter.solution)) return
    const { code, stdout, stderr } = await run(chapter.solution)
    t.equal(code, 0, 'exits with 0' + (code === 0 ? '' : `; stderr: ${stderr.slice(0, 2000)}`))
    const actual = stdout.replace(/\n$/, '').split('\n')
    t.equal(actual.length, expected.length, 'same number of lines')
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
      const want = expected[i] ?? '(nothing)'
      const got = actual[i] ?? '(nothing)'
      if (!lineMatches(want, got)) t.fail(`line ${i + 1}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
    }
    t.pass(`${actual.length} lines checked`)
  })
}
