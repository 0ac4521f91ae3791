// What a consumer cannot index is skipped and recorded, never fatal, never silent:
// map's ctx.skip(), and onError 'skip', which finds the entry that makes map throw.
import test from 'tape'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { MultifeedIndex, IndexError, type Entry, type IndexBatch, type MapContext, type SkippedEntry } from '../src/index.js'
import { fixture, countingMap, dataOf, feedKey, append, entryKey, once } from './helpers.js'

test('ctx.skip(entry, reason): the entry is done, recorded in the same commit, reported, and counted', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, [{ n: 1 }, { n: -2 }, { n: 3 }, { n: -4 }], 4)
  const events: SkippedEntry[] = []
  const index = new MultifeedIndex({
    multifeed,
    db,
    async map (entries: Entry[], batch: IndexBatch, ctx: MapContext) {
      const good: Entry[] = []
      for (const e of entries) {
        if ((e.value as { n: number }).n < 0) ctx.skip(e, 'negative numbers are not indexed', 'ERR_NEGATIVE')
        else good.push(e)
      }
      await countingMap(good, batch, ctx)
    }
  })
  index.on('skip', (s: SkippedEntry) => events.push(s))
  await index.indexed()
  const key = feedKey(w)
  t.deepEqual([...(await dataOf(index)).keys()].sort(), [entryKey(key, 0, 0), entryKey(key, 0, 2)], 'the others are indexed')
  t.deepEqual(events.map((s) => [s.index, s.code, s.reason]), [[1, 'ERR_NEGATIVE', 'negative numbers are not indexed'], [3, 'ERR_NEGATIVE', 'negative numbers are not indexed']], "'skip' events")
  t.deepEqual(await index.skipped(), events, 'and the records')
  t.deepEqual(index.progress(), { indexed: 4, total: 4, blocks: { indexed: 1, total: 1 }, skipped: 2 }, 'the skipped ones are done')
  await index.close()
})

test('onError stop (default): a throwing map stops the index at that batch; skip: the entry that throws is found, skipped and recorded', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 40 }, (_, i) => ({ i })), 8)
  const fragile = async (entries: Entry[], batch: IndexBatch, ctx: MapContext): Promise<void> => {
    await countingMap(entries, batch, ctx) // writes first: they must not land for a batch that throws
    const bad = entries.find((e) => [5, 17, 18].includes((e.value as { i: number }).i))
    if (bad !== undefined) throw new Error(`cannot index ${(bad.value as { i: number }).i}`)
  }
  const stopping = new MultifeedIndex({ multifeed, db: db.sublevel('stop'), map: fragile })
  const failed = once<IndexError>(stopping, 'map-error')
  await stopping.indexed().catch(() => {})
  t.equal((await failed).code, 'ERR_MAP_FAILED', 'the default stops')
  t.equal(stopping.state, 'error')
  await stopping.close()

  const skips: SkippedEntry[] = []
  const skipping = new MultifeedIndex({ multifeed, db: db.sublevel('skip'), map: fragile, onError: 'skip' })
  skipping.on('skip', (s: SkippedEntry) => skips.push(s))
  await skipping.indexed()
  t.notEqual(skipping.state, 'error', 'with onError skip, the index goes on')
  t.equal(skipping.error, null)
  const data = await dataOf(skipping)
  t.equal(data.size, 37, 'every other entry indexed')
  t.ok([...data.values()].every((v) => (v as { count: number }).count === 1), 'each once: the attempts wrote nothing')
  t.deepEqual(skips.map((s) => [s.block * 8 + (s.index as number), s.code]), [[5, 'ERR_MAP_THREW'], [17, 'ERR_MAP_THREW'], [18, 'ERR_MAP_THREW']], 'the three entries that throw, found and recorded')
  t.match(skips[1]!.reason, /cannot index 17/, "the error's message is the reason")
  t.equal(skipping.progress().skipped, 3)
  await skipping.close()
  t.throws(() => new MultifeedIndex({ multifeed, db, map: fragile, onError: 'ignore' as 'skip' }), /ERR_BAD_OPTION/, 'a bad onError')
})

test("map's return value comes with the 'batch' event of its commit; with onError skip, that of the run that was committed", async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 12 }, (_, i) => ({ i })), 4)
  // returns the values it wrote; throws on 6 after writing (those writes must not count)
  const map = async (entries: Entry[], batch: IndexBatch, ctx: MapContext): Promise<number[]> => {
    await countingMap(entries, batch, ctx)
    const values = entries.map((e) => (e.value as { i: number }).i)
    if (values.includes(6)) throw new Error('cannot index 6')
    return values
  }
  const index = new MultifeedIndex({ multifeed, db, map, maxBatch: 4, onError: 'skip' })
  const events: Array<{ entries: number[]; result: unknown }> = []
  index.on('batch', (entries: Entry[], result: unknown) => events.push({ entries: entries.map((e) => (e.value as { i: number }).i), result }))
  await index.indexed()
  t.ok(events.length >= 3, `${events.length} batches`)
  t.ok(events.every((e) => Array.isArray(e.result)), 'every commit carries what its map returned')
  t.deepEqual(events.map((e) => e.result), events.map((e) => e.entries), "each result is the one map returned for that commit's entries")
  t.deepEqual(events.flatMap((e) => e.entries).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11], 'the entry that throws is isolated: not in any result')
  await index.close()
})

test('property: with onError skip, the result is the entries that do not throw, each once, whatever the batch sizes (fixed seed)', async (t) => {
  const { multifeed } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 60 }, (_, i) => ({ i })), 5)
  let run = 0
  await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.nat(59), { maxLength: 12 }), fc.integer({ min: 1, max: 30 }), async (badList, maxBatch) => {
    const bad = new Set(badList)
    const mem = new MemoryLevel<string, unknown>({ valueEncoding: 'json' })
    const index = new MultifeedIndex({
      multifeed,
      db: mem.sublevel('run' + run++),
      maxBatch,
      onError: 'skip',
      async map (entries: Entry[], batch: IndexBatch, ctx: MapContext) {
        await countingMap(entries, batch, ctx)
        if (entries.some((e) => bad.has((e.value as { i: number }).i))) throw new Error('bad entry')
      }
    })
    await index.indexed()
    const data = await dataOf(index)
    const got = [...data.values()].map((v) => (v as { value: { i: number } }).value.i).sort((a, b) => a - b)
    const skipped = (await index.skipped()).map((s) => s.block * 5 + (s.index as number)).sort((a, b) => a - b)
    await index.close()
    await mem.close()
    const want = Array.from({ length: 60 }, (_, i) => i).filter((i) => !bad.has(i))
    return JSON.stringify(got) === JSON.stringify(want) && JSON.stringify(skipped) === JSON.stringify([...bad].sort((a, b) => a - b)) &&
      [...data.values()].every((v) => (v as { count: number }).count === 1)
  }), { seed: 20261130, numRuns: 40 })
  t.pass('40 random sets of throwing entries')
})
