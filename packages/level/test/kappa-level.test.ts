// KappaLevel on one peer: read-your-writes, batches, reopen, bytes, the extra
// methods and the errors.
import fs from 'node:fs'
import path from 'node:path'
import test from 'tape'
import { KappaLevel, KappaLevelError } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

test('read-your-writes: once put/del/batch resolve, reads see them', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel<string, { n: number }>(dir, { valueEncoding: 'json' })
  await db.put('a', { n: 1 })
  t.deepEqual(await db.get('a'), { n: 1 }, 'get after put')
  await db.batch([
    { type: 'put', key: 'b', value: { n: 2 } },
    { type: 'put', key: 'c', value: { n: 3 } },
    { type: 'del', key: 'a' }
  ])
  t.deepEqual(await db.iterator().all(), [['b', { n: 2 }], ['c', { n: 3 }]], 'a batch is applied whole')
  await db.batch().put('d', { n: 4 }).del('b').write()
  t.deepEqual(await db.keys().all(), ['c', 'd'], 'a chained batch too')
  t.equal(await db.has('b'), false)
  t.deepEqual(await db.getMany(['c', 'x', 'd']), [{ n: 3 }, undefined, { n: 4 }])
  await db.close()
})

test('a batch is one append to this peer\'s log', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel(dir)
  await db.open()
  const feed = (await db.kappa.writer()).feed
  const before = feed.length
  await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value: String(i) })))
  t.equal(feed.length, before + 1, 'one entry for 500 writes')
  await db.put('one', '1')
  t.equal(feed.length, before + 2, 'one entry for a put')
  await db.del('never-written')
  t.equal(feed.length, before + 2, 'deleting a key that was never written appends nothing')
  await db.close()
})

test('writes of one key issued at once link each other: one head, the last write wins', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel(dir)
  await Promise.all(Array.from({ length: 20 }, (_, i) => db.put('counter', String(i))))
  t.equal(await db.get('counter'), '19', 'the last put issued')
  const heads = await db.heads('counter')
  t.equal(heads.length, 1, 'no fork with yourself')
  t.equal(heads[0]!.clock, 20, 'each write replaced the one before')
  t.equal(heads[0]!.writer, db.kappa.multifeed.feeds().find((f) => f.writable)?.key?.toString('hex'), 'written by this peer')
  await db.close()
})

test('reopen: the data, the heads and the kappa key survive; db.kappa is a new kappa', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel(dir)
  await db.batch([{ type: 'put', key: 'x', value: '1' }, { type: 'put', key: 'y', value: '2' }])
  await db.put('x', '3')
  const key = db.kappa.key.toString('hex')
  const first = db.kappa
  await db.close()
  await db.open()
  t.notEqual(db.kappa, first, 'a fresh kappa over the same storage')
  t.equal(db.kappa.key.toString('hex'), key, 'same kappa key')
  t.deepEqual(await db.iterator().all(), [['x', '3'], ['y', '2']])
  t.equal((await db.heads('x'))[0]!.clock, 2)
  await db.put('y', '4')
  t.equal(await db.get('y'), '4', 'writes go on after reopen')
  await db.close()

  const again = new KappaLevel(dir)
  t.deepEqual(await again.iterator().all(), [['x', '3'], ['y', '4']], 'a new instance reads it all')
  await again.close()
})

