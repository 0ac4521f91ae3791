#!/usr/bin/env node
// Runs every package's compiled tape tests, one tape process per package (so a
// crash or hang in one package cannot hide another's results), streams their
// output, and ends with one line of totals: `N passed, N failed`.
//
//   node scripts/run-tests.mjs                 the linter, then every package, in dependency order
//   node scripts/run-tests.mjs packages/multifeed test   only these folders' tests (no lint)
//
// A full run lints first (`npm run lint`); lint problems count as one failure, so
// `npm test` fails, but the tests still run so their results are not hidden.
//
// Run `tsc -b` first (npm test does it through `pretest`).
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { join, relative, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tapeBin = join(root, 'node_modules', 'tape', 'bin', 'tape')
const PER_PACKAGE_TIMEOUT_MS = Number(process.env.KAPPA_TEST_TIMEOUT_MS || 8 * 60 * 1000)

// Every workspace, in the order the root package.json lists them (dependency
// order: foundations first, so the first failure is the root cause), then the
// cross-package tests and the bench. Derived, so a new package is never skipped.
function packagesInOrder () {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const out = []
  for (const w of workspaces) {
    if (!w.endsWith('/*')) { out.push(w); continue }
    const parent = w.slice(0, -2)
    for (const name of readdirSync(join(root, parent)).sort()) {
      if (existsSync(join(root, parent, name, 'package.json'))) out.push(`${parent}/${name}`)
    }
  }
  return [...out, 'test', 'bench']
}

function testFiles (dir) {
  const out = []
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith('.test.js')) out.push(p)
    }
  }
  if (existsSync(dir)) walk(dir)
  return out.sort()
}

function compiledTestDir (pkg) {
  const abs = join(root, pkg)
  // packages compile test/ to dist/test; the root test/ folder compiles to test/dist
  return existsSync(join(abs, 'dist', 'test')) ? join(abs, 'dist', 'test') : join(abs, 'dist')
}

// The .ts a compiled test came from: <pkg>/dist/test/x.test.js <- <pkg>/test/x.test.ts,
// test/dist/x.test.js <- test/x.test.ts.
function sourceOf (pkg, file) {
  const abs = join(root, pkg)
  const dir = compiledTestDir(pkg)
  const rel = relative(dir, file).replace(/\.js$/, '.ts')
  return dir === join(abs, 'dist', 'test') ? join(abs, 'test', rel) : join(abs, rel)
}

function runTape (pkg, files) {
  return new Promise((resolve) => {
    let out = ''
    const child = spawn(process.execPath, [tapeBin, ...files.map((f) => relative(root, f))], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' }
    })
    const timer = setTimeout(() => {
      process.stdout.write(`\n# ${pkg}: timed out after ${PER_PACKAGE_TIMEOUT_MS} ms, killing\n`)
      child.kill('SIGKILL')
    }, PER_PACKAGE_TIMEOUT_MS)
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d) })
    child.stderr.on('data', (d) => { process.stderr.write(d) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const pass = lastCount(out, 'pass')
      let fail = lastCount(out, 'fail')
      // A run that died before tape's summary, or exited non-zero without
      // reporting a failure, still counts as a failure.
      if (pass === null && fail === null) fail = 1
      else if (code !== 0 && !fail) fail = 1
      resolve({ pkg, pass: pass ?? 0, fail: fail ?? 0, code, signal })
    })
  })
}

function lastCount (text, word) {
  const re = new RegExp(`^# ${word}\\s+(\\d+)\\s*$`, 'gm')
  let m
  let last = null
  while ((m = re.exec(text)) !== null) last = Number(m[1])
  return last
}

const wanted = process.argv.slice(2).map((p) => p.replace(/\/$/, ''))
const pkgs = wanted.length ? wanted : packagesInOrder().filter((p) => existsSync(join(root, p)))

// Runs ESLint over the whole tree; resolves with its exit code (0 clean, 1 problems, 2 crashed).
function runLint () {
  return new Promise((resolve) => {
    process.stdout.write('\n# ===== lint (npm run lint) =====\n')
    const child = spawn('npm', ['run', '--silent', 'lint'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('close', (code, signal) => resolve(code ?? signal))
  })
}

const lintCode = wanted.length ? null : await runLint()
const lintFailed = lintCode !== null && lintCode !== 0
if (lintCode === 0) process.stdout.write('# lint: clean\n')

const results = []
for (const pkg of pkgs) {
  const compiled = testFiles(compiledTestDir(pkg)).filter((f) => !f.includes(`${join('dist', 'src')}`))
  // tsc -b never deletes what a removed or renamed test compiled to: such a file would
  // run old code against the new packages. Only tests whose source exists run.
  const files = compiled.filter((f) => existsSync(sourceOf(pkg, f)))
  for (const f of compiled) if (!files.includes(f)) process.stdout.write(`# skipped ${relative(root, f)}: its source is gone (stale build output; delete it)\n`)
  if (files.length === 0) continue
  process.stdout.write(`\n# ===== ${pkg} (${files.length} test files) =====\n`)
  results.push(await runTape(pkg, files))
}

let passed = 0
let failed = 0
process.stdout.write('\n# ===== totals per package =====\n')
if (lintFailed) {
  failed += 1
  process.stdout.write(`# lint: FAILED (eslint exit ${lintCode}): see the lint output at the top; \`npm run lint:fix\` fixes the layout, the rest by hand\n`)
} else if (lintCode === 0) process.stdout.write('# lint: clean\n')
for (const r of results) {
  passed += r.pass
  failed += r.fail
  process.stdout.write(`# ${r.pkg}: ${r.pass} passed, ${r.fail} failed${r.code ? ` (exit ${r.code ?? r.signal})` : ''}\n`)
}
process.stdout.write(`${passed} passed, ${failed} failed\n`)
process.exitCode = failed > 0 || results.length === 0 ? 1 : 0
