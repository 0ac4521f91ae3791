// The kappa-db CLI end to end in a temp folder: init, schema add, import of a big TSV
// with bad rows, query, search, export and re-import (round trip), errors as JSON.
//
// KAPPA_DB_ROWS sets the TSV size (default 100,000 as issue 7 asks: about 25 s here;
// set e.g. KAPPA_DB_ROWS=20000 for a quicker loop).
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tmpDir } from '@kappa-ts/test-helpers'
import { personJsonSchema, writeTsv } from './fixtures/tsv.js'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))
const ROWS = Number(process.env.KAPPA_DB_ROWS ?? 100_000)

interface Run { code: number; stdout: string; stderr: string; ms: number }

function cli (cwd: string, ...args: string[]): Promise<Run> {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

async function json<T> (cwd: string, ...args: string[]): Promise<T> {
  const r = await cli(cwd, '--json', ...args)
  if (r.code !== 0) throw new Error(`kappa-db ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

test(`kappa-db end to end: ${ROWS} rows TSV import, query, search, export round trip`, async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  fs.writeFileSync(path.join(dir, 'person.json'), JSON.stringify(personJsonSchema))
  const { good, badLines } = writeTsv(path.join(dir, 'people.tsv'), ROWS)

  const init = await json<{ key: string; root: string; writer: string; mode: string }>(dir, 'init')
  t.equal(init.root, init.writer, 'init: a new database, this peer is the root')
  t.equal(init.key.slice(0, 64), init.root, 'the key starts with the root\'s feed key')
  t.equal(init.key.length, 128, 'and goes on with a secret')
  t.ok(fs.existsSync(path.join(dir, '.kappa-db', 'record-db.json')), 'default storage ./.kappa-db')
  t.equal((await cli(dir, 'init')).code, 1, 'init twice refuses')
  t.deepEqual(await json(dir, 'schema', 'add', 'person.json'), { schema: 'person' }, 'schema add')

  const imp = await json<{ rows: number; imported: number; rejected: number; errors: Array<{ line: number; error: string }>; ms: number; indexMs: number }>(dir, 'import', 'people.tsv', '--schema', 'person')
  t.equal(imp.rows, ROWS, 'every row read')
  t.equal(imp.imported, good.length, `good rows imported (${good.length})`)
  t.equal(imp.rejected, badLines.length, `bad rows counted (${badLines.length})`)
  t.deepEqual(imp.errors.map((e) => e.line), badLines, 'bad rows reported with their lines')
  t.ok(imp.errors.some((e) => /age must be integer/.test(e.error)) && imp.errors.some((e) => /expected 4 columns/.test(e.error)) && imp.errors.some((e) => /minimum/.test(e.error)), 'with reasons')
  t.comment(`import of ${ROWS} rows: ${imp.ms} ms appending + ${imp.indexMs} ms indexing`)

  const q = await cli(dir, '--json', 'query', 'person', 'city=Oslo', 'age>=80')
  const qRows = JSON.parse(q.stdout) as Array<{ value: { name: string } }>
  const qWant = good.filter((p) => p.city === 'Oslo' && p.age >= 80).map((p) => p.name).sort()
  t.deepEqual(qRows.map((r) => r.value.name).sort(), qWant, `query city=Oslo age>=80 (${qWant.length} rows)`)
  t.comment(`query process: ${q.ms} ms`)

  const s = await cli(dir, '--json', 'search', 'zeppelin', '--limit', '1000')
  const hits = JSON.parse(s.stdout) as Array<{ score: number; record: { value: { name: string } } }>
  const sWant = good.filter((p) => p.bio.includes('zeppelin')).map((p) => p.name).sort()
  t.deepEqual(hits.map((h) => h.record.value.name).sort(), sWant, `search zeppelin (${sWant.length} rows)`)
  t.comment(`search process: ${s.ms} ms`)

  const human = await cli(dir, 'search', 'zeppelin', '--limit', '2')
  t.equal(human.stdout.trim().split('\n').length, 2, 'human output: one line per hit')

  const bad = await cli(dir, '--json', 'put', 'person', '{"name":"x","age":"old","city":"Oslo"}')
  t.equal(bad.code, 1, 'an invalid put exits 1')
  const err = JSON.parse(bad.stdout) as { error: { code: string; schema: string; path: string; rule: string } }
  t.deepEqual([err.error.code, err.error.schema, err.error.path, err.error.rule], ['ERR_VALIDATION', 'person', '/age', 'type'], 'and says why')
  const put = await json<{ id: string }>(dir, 'put', 'person', '{"name":"Zed","age":33,"city":"Oslo"}', '--id', 'zed')
  t.equal(put.id, 'zed')
  const got = await json<Array<{ value: unknown }>>(dir, 'get', 'person', 'zed')
  t.deepEqual(got.map((g) => g.value), [{ name: 'Zed', age: 33, city: 'Oslo' }], 'get')
  await json(dir, 'put', 'person', '{"name":"Zed","age":34,"city":"Oslo"}', '--id', 'zed')
  t.equal((await json<unknown[]>(dir, 'history', 'person', 'zed')).length, 2, 'history')
  await json(dir, 'del', 'person', 'zed')
  t.equal((await cli(dir, 'get', 'person', 'zed')).code, 1, 'deleted')

  const exp = await cli(dir, 'export', '--schema', 'person', '--out', 'export.ndjson')
  t.equal(exp.code, 0, 'export')
  const lines = fs.readFileSync(path.join(dir, 'export.ndjson'), 'utf8').trim().split('\n')
  t.equal(lines.length, good.length + 1, 'export has the schema and every live record')
  t.deepEqual(JSON.parse(lines[0] as string), { schema: 'core/schema', id: 'person', value: personJsonSchema }, 'the schema definition first')
  t.comment(`export: ${exp.ms} ms`)

  // Round trip into a second database.
  const other = ['--storage', 'copy']
  await json(dir, ...other, 'init')
  await json(dir, ...other, 'schema', 'add', 'person.json')
  const imp2 = await json<{ imported: number; rejected: number; ms: number }>(dir, ...other, 'import', 'export.ndjson', '--format', 'export', '--schema', 'person')
  t.equal(imp2.imported, good.length, 're-import of the export')
  t.equal(imp2.rejected, 0)
  t.comment(`re-import with ids: ${imp2.ms} ms`)
  const exp2 = await cli(dir, ...other, 'export', '--schema', 'person')
  t.deepEqual(exp2.stdout.trim().split('\n').sort(), [...lines].sort(), 'export of the copy is identical (ids and values)')

  const st = await json<{ key: string; feeds: Array<{ length: number }>; index: { indexed: number; total: number } }>(dir, 'status')
  t.equal(st.key, init.key, 'status')
  t.equal(st.index.indexed, st.index.total, 'fully indexed')
  t.equal((await cli(dir, '--storage', 'nowhere', 'status')).code, 1, 'no database: exit 1')
})
