import test from 'tape'
import path from 'node:path'
import { Multifeed } from '@kappa-ts/multifeed'
import { MultifeedIndex, EntryReader } from '../src/index.js'
import { tmpdir, openDb, countingMap, dataOf, feedKey } from './helpers.js'

test('a shared EntryReader reads each block from storage once for several indexes', async (t) => {
  const { dir, cleanup } = tmpdir()
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  await w.append(Array.from({ length: 300 }, (_, i) => ({ i })))
  const db = openDb(dir)
  const reader = new EntryReader(multifeed, { cacheSize: 1000 })
  const indexes = [1, 2, 3].map((n) => new MultifeedIndex({ multifeed, db: db.sublevel('v' + n), map: countingMap, reader, maxBatch: 50 }))
  await Promise.all(indexes.map((i) => i.ready()))
  t.equal(reader.stats.storageReads, 300, 'each of the 300 blocks read once')
  t.equal(reader.stats.cacheHits + reader.stats.sharedReads, 600, 'the other two indexes were served from cache or a shared read')
  for (const i of indexes) t.equal((await dataOf(i)).size, 300)
  await Promise.all(indexes.map((i) => i.close()))
  await db.close()
  await multifeed.close()
  cleanup()
})

test('remember() hands just-appended values over: no read-back; a truncation invalidates them', async (t) => {
  const { dir, cleanup } = tmpdir()
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  const db = openDb(dir)
  const reader = new EntryReader(multifeed)
  const index = new MultifeedIndex({ multifeed, db, map: countingMap, reader })
  await index.ready()
  const values = Array.from({ length: 200 }, (_, i) => ({ i }))
  // two appends in flight at once: seqs must still line up
  const more = Array.from({ length: 50 }, (_, i) => ({ more: i }))
  await Promise.all([reader.append(w, values), reader.append(w, more)])
  await index.indexed()
  t.equal(reader.stats.storageReads, 0, 'nothing read back from storage')
  const data = await dataOf(index)
  t.equal(data.size, 250)
  t.deepEqual((data.get(`${feedKey(w)}:210`) as { value: unknown }).value, { more: 10 }, 'values at the right seqs')
  for (let i = 0; i < 250; i += 37) {
    t.deepEqual((data.get(`${feedKey(w)}:${i}`) as { value: unknown }).value, await w.get(i), `seq ${i} matches the log`)
  }

  // values remembered for a fork are not served after the feed was truncated
  reader.remember(feedKey(w), 250, [{ stale: true }])
  await w.truncate(250)
  await w.append({ fresh: true })
  const got = await reader.read(w, feedKey(w), 250)
  t.deepEqual(got, { status: 'ok', value: { fresh: true } }, 'the new fork\'s value is read from storage')
  await index.close()
  await db.close()
  await multifeed.close()
  cleanup()
})

test('the cache is bounded', async (t) => {
  const { dir, cleanup } = tmpdir()
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  await w.append(Array.from({ length: 50 }, (_, i) => ({ i })))
  const reader = new EntryReader(multifeed, { cacheSize: 10 })
  const key = feedKey(w)
  reader.remember(key, 0, Array.from({ length: 50 }, (_, i) => ({ i })))
  await reader.read(w, key, 45)
  t.equal(reader.stats.cacheHits, 1, 'recent values are cached')
  await reader.read(w, key, 5)
  t.equal(reader.stats.storageReads, 1, 'old ones were evicted')
  t.throws(() => new EntryReader(multifeed, { cacheSize: -1 }), /cacheSize/)
  await multifeed.close()
  cleanup()
})