test('bytes: keys that are not UTF-8 sort bytewise beside string keys and round-trip exactly', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  const k = (...b: number[]): Uint8Array => Uint8Array.from(b)
  await db.batch([
    { type: 'put', key: k(0xff, 0x00), value: k(0xc0, 0xc1) },
    { type: 'put', key: k(0x61), value: k(0x62) },
    { type: 'put', key: k(0x80), value: k(0xfe) },
    { type: 'put', key: k(0xc3, 0xa9), value: k(0xe9) }
  ])
  const all = await db.iterator().all()
  t.deepEqual(all.map(([key]) => [...key]), [[0x61], [0x80], [0xc3, 0xa9], [0xff, 0x00]], 'bytewise order')
  t.deepEqual([...(await db.get(k(0xff, 0x00)))!], [0xc0, 0xc1], 'a value that is not UTF-8')
  t.deepEqual((await db.iterator({ gt: k(0x80), lt: k(0xff) }).all()).map(([key]) => [...key]), [[0xc3, 0xa9]], 'a byte range')
  const utf8 = db.sublevel<string, string>('s', { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await utf8.put('é', 'ok')
  t.equal(await utf8.get('é'), 'ok', 'a utf8 sublevel of a bytes db')
  const raw = await db.get(Buffer.from('!s!é'))
  t.equal(Buffer.from(raw!).toString(), 'ok', 'the same key read as bytes')
  t.deepEqual((await db.heads(k(0x80), { valueEncoding: 'view' })).map((h) => [...(h.value as Uint8Array)]), [[0xfe]], 'heads() decodes values as asked')
  await db.close()
})

test('a batch bigger than one entry is split across entries of one append and applied whole', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel(dir)
  await db.open()
  const feed = (await db.kappa.writer()).feed
  const before = feed.length
  const big = 'x'.repeat(100_000)
  await db.batch(Array.from({ length: 120 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(3, '0')}`, value: big + i })))
  t.ok(feed.length - before >= 2, `12 MB went into ${feed.length - before} entries`)
  const keys = await db.keys().all()
  t.equal(keys.length, 120, 'every write applied')
  t.equal(await db.get('k119'), big + 119)
  await db.close()
})

test('heads(): [] for an unknown key; a deleted key keeps its (delete) head', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel(dir)
  t.deepEqual(await db.heads('nope'), [])
  await db.put('k', 'v')
  await db.del('k')
  const heads = await db.heads('k')
  t.equal(heads.length, 1)
  t.equal(heads[0]!.deleted, true, 'the delete is the head')
  t.equal(heads[0]!.value, undefined)
  t.equal(heads[0]!.winner, true)
  t.equal(heads[0]!.clock, 2)
  t.equal(await db.get('k'), undefined)
  t.deepEqual(await db.skipped(), [], 'nothing skipped')
  t.equal(db.supports.additionalMethods.heads, true, 'declared in the manifest')
  await db.close()
})

test('errors: bad options, a missing or existing database, db.kappa before open, a write too big for a block', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  t.throws(() => new KappaLevel(''), (err: unknown) => err instanceof KappaLevelError && err.code === 'ERR_INVALID_OPTIONS', 'empty storage')
  t.throws(() => new KappaLevel(dir, { key: 'abc' }), (err: unknown) => err instanceof KappaLevelError && err.code === 'ERR_INVALID_OPTIONS', 'a bad key')

  const missing = new KappaLevel(path.join(dir, 'missing'), { createIfMissing: false })
  try {
    await missing.open()
    t.fail('opened')
  } catch (err) {
    const e = err as { code?: string; cause?: unknown }
    t.equal(e.code, 'LEVEL_DATABASE_NOT_OPEN', 'abstract-level\'s code')
    t.ok(e.cause instanceof KappaLevelError && e.cause.code === 'ERR_STORAGE_MISSING', 'caused by ERR_STORAGE_MISSING')
  }

  const db = new KappaLevel(path.join(dir, 'db'))
  t.throws(() => db.kappa, (err: unknown) => err instanceof KappaLevelError && err.code === 'ERR_NOT_OPEN', 'db.kappa before open')
  await db.put('small', 'ok')
  const feed = (await db.kappa.writer()).feed
  const length = feed.length
  try {
    await db.batch([{ type: 'put', key: 'a', value: 'fine' }, { type: 'put', key: 'huge', value: 'x'.repeat(9 * 1024 * 1024) }])
    t.fail('wrote it')
  } catch (err) {
    t.ok(err instanceof KappaLevelError && err.code === 'ERR_TOO_LARGE', 'ERR_TOO_LARGE')
  }
  t.equal(feed.length, length, 'nothing appended')
  t.equal(await db.get('a'), undefined, 'nothing of the batch stored')
  await db.close()

  const exists = new KappaLevel(path.join(dir, 'db'), { errorIfExists: true })
  try {
    await exists.open()
    t.fail('opened')
  } catch (err) {
    const e = err as { cause?: unknown }
    t.ok(e.cause instanceof KappaLevelError && e.cause.code === 'ERR_STORAGE_EXISTS', 'caused by ERR_STORAGE_EXISTS')
  }
})

/** Disk the folder's files hold now (allocated blocks, preallocation included). */
function allocatedBytes (dir: string): number {
  let sum = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) sum += fs.statSync(path.join(entry.parentPath, entry.name)).blocks * 512
  }
  return sum
}

test('writeBufferSize reaches the logs: an open database with a small one preallocates less disk; a bad one is kappa\'s ERR_INVALID_OPTIONS', async (t) => {
  const open = async (options: { writeBufferSize?: number }): Promise<number> => {
    const dir = tmpDir(t, 'kappa-level-')
    const db = new KappaLevel(dir, options)
    await db.put('k', 'v')
    t.equal(await db.get('k'), 'v', `a write reads back (writeBufferSize ${options.writeBufferSize ?? 'default'})`)
    const bytes = allocatedBytes(dir)
    await db.close()
    return bytes
  }
  const byDefault = await open({})
  const small = await open({ writeBufferSize: 64 * 1024 })
  t.ok(small * 2 < byDefault, `64 KiB: ${(small / 1e6).toFixed(1)} MB on disk while open, against ${(byDefault / 1e6).toFixed(1)} MB by default`)
  const bad = new KappaLevel(tmpDir(t, 'kappa-level-'), { writeBufferSize: 0 })
  const err = await bad.open().then(() => null, (e: Error & { cause?: { code?: string } }) => e)
  t.equal(err?.cause?.code, 'ERR_INVALID_OPTIONS', 'writeBufferSize 0 fails the open with kappa\'s ERR_INVALID_OPTIONS')
})
