import test from 'tape'
import { Multifeed } from '@kappa-ts/multifeed'
import { MultifeedIndex, type Entry, type IndexProgress } from '../src/index.js'
import { defer, tmpDir } from '@kappa-ts/test-helpers'
import { fixture, openDb, countingMap, dataOf, feedKey, untilIndexed, untilState, append, entries as entriesOf, entryKey } from './helpers.js'
import path from 'node:path'
import { MemoryLevel } from 'memory-level'

test('indexes every entry of every feed once, live, and resumes after a restart without redoing any', async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  let multifeed = new Multifeed(path.join(dir, 'cores'))
  await multifeed.ready()
  const a = await multifeed.writer('a')
  const b = await multifeed.writer('b')
  await append(a, [{ n: 0 }, { n: 1 }, { n: 2 }])
  await append(b, [{ n: 10 }])
  let db = openDb(dir)
  defer(t, async () => { await db.close(); await multifeed.close() }) // the ones open when the test ends
  const seen: Entry[] = []
  const states: string[] = []
  let index = new MultifeedIndex({
    multifeed,
    db,
    maxBatch: 2,
    map: async (entries, batch, ctx) => { seen.push(...entries); await countingMap(entries, batch, ctx) }
  })
  index.on('state', (s: string) => states.push(s))
  await index.indexed()
  t.equal(seen.length, 4, 'all four existing entries indexed by ready()')
  t.ok(seen.every((_, i) => i === 0 || seen.length > 0), 'batches of at most maxBatch')
  t.deepEqual(entriesOf(index), { indexed: 4, total: 4 })
  await untilState(index, 'idle')
  t.ok(states.includes('indexing'), 'went through indexing back to idle')

  // live: a new writer and appends are picked up without being asked
  const c = await multifeed.writer('c')
  const batches: number[] = []
  index.on('batch', (entries: Entry[]) => batches.push(entries.length))
  await append(c, { n: 20 })
  await append(a, [{ n: 3 }, { n: 4 }, { n: 5 }])
  await untilIndexed(index, () => index.progress().indexed === 8)
  await index.indexed()
  t.ok(batches.every((n) => n <= 2), 'live batches respect maxBatch')
  const counts = await dataOf(index)
  t.equal(counts.size, 8, '8 entries in data')
  t.ok([...counts.values()].every((v) => (v as { count: number }).count === 1), 'each counted once')
  t.deepEqual((counts.get(entryKey(feedKey(c), 0)) as { value: unknown }).value, { n: 20 }, 'values are decoded')

  // restart: nothing is redone
  await index.close()
  await db.close()
  await multifeed.close()
  multifeed = new Multifeed(path.join(dir, 'cores'))
  await multifeed.ready()
  db = openDb(dir)
  let mapped = 0
  index = new MultifeedIndex({ multifeed, db, map: async (entries, batch, ctx) => { mapped += entries.length; await countingMap(entries, batch, ctx) } })
  await index.indexed()
  t.equal(mapped, 0, 'nothing re-indexed after restart')
  const a2 = await multifeed.writer('a')
  await append(a2, { n: 6 })
  await index.indexed()
  t.equal(mapped, 1, 'only the new entry is indexed')
  t.deepEqual(entriesOf(index), { indexed: 9, total: 9 })
  const after = await dataOf(index)
  t.ok([...after.values()].every((v) => (v as { count: number }).count === 1), 'still each counted once')
  await index.close()
})

test('indexed() waits only for entries known at call time; pause() holds work, resume() continues', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  const index = new MultifeedIndex({ multifeed, db, map: countingMap, maxBatch: 10 })
  await index.indexed()
  index.pause()
  await untilState(index, 'paused')
  t.equal(index.state, 'paused')
  await append(w, Array.from({ length: 25 }, (_, i) => ({ i })))
  let resolved = false
  const waiting = index.indexed().then(() => { resolved = true })
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(resolved, false, 'indexed() does not resolve while paused with work left')
  t.equal(index.progress().indexed, 0, 'nothing indexed while paused')
  index.resume()
  await waiting
  t.deepEqual(entriesOf(index), { indexed: 25, total: 25 }, 'resume() continued to the end')
  const progress: IndexProgress[] = []
  index.on('progress', (p: IndexProgress) => progress.push(p))
  await append(w, { i: 25 })
  await index.indexed()
  await untilState(index, 'idle')
  t.deepEqual(entriesOf(progress[progress.length - 1]!), { indexed: 26, total: 26 }, 'progress event reports the final count')
  await index.close()
  await index.indexed().then(() => t.fail('should reject'), (err: Error) => t.match(err.message, /ERR_CLOSED/, 'indexed() after close rejects'))
})

