// Mistakes and odd inputs get a clear error and a non-zero exit, never a stack
// trace, a silent no-op or a silently dropped column.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RecordDbError } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { openDb } from './helpers.js'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

function cli (cwd: string, args: string[], as?: { uid: number; gid: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], ...(as ?? {}) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    child.stdin.end('')
  })
}

test('revoke(root) is refused with ERR_REVOKE_ROOT and nothing is written (API and CLI)', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(path.join(dir, '.kappa-db'))
  const before = db.kappa.feed(db.writerKey)?.length
  try {
    await db.revoke(db.root)
    t.fail('accepted')
  } catch (err) {
    t.equal((err as RecordDbError).code, 'ERR_REVOKE_ROOT', (err as Error).message)
  }
  t.equal(db.kappa.feed(db.writerKey)?.length, before, 'no record appended')
  const key = db.root
  await db.close()
  const r = await cli(dir, ['revoke', key])
  t.equal(r.code, 1, 'kappa-db revoke ROOT exits 1')
  t.match(r.stderr, /root of this database.*\(ERR_REVOKE_ROOT\)/, `and says why: ${r.stderr.trim()}`)
})

test('export --out a folder or into a missing folder: a clear error and exit 1, no stack trace', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  t.equal((await cli(dir, ['init'])).code, 0)
  for (const [out, why] of [[dir, /it is a folder \(EISDIR\)/], [path.join(dir, 'missing', 'out.ndjson'), /does not exist \(ENOENT\)/]] as const) {
    const r = await cli(dir, ['export', '--out', out])
    t.equal(r.code, 1, `--out ${out}: exit 1`)
    t.match(r.stderr, why, `says why: ${r.stderr.trim()}`)
    t.notOk(/\n\s+at /.test(r.stderr), 'no stack trace')
    const j = await cli(dir, ['--json', 'export', '--out', out])
    t.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'ERR_OUTPUT', '--json: the error as JSON, code ERR_OUTPUT')
  }
  const ok = await cli(dir, ['export', '--out', path.join(dir, 'fine.ndjson')])
  t.equal(ok.code, 0, 'a writable file still works')
})

test('a CSV column named __proto__ is imported as data, and exported back', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  t.equal((await cli(dir, ['init'])).code, 0)
  // (As text: in a JS object literal, __proto__ would set the prototype, not a property.)
  fs.writeFileSync(path.join(dir, 'thing.schema.json'), '{"type":"object","required":["name","__proto__"],"properties":{"name":{"type":"string"},"__proto__":{"type":"string"}}}')
  t.equal((await cli(dir, ['schema', 'add', 'thing.schema.json'])).code, 0)
  fs.writeFileSync(path.join(dir, 'rows.csv'), 'name,__proto__,constructor\nAda,polluted?,c1\n')
  const imp = await cli(dir, ['--json', 'import', 'rows.csv', '--schema', 'thing'])
  t.equal(imp.code, 0, 'import exits 0')
  t.equal((JSON.parse(imp.stdout) as { imported: number }).imported, 1, `the row is imported (${imp.stdout.trim()})`)
  const list = JSON.parse((await cli(dir, ['--json', 'list', 'thing'])).stdout) as Array<{ value: Record<string, unknown> }>
  const value = list[0]?.value ?? {}
  t.deepEqual(Object.keys(value).sort(), ['__proto__', 'constructor', 'name'], 'all three columns are fields')
  t.equal(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, 'polluted?', '__proto__ holds its cell, as data')
  await cli(dir, ['export', '--out', 'out.ndjson'])
  t.match(fs.readFileSync(path.join(dir, 'out.ndjson'), 'utf8'), /"__proto__":"polluted\?"/, 'and it is exported')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing polluted')
})

test('storage that cannot be read says so (EACCES), not "no database"', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  t.equal((await cli(dir, ['init'])).code, 0)
  const storage = path.join(dir, '.kappa-db')
  fs.chmodSync(storage, 0o000)
  // root reads anything: run the CLI as nobody then.
  const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined
  fs.chmodSync(dir, 0o777)
  const r = await cli(dir, ['status'], as)
  t.equal(r.code, 1, 'exit 1')
  t.match(r.stderr, /cannot read .*\.kappa-db: permission denied \(EACCES\) \(ERR_STORAGE\)/, `says it cannot be read: ${r.stderr.trim()}`)
  t.notOk(r.stderr.includes('no database'), 'not "no database"')
  const lib = await openDb(storage).then(() => null, (err: RecordDbError) => err)
  if (as === undefined) t.equal(lib?.code, 'ERR_STORAGE', 'the library says the same')
  fs.chmodSync(storage, 0o700)
})
