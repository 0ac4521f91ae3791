import test from 'tape'
import path from 'node:path'
import { Multifeed } from '@kappa-ts/multifeed'
import { MultifeedIndex, IndexError, type Entry, type InvalidEntry } from '../src/index.js'
import { tmpdir, openDb, countingMap, dataOf, feedKey, once, untilState } from './helpers.js'

test('a throwing map stops at that batch with feed/seq, commits nothing of it, and resume() retries it', async (t) => {
  const { dir, cleanup } = tmpdir()
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  await w.append(Array.from({ length: 10 }, (_, i) => ({ i })))
  const db = openDb(dir)
  let broken = true
  const attempts: number[] = []
  const index = new MultifeedIndex({
    multifeed,
    db,
    maxBatch: 4,
    map: async (entries: Entry[], batch, ctx) => {
      attempts.push(entries[0].seq)
      // writes before the throw must not land
      await countingMap(entries, batch, ctx)
      if (broken && entries.some((e) => (e.value as { i: number }).i === 6)) throw new Error('cannot handle 6')
    }
  })
  const failed = once<IndexError>(index, 'map-error')
  await index.ready().then(() => t.fail('ready() should reject'), (err: IndexError) => t.equal(err.code, 'ERR_MAP_FAILED', 'ready() rejects with the map error'))
  const err = await failed
  t.ok(err instanceof IndexError, 'an IndexError')
  t.equal(err.feed, feedKey(w), 'error.feed is the feed of the batch\'s first entry')
  t.equal(err.seq, 4, 'error.seq is the first entry of the failing batch')
  t.equal(index.state, 'error')
  t.equal(index.error, err)
  t.match(String((err.cause as Error).message), /cannot handle 6/, 'cause kept')
  const before = await dataOf(index)
  t.deepEqual([...before.keys()].map((k) => Number(k.split(':')[1])).sort((a, b) => a - b), [0, 1, 2, 3], 'only the batch before the failure is committed')
  t.deepEqual(index.progress(), { indexed: 4, total: 10 })
  await index.indexed().then(() => t.fail('indexed() should reject in error state'), (e: IndexError) => t.equal(e, err, 'indexed() rejects with the error'))

  // more appends while in error do not move it
  await w.append({ i: 10 })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(index.state, 'error', 'stays in error')

  broken = false
  const failedAt = attempts.length
  index.resume()
  await index.indexed()
  t.equal(attempts[failedAt], 4, 'resume() retries the same batch first')
  const after = await dataOf(index)
  t.equal(after.size, 11, 'all entries indexed after the fix')
  t.ok([...after.values()].every((v) => (v as { count: number }).count === 1), 'each once: the failed batch left nothing behind')
  t.equal(index.error, null)
  await index.close()
  await db.close()
  await multifeed.close()
  cleanup()
})

test('several consumers over one multifeed: each has its own cursors; one failing does not stop the other', async (t) => {
  const { dir, cleanup } = tmpdir()
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  const db = openDb(dir)
  const bad = new MultifeedIndex({
    multifeed,
    db: db.sublevel('bad'),
    map: (entries) => { if (entries.some((e) => e.seq >= 5)) throw new Error('nope') }
  })
  const good = new MultifeedIndex({ multifeed, db: db.sublevel('good'), map: countingMap, reader: bad.reader })
  const failed = once<IndexError>(bad, 'map-error')
  await w.append(Array.from({ length: 5 }, (_, i) => ({ i })))
  await Promise.all([bad.indexed(), good.indexed()])
  await w.append(Array.from({ length: 5 }, (_, i) => ({ i: i + 5 })))
  const err = await failed
  t.equal(err.seq, 5)
  await good.indexed()
  t.equal(bad.state, 'error', 'the failing consumer stopped')
  t.deepEqual(bad.progress(), { indexed: 5, total: 10 })
  t.deepEqual(good.progress(), { indexed: 10, total: 10 }, 'the other went on')
  t.equal((await dataOf(good)).size, 10)
  await bad.close()
  await good.close()
  await db.close()
  await multifeed.close()
  cleanup()
})

test('an entry that cannot be decoded is skipped, counted and reported, and does not wedge the index', async (t) => {
  const { dir, cleanup } = tmpdir()
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  await w.append({ ok: 0 })
  // write raw bytes that are not JSON through a binary session of the same core
  const raw = multifeed.corestore.get({ key: w.key as Buffer, valueEncoding: 'binary' })
  await raw.ready()
  await raw.append(Buffer.from('{not json'))
  await w.append({ ok: 2 })
  const db = openDb(dir)
  const invalid: InvalidEntry[] = []
  const index = new MultifeedIndex({ multifeed, db, map: countingMap })
  index.on('invalid-entry', (e: InvalidEntry) => invalid.push(e))
  await index.ready()
  await untilState(index, 'idle')
  t.equal(invalid.length, 1, 'one invalid-entry event')
  t.equal(invalid[0].seq, 1)
  t.equal(invalid[0].key, feedKey(w))
  const data = await dataOf(index)
  t.deepEqual([...data.keys()].map((k) => Number(k.split(':')[1])).sort(), [0, 2], 'the good entries around it are indexed')
  t.deepEqual(index.progress(), { indexed: 3, total: 3 }, 'the bad entry counts as done')
  t.equal(index.reader.stats.invalid, 1, 'counted by the reader')
  await raw.close()
  await index.close()
  await db.close()
  await multifeed.close()
  cleanup()
})
