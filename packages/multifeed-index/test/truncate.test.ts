import test from 'tape'
import path from 'node:path'
import { Multifeed, readEntries } from '@kappa-ts/multifeed'
import { MultifeedIndex, type IndexBatch, type IndexContext, type TruncateEvent } from '../src/index.js'
import { closeAtEnd, defer, tmpDir } from '@kappa-ts/test-helpers'
import { fixture, openDb, countingMap, dataOf, feedKey, once, untilState, append, entries as entriesOf, entryKey } from './helpers.js'

/** Removes what the counting consumer derived from entries of feedKey in blocks >= newLength. */
async function countingTruncate (key: string, newLength: number, batch: IndexBatch, ctx: IndexContext): Promise<void> {
  for await (const k of ctx.data.keys({ gte: key + ':', lt: key + ';' })) {
    if (parseInt(String(k).split(':')[1]!) >= newLength) batch.del(k, { sublevel: ctx.data })
  }
}

async function expectMatchesLogs (t: test.Test, index: MultifeedIndex, multifeed: Multifeed, label: string): Promise<void> {
  const data = await dataOf(index)
  const want = new Map<string, unknown>()
  for (const feed of multifeed.feeds()) {
    for (let block = 0; block < feed.length; block++) {
      const values = await readEntries(feed, block) as unknown[]
      values.forEach((v, index) => want.set(entryKey(feedKey(feed), block, index), v))
    }
  }
  t.deepEqual([...data.keys()].sort(), [...want.keys()].sort(), `${label}: exactly the entries now in the logs`)
  t.ok([...data.entries()].every(([k, v]) => (v as { count: number }).count === 1 &&
    JSON.stringify((v as { value: unknown }).value) === JSON.stringify(want.get(k))), `${label}: each once, with the new values`)
}

test('truncation with a truncate() callback: entries past the new length are removed, new ones indexed', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  const other = await multifeed.writer('other')
  await append(w, Array.from({ length: 10 }, (_, i) => ({ v: 'old' + i })))
  await append(other, { v: 'other' })
  const calls: Array<[string, number]> = []
  const index = new MultifeedIndex({
    multifeed,
    db,
    map: countingMap,
    truncate: async (key, length, batch, ctx) => { calls.push([key, length]); await countingTruncate(key, length, batch, ctx) }
  })
  await index.indexed()
  const gen = index.generation
  const truncated = once<TruncateEvent>(index, 'truncate')
  await w.truncate(6)
  await append(w, [{ v: 'new6' }, { v: 'new7' }])
  const ev = await truncated
  t.deepEqual({ key: ev.key, length: ev.length, rebuilt: ev.rebuilt }, { key: feedKey(w), length: 6, rebuilt: false }, "'truncate' event")
  await index.indexed()
  await untilState(index, 'idle')
  t.deepEqual(calls, [[feedKey(w), 6]], 'truncate() called once with feed and new length')
  t.equal(index.generation, gen, 'no rebuild')
  t.deepEqual(entriesOf(index), { indexed: 9, total: 9 })
  await expectMatchesLogs(t, index, multifeed, 'after truncate')
  await index.close()
})

test('truncation without a truncate() callback rebuilds the consumer; a truncation while closed is found on open', async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  let multifeed = new Multifeed(path.join(dir, 'cores'))
  let w = await multifeed.writer()
  await append(w, Array.from({ length: 10 }, (_, i) => ({ v: 'old' + i })))
  const db = closeAtEnd(t, openDb(dir))
  defer(t, () => multifeed.close()) // the one open when the test ends
  let index = new MultifeedIndex({ multifeed, db, map: countingMap })
  await index.indexed()
  const gen = index.generation
  const truncated = once<TruncateEvent>(index, 'truncate')
  await w.truncate(3)
  await append(w, [{ v: 'new3' }])
  const ev = await truncated
  t.equal(ev.rebuilt, true, 'reported as a rebuild')
  t.equal(ev.length, 3)
  await index.indexed()
  t.equal(index.generation, gen + 1, 'a fresh generation')
  await expectMatchesLogs(t, index, multifeed, 'after rebuild')

  // truncate while the index is not running
  await index.close()
  await multifeed.close()
  multifeed = new Multifeed(path.join(dir, 'cores'))
  w = await multifeed.writer()
  await w.truncate(2)
  await append(w, [{ v: 'newer2' }, { v: 'newer3' }, { v: 'newer4' }])
  index = new MultifeedIndex({ multifeed, db, map: countingMap, truncate: countingTruncate })
  const found = once<TruncateEvent>(index, 'truncate')
  await index.indexed()
  const ev2 = await found
  t.equal(ev2.key, feedKey(w), 'the fork change is detected on open')
  await expectMatchesLogs(t, index, multifeed, 'after truncate while closed')
  await index.close()
})

test('truncation across packed blocks: the removed blocks’ entries go, progress is recounted from the blocks kept', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 40 }, (_, i) => ({ v: 'old' + i })), 4)
  const index = new MultifeedIndex({ multifeed, db, map: countingMap, truncate: countingTruncate })
  await index.indexed()
  t.deepEqual(index.progress().blocks, { indexed: 10, total: 10 })
  const truncated = once<TruncateEvent>(index, 'truncate')
  await w.truncate(6)
  await append(w, Array.from({ length: 5 }, (_, i) => ({ v: 'new' + i })), 5)
  await truncated
  await index.indexed()
  await untilState(index, 'idle')
  t.deepEqual(index.progress(), { indexed: 29, total: 29, blocks: { indexed: 7, total: 7 }, skipped: 0 }, '6 blocks of 4 kept, one new block of 5')
  await expectMatchesLogs(t, index, multifeed, 'after truncating packed blocks')
  await index.close()
})