test('bad options get typed errors', (t) => {
  const fake = { feeds: () => [], feed: () => undefined, on: () => {}, off: () => {} }
  const db = { sublevel: () => ({}) } as unknown as import('../src/index.js').IndexDb
  const noop = (): void => {}
  t.throws(() => new MultifeedIndex({ multifeed: fake, db, map: noop, maxBatch: 0 }), /ERR_BAD_OPTION/)
  t.throws(() => new MultifeedIndex({ multifeed: fake, db, map: 'x' as unknown as typeof noop }), /ERR_BAD_OPTION/)
  t.throws(() => new MultifeedIndex({ multifeed: {} as typeof fake, db, map: noop }), /ERR_BAD_OPTION/)
  t.end()
})

test('feeds take turns: a long feed does not hold back a short one', async (t) => {
  const { multifeed, db } = fixture(t)
  const long = await multifeed.writer('long')
  await append(long, Array.from({ length: 1000 }, (_, i) => ({ i })))
  const short = await multifeed.writer('short')
  await append(short, Array.from({ length: 10 }, (_, i) => ({ i })))
  const idle = await Promise.all(Array.from({ length: 20 }, (_, i) => multifeed.writer('idle' + i)))
  t.equal(idle.length, 20, '20 empty feeds as well')
  let batchNo = 0
  let shortDoneAt = -1
  const index = new MultifeedIndex({
    multifeed,
    db,
    maxBatch: 50,
    map: (entries) => {
      batchNo++
      if (entries.some((e) => e.key === feedKey(short) && e.address.block === 9)) shortDoneAt = batchNo
    }
  })
  await index.indexed()
  t.ok(shortDoneAt >= 1 && shortDoneAt <= 2, `the short feed was done in batch ${shortDoneAt} of ${batchNo}`)
  t.deepEqual(entriesOf(index), { indexed: 1010, total: 1010 })
  await index.close()
})

test('works on any abstract-level: memory-level, nested sublevels', async (t) => {
  const { multifeed } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 30 }, (_, i) => ({ i })))
  const mem = new MemoryLevel<string, unknown>({ valueEncoding: 'json' })
  const index = new MultifeedIndex({ multifeed, db: mem.sublevel('views').sublevel('counter'), map: countingMap, maxBatch: 7 })
  await index.indexed()
  const data = await dataOf(index)
  t.equal(data.size, 30)
  t.ok([...data.values()].every((v) => (v as { count: number }).count === 1))
  await index.close()
  await mem.close()
})

test('packed blocks: the entries of a block go to map together, never split, in log order; progress counts entries and blocks', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  // blocks of 7, 7, 7, 7, 2 entries: 30 entries in 5 blocks
  await append(w, Array.from({ length: 30 }, (_, i) => ({ i })), 7)
  const calls: Entry[][] = []
  const index = new MultifeedIndex({ multifeed, db, maxBatch: 10, map: async (entries, batch, ctx) => { calls.push(entries); await countingMap(entries, batch, ctx) } })
  await index.indexed()
  const seen = calls.flat()
  t.deepEqual(seen.map((e) => (e.value as { i: number }).i), Array.from({ length: 30 }, (_, i) => i), 'every entry once, in log order')
  t.deepEqual(seen[8]!.address, { block: 1, index: 1 }, 'entry 8 is the second of block 1')
  for (const c of calls) {
    const blocks = new Set(c.map((e) => e.address.block))
    for (const b of blocks) t.equal(c.filter((e) => e.address.block === b).length, b === 4 ? 2 : 7, `block ${b} whole in one map() call`)
  }
  t.ok(calls.every((c) => c.length <= 10 || new Set(c.map((e) => e.address.block)).size === 1), 'batches stay within maxBatch unless one block is larger')
  t.deepEqual(index.progress(), { indexed: 30, total: 30, blocks: { indexed: 5, total: 5 }, skipped: 0 }, 'entries and blocks')

  // one block larger than maxBatch goes alone, whole
  calls.length = 0
  await append(w, Array.from({ length: 25 }, (_, i) => ({ i: 30 + i })), 25)
  await index.indexed()
  t.deepEqual(calls.map((c) => c.length), [25], 'a 25-entry block in one call although maxBatch is 10')
  t.deepEqual(entriesOf(index), { indexed: 55, total: 55 })
  await index.close()
})

test('progress after a restart: entries counted from the cursors, total from the last block', async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  let multifeed = new Multifeed(path.join(dir, 'cores'))
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 100 }, (_, i) => ({ i })), 10)
  let db = openDb(dir)
  defer(t, async () => { await db.close(); await multifeed.close() }) // the ones open when the test ends
  let index = new MultifeedIndex({ multifeed, db, map: countingMap })
  await index.indexed()
  await index.close(); await db.close(); await multifeed.close()

  multifeed = new Multifeed(path.join(dir, 'cores'))
  await multifeed.ready()
  db = openDb(dir)
  index = new MultifeedIndex({ multifeed, db, map: countingMap })
  await index.ready()
  t.deepEqual(index.progress(), { indexed: 100, total: 100, blocks: { indexed: 10, total: 10 }, skipped: 0 }, 'known without reading a block')
  await append((await multifeed.writer()), Array.from({ length: 5 }, (_, i) => ({ i })), 5)
  await index.indexed()
  t.deepEqual(entriesOf(index), { indexed: 105, total: 105 })
  await index.close()
})
