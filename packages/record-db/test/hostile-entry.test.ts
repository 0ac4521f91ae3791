// One entry from a peer that merely knows the database key must not stop the records
// view, nor brick the database: a record nested 10,000 levels deep (written around the
// writer, which refuses it), and JSON that is no record envelope, are skipped and
// recorded; every command keeps working, after a restart too.
import test from 'tape'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { packBlocks, entrySize } from '@kappa-ts/multifeed'
import { connect, tmpDir } from '@kappa-ts/test-helpers'
import { caughtUp, collect, openDb, personSchema } from './helpers.js'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

function cli (cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

test('an unauthorized peer\'s entry nested 10,000 deep, and junk, are skipped and recorded; the database keeps working', async (t) => {
  const dirA = tmpDir(t, 'kappa-rdb-')
  const dirB = tmpDir(t, 'kappa-rdb-')
  const a = await openDb(path.join(dirA, '.kappa-db'))
  await a.putSchema('person', personSchema)
  await a.put('person', { name: 'Ada' }, { id: 'ada' })
  const b = await openDb(path.join(dirB, '.kappa-db'), { key: a.key })
  const w = await b.kappa.writer()
  // JSON the writer would refuse (it nests too deep), as a hostile peer writes it: raw into its feed
  const deep = JSON.stringify({ id: 'deep', schema: 'person', op: 'put', timestamp: 1, links: [], value: { name: 'x' } })
    .replace('"x"', '['.repeat(10_000) + ']'.repeat(10_000))
  const junk = JSON.stringify({ not: 'an envelope' })
  await w.feed.append(packBlocks([deep, junk], [entrySize(deep), entrySize(junk)], 0, Infinity)[0]!.block)
  const stop = connect(a, b)
  await caughtUp(a, b)
  stop()
  t.equal(a.kappa.status().records?.error, null, 'the records view is not in error')
  const skipped = await a.skipped()
  t.deepEqual(skipped.map((s) => [s.key, s.block, s.index, s.code]), [[b.writerKey, 0, 0, 'ERR_ENTRY_DECODE'], [b.writerKey, 0, 1, 'ERR_NOT_INDEXABLE']],
    'both recorded with feed and address')
  t.match(skipped[0]!.reason, /deeper than 100/, skipped[0]!.reason)
  t.match(skipped[1]!.reason, /not a record envelope/, skipped[1]!.reason)
  t.equal((await a.status()).index.skipped, 2, 'status() counts them')
  await a.put('person', { name: 'Grace' }, { id: 'grace' })
  t.deepEqual((await collect(a.list('person'))).map((r) => r.id), ['ada', 'grace'], 'writes and reads go on')
  await a.close()
  await b.close()

  // a restart: nothing is bricked, and the CLI reports what was skipped
  const status = await cli(dirA, ['--json', 'status'])
  t.equal(status.code, 0, `kappa-db status exits 0 ${status.stderr}`)
  t.equal((JSON.parse(status.stdout) as { index: { skipped: number } }).index.skipped, 2)
  const list = await cli(dirA, ['list', 'person'])
  t.equal(list.code, 0, 'kappa-db list exits 0')
  t.match(list.stdout, /Grace/)
  const human = await cli(dirA, ['status'])
  t.match(human.stdout, /2 skipped \(kappa-db skipped\)/, 'the status line points at the list')
  const shown = await cli(dirA, ['skipped'])
  t.equal(shown.code, 0)
  t.match(shown.stdout, /@0\.0 ERR_ENTRY_DECODE: it nests arrays and objects deeper than 100 levels/, 'kappa-db skipped lists them')
})

test('ill-formed text: ids with a lone surrogate are skipped and recorded (not merged into one), such index values are not indexed', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(path.join(dir, '.kappa-db'))
  await db.putSchema('person', personSchema)
  const w = await db.kappa.writer()
  // written around put() (which validates), as a hostile peer writes them
  const env = (id: string, value: unknown): unknown => ({ id, schema: 'person', op: 'put', timestamp: 1, links: [], value })
  await w.append([env('x\ud800', { name: 'A' }), env('x\udfff', { name: 'B' }), env('y', { name: 'C', city: 'Par\ud800' })])
  await db.indexed()
  const skipped = await db.skipped()
  t.deepEqual(skipped.map((s) => [s.index, s.code]), [[0, 'ERR_NOT_INDEXABLE'], [1, 'ERR_NOT_INDEXABLE']], 'both ids skipped and recorded')
  t.match(skipped[0]!.reason, /not well-formed text/, skipped[0]!.reason)
  t.deepEqual(await db.get('person', 'x\ufffd'), [], 'no record under the id both would have become')
  t.equal((await db.get('person', 'y'))[0]?.value && (await db.get('person', 'y'))[0]!.ref.length > 0, true, 'a record with ill-formed text in a field is kept')
  t.deepEqual(await collect(db.query('person', { where: { city: 'Par\udfff' } })), [], 'its ill-formed city is not indexed (it would match another lone surrogate)')
  await db.close()
})

test('the root\'s feed key (in every ref) is not the database key: with it, or with a wrong secret, a peer gets nothing', async (t) => {
  const dirA = tmpDir(t, 'kappa-rdb-')
  const dirB = tmpDir(t, 'kappa-rdb-')
  const a = await openDb(path.join(dirA, '.kappa-db'))
  await a.putSchema('person', personSchema)
  const [v] = await a.put('person', { name: 'Ada' }, { id: 'ada' }).then(async () => await a.get('person', 'ada'))
  const root = v!.ref.split('@')[0]!
  t.equal(root, a.root, 'a ref carries the root\'s feed key')
  t.equal(a.key.slice(0, 64), root, 'the database key starts with it...')
  try {
    await openDb(path.join(dirB, 'x'), { key: root })
    t.fail('a feed key was taken as a database key')
  } catch (err) {
    t.equal((err as { code?: string }).code, 'ERR_BAD_KEY', '...but is not enough to open the database: ERR_BAD_KEY')
  }
  const guess = await openDb(path.join(dirB, '.kappa-db'), { key: root + '00'.repeat(32) })
  const errors: Array<{ code?: string }> = []
  guess.kappa.multifeed.on('peer-error', (err: { code?: string }) => errors.push(err))
  const stop = connect(a, guess)
  await new Promise<void>((resolve) => {
    const check = (): void => { if (errors.length > 0) resolve(); else setTimeout(check, 20) }
    check()
  })
  stop()
  t.equal(errors[0]?.code, 'ERR_PROOF', 'a wrong secret: the peers do not prove the same key and nothing is exchanged')
  t.equal(guess.kappa.feeds().length, 1, 'the guesser holds only its own feed')
  t.deepEqual(await guess.get('person', 'ada').catch(() => []), [], 'and none of the records')
  await a.close()
  await guess.close()
})
