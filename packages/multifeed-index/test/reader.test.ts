import test from 'tape'
import { decodeBlock, readEntries, EntryValueError } from '@kappa-ts/multifeed'
import { MultifeedIndex, EntryReader } from '../src/index.js'
import { fixture, countingMap, dataOf, feedKey, append, entryKey } from './helpers.js'

test('a shared EntryReader reads each block from storage once for several indexes', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 300 }, (_, i) => ({ i })), 3)
  const reader = new EntryReader(multifeed, { cacheBytes: 1024 * 1024 })
  const indexes = [1, 2, 3].map((n) => new MultifeedIndex({ multifeed, db: db.sublevel('v' + n), map: countingMap, reader, maxBatch: 50 }))
  await Promise.all(indexes.map((i) => i.indexed()))
  t.equal(reader.stats.storageReads, 100, 'each of the 100 blocks read once')
  t.ok(reader.stats.cacheHits + reader.stats.sharedReads >= 200, 'the other two indexes were served from cache or a shared read')
  for (const i of indexes) t.equal((await dataOf(i)).size, 300)
  await Promise.all(indexes.map((i) => i.close()))
})

test('append() packs values into blocks and hands them over: no read-back; offsets and addresses line up', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  const reader = new EntryReader(multifeed)
  const index = new MultifeedIndex({ multifeed, db, map: countingMap, reader })
  await index.indexed()
  const values = Array.from({ length: 2000 }, (_, i) => ({ i, pad: 'x'.repeat(100) }))
  // two appends in flight at once: blocks and entry offsets must still line up
  const more = Array.from({ length: 50 }, (_, i) => ({ more: i }))
  const [first, second] = await Promise.all([reader.append(w, values), reader.append(w, more)])
  t.ok(first.counts.length > 1, `2,000 values of ~110 bytes in ${first.counts.length} blocks`)
  t.equal(first.counts.reduce((a, b) => a + b, 0), 2000)
  t.equal(second.firstBlock, first.firstBlock + first.counts.length, 'the second append starts after the first')
  await index.indexed()
  t.equal(reader.stats.storageReads, 0, 'nothing read back from storage')
  const data = await dataOf(index)
  t.equal(data.size, 2050)
  let offset = 0
  for (let block = 0; block < w.length; block++) {
    const decoded = decodeBlock(await w.get(block) as Buffer)
    t.equal(decoded.offset, offset, `block ${block} starts at entry ${offset}`)
    offset += decoded.count
  }
  t.equal(offset, 2050, 'offsets count every entry')
  const last = (await readEntries(w, second.firstBlock)) as unknown[]
  t.deepEqual(last[10], { more: 10 }, 'values in the right blocks')
  t.deepEqual((data.get(entryKey(feedKey(w), second.firstBlock, 10)) as { value: unknown }).value, { more: 10 })
  t.deepEqual(index.progress().total, 2050, 'progress counts entries, from the cached last block')

  // one small append is one block, at once
  const one = await reader.append(w, [{ chat: 'hi' }])
  t.deepEqual(one.counts, [1], 'a single small append is one block of one entry')

  // a value the encoding cannot store: nothing appended
  const length = w.length
  try {
    await reader.append(w, [{ ok: true }, undefined])
    t.fail('should refuse')
  } catch (err) {
    t.ok(err instanceof EntryValueError, 'EntryValueError')
    t.match((err as Error).message, /value 1/, 'names the value')
  }
  t.equal(w.length, length, 'nothing appended')

  // blocks cached for a fork are not served after the feed was truncated
  await w.truncate(1)
  await reader.append(w, [{ fresh: true }])
  const got = await reader.readEntry(w, feedKey(w), { block: 1, index: 0 })
  t.deepEqual(got, { status: 'ok', value: { fresh: true } }, 'the new fork\'s block')
  t.equal(decodeBlock(await w.get(1) as Buffer).offset, decodeBlock(await w.get(0) as Buffer).count, 'the offset after a truncation continues from the block kept')
  await index.close()
})

test('the cache is bounded by bytes; readEntry reads at most one block', async (t) => {
  const { multifeed } = fixture(t)
  const w = await multifeed.writer()
  const reader = new EntryReader(multifeed, { cacheBytes: 200 * 1024 })
  await reader.append(w, Array.from({ length: 5000 }, (_, i) => ({ i, pad: 'y'.repeat(100) })))
  t.ok(w.length >= 8, `${w.length} blocks of ~64 KB`)
  const key = feedKey(w)
  const last = w.length - 1
  const recent = await reader.readEntry(w, key, { block: last, index: 0 })
  t.equal(recent.status, 'ok')
  t.equal(reader.stats.cacheHits, 1, 'the newest block is cached')
  t.equal(reader.stats.storageReads, 0)
  const old = await reader.readEntry(w, key, { block: 0, index: 3 })
  t.deepEqual(old, { status: 'ok', value: { i: 3, pad: 'y'.repeat(100) } })
  t.equal(reader.stats.storageReads, 1, 'the oldest was evicted: one block read')
  t.deepEqual(await reader.readEntry(w, key, { block: 0, index: 100000 }), { status: 'missing' }, 'no such entry in the block')
  t.deepEqual(await reader.readEntry(w, key, { block: w.length + 5, index: 0 }), { status: 'missing' }, 'no such block here')
  t.throws(() => new EntryReader(multifeed, { cacheBytes: -1 }), /cacheBytes/)
})
