// Every chapter's solution runs and prints exactly what its README says.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import ts from 'typescript'
import { listChapters, expectedOutput, lineMatches, chaptersRoot } from '../src/index.js'

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

test('every chapter has a starter, and its README says where to write the code and how to run it', (t) => {
  for (const chapter of chapters) {
    t.ok(fs.existsSync(chapter.starterSource), `${chapter.dir}/starter.ts exists`)
    const readme = fs.readFileSync(chapter.readme, 'utf8')
    t.ok(readme.includes('## Where to write your code') && readme.includes('[`starter.ts`](starter.ts)'), `${chapter.dir}: the README points at starter.ts`)
    t.ok(readme.includes(`node workshop/chapters/dist/${chapter.dir}/starter.js`), `${chapter.dir}: and shows how to run it`)
  }
  t.end()
})

test('the starters type-check under the chapters\' strict settings', (t) => {
  const configPath = path.join(chaptersRoot, 'tsconfig.json')
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')) } })
  if (config === undefined) throw new Error('cannot read ' + configPath)
  const starters = chapters.map((c) => c.starterSource)
  // the starters plus the declarations they need (the Holepunch types), nothing else
  const roots = [...starters, ...config.fileNames.filter((f) => f.endsWith('.d.ts'))]
  const program = ts.createProgram({ rootNames: roots, options: { ...config.options, noEmit: true, composite: false, incremental: false }, projectReferences: config.projectReferences ?? [] })
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || starters.includes(path.resolve(d.file.fileName)))
  t.equal(program.getRootFileNames().filter((f) => f.endsWith('starter.ts')).length, chapters.length, `${chapters.length} starters checked`)
  t.equal(diagnostics.length, 0, 'no type errors')
  for (const d of diagnostics.slice(0, 10)) t.comment(ts.formatDiagnostic(d, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => chaptersRoot, getNewLine: () => '\n' }))
  t.end()
})

for (const chapter of chapters) {
  test(`chapter ${chapter.dir}: the starter runs as given (setup and cleanup, nothing of the exercise yet)`, async (t) => {
    t.ok(fs.existsSync(chapter.starter), 'starter is compiled')
    if (!fs.existsSync(chapter.starter)) return
    const { code, stderr } = await run(chapter.starter)
    t.equal(code, 0, 'exits with 0' + (code === 0 ? '' : `; stderr: ${stderr.slice(0, 2000)}`))
  })
}
