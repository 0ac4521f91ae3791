import test from 'tape'
import { packBlocks, entrySize, BLOCK_FORMAT_COMPRESSED } from '@kappa-ts/multifeed'
import { MultifeedIndex, IndexError, type Entry, type SkippedEntry } from '../src/index.js'
import { fixture, countingMap, dataOf, feedKey, once, untilState, append, entries as entriesOf } from './helpers.js'

test('a throwing map stops at that batch with feed/address, commits nothing of it, and resume() retries it', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 10 }, (_, i) => ({ i })))
  let broken = true
  const attempts: number[] = []
  const index = new MultifeedIndex({
    multifeed,
    db,
    maxBatch: 4,
    map: async (entries: Entry[], batch, ctx) => {
      attempts.push(entries[0]!.address.block)
      // writes before the throw must not land
      await countingMap(entries, batch, ctx)
      if (broken && entries.some((e) => (e.value as { i: number }).i === 6)) throw new Error('cannot handle 6')
    }
  })
  const failed = once<IndexError>(index, 'map-error')
  await index.indexed().then(() => t.fail('indexed() should reject'), (err: IndexError) => t.equal(err.code, 'ERR_MAP_FAILED', 'indexed() rejects with the map error'))
  const err = await failed
  t.ok(err instanceof IndexError, 'an IndexError')
  t.equal(err.feed, feedKey(w), 'error.feed is the feed of the batch\'s first entry')
  t.deepEqual(err.address, { block: 4, index: 0 }, 'error.address is the first entry of the failing batch')
  t.equal(index.state, 'error')
  t.equal(index.error, err)
  t.match(String((err.cause as Error).message), /cannot handle 6/, 'cause kept')
  const before = await dataOf(index)
  t.deepEqual([...before.keys()].map((k) => parseInt(k.split(':')[1]!)).sort((a, b) => a - b), [0, 1, 2, 3], 'only the batch before the failure is committed')
  t.deepEqual(entriesOf(index), { indexed: 4, total: 10 })
  await index.indexed().then(() => t.fail('indexed() should reject in error state'), (e: IndexError) => t.equal(e, err, 'indexed() rejects with the error'))

  // more appends while in error do not move it
  await append(w, { i: 10 })
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
})

test('several consumers over one multifeed: each has its own cursors; one failing does not stop the other', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  const bad = new MultifeedIndex({
    multifeed,
    db: db.sublevel('bad'),
    map: (entries) => { if (entries.some((e) => e.address.block >= 5)) throw new Error('nope') }
  })
  const good = new MultifeedIndex({ multifeed, db: db.sublevel('good'), map: countingMap, reader: bad.reader })
  const failed = once<IndexError>(bad, 'map-error')
  await append(w, Array.from({ length: 5 }, (_, i) => ({ i })))
  await Promise.all([bad.indexed(), good.indexed()])
  await append(w, Array.from({ length: 5 }, (_, i) => ({ i: i + 5 })))
  const err = await failed
  t.deepEqual(err.address, { block: 5, index: 0 })
  await good.indexed()
  t.equal(bad.state, 'error', 'the failing consumer stopped')
  t.deepEqual(entriesOf(bad), { indexed: 5, total: 10 })
  t.deepEqual(entriesOf(good), { indexed: 10, total: 10 }, 'the other went on')
  t.equal((await dataOf(good)).size, 10)
  await bad.close()
  await good.close()
})

test('a block that is not a packed block, and a bad entry among good ones, are skipped, recorded and reported; the index goes on', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, { ok: 0 })
  // block 1: raw bytes in no known format; block 2: a v1 block whose middle entry is not JSON
  await w.append(Buffer.from('{not a packed block'))
  const entries = ['{"ok":2}', '{not json', '{"ok":3}']
  await w.append(packBlocks(entries, entries.map(entrySize), 3, Infinity)[0]!.block)
  // block 3: a later format tag
  await w.append(Buffer.from([BLOCK_FORMAT_COMPRESSED + 1, 0, 1, 1, 0x30]))
  await append(w, { ok: 4 })
  const skips: SkippedEntry[] = []
  let index = new MultifeedIndex({ multifeed, db, map: countingMap })
  index.on('skip', (e: SkippedEntry) => skips.push(e))
  await index.indexed()
  await untilState(index, 'idle')
  const key = feedKey(w)
  t.deepEqual(skips.map((s) => [s.block, s.index, s.code]), [[1, null, 'ERR_BLOCK_FORMAT'], [2, 1, 'ERR_ENTRY_DECODE'], [3, null, 'ERR_BLOCK_FORMAT']], 'three skip events, in order')
  t.ok(skips.every((s) => s.key === key && s.reason.length > 0), 'each names the feed and gives a reason')
  t.match(skips[0]!.reason, /format/, 'the raw block: not a format this version reads')
  t.match(skips[2]!.reason, /format 3/, 'the later format is named')
  const data = await dataOf(index)
  t.deepEqual([...data.keys()].map((k) => k.split(':')[1]).sort(), ['0.0', '2.0', '2.2', '4.0'], 'the good entries around them are indexed, the good ones of the mixed block too')
  t.deepEqual(index.progress(), { indexed: 5, total: 5, blocks: { indexed: 5, total: 5 }, skipped: 3 }, 'skipped blocks count as done, and are counted')
  t.equal(index.reader.stats.invalid, 2, 'the reader counted the two malformed blocks')
  t.deepEqual(await index.skipped(), skips, 'the records are kept: skipped() lists them')
  await index.close()

  // after a restart: still recorded, not retried
  index = new MultifeedIndex({ multifeed, db, map: countingMap })
  let again = 0
  index.on('skip', () => again++)
  await index.indexed()
  t.equal(again, 0, 'nothing skipped again')
  t.equal(index.progress().skipped, 3)
  t.deepEqual((await index.skipped(key)).map((s) => s.block), [1, 2, 3], 'skipped(feed) lists one feed\'s records')
  await index.close()
})
