// Random interleavings (fast-check, fixed seed) of appends on several feeds,
// truncations, pauses, failing maps with resume, and restarts: in the end the
// consumer holds every entry of the logs exactly once, with the logs' values.
// Appends pack a random number of entries per block, so blocks of one and of many
// entries mix, and truncations cut between them.
import test from 'tape'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { readEntries } from '@kappa-ts/multifeed'
import { MultifeedIndex, type Entry, type IndexBatch, type IndexContext } from '../src/index.js'
import { fixture, countingMap, dataOf, feedKey, append, entryKey } from './helpers.js'

type Op =
  | { type: 'append'; feed: number; n: number; perBlock: number }
  | { type: 'truncate'; feed: number; back: number }
  | { type: 'pause' } | { type: 'resume' } | { type: 'fail' } | { type: 'restart' } | { type: 'settle' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('append' as const), feed: fc.nat(2), n: fc.integer({ min: 1, max: 30 }), perBlock: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('truncate' as const), feed: fc.nat(2), back: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'resume' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'fail' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'restart' as const }) },
  { weight: 2, arbitrary: fc.constant({ type: 'settle' as const }) }
)

async function truncateCounts (key: string, newLength: number, batch: IndexBatch, ctx: IndexContext): Promise<void> {
  for await (const k of ctx.data.keys({ gte: key + ':', lt: key + ';' })) {
    if (parseInt(String(k).split(':')[1]!) >= newLength) batch.del(k, { sublevel: ctx.data })
  }
}

test('random interleavings of appends, truncations, pauses, failures and restarts index each entry once', async (t) => {
  const { multifeed } = fixture(t)
  const feeds = await Promise.all([0, 1, 2].map((i) => multifeed.writer('w' + i)))
  const mem = new MemoryLevel<string, unknown>({ valueEncoding: 'json' })
  let run = 0
  let checked = 0
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), fc.integer({ min: 1, max: 40 }), async (ops, maxBatch) => {
    const db = mem.sublevel('run' + run++)
    let failNext = false
    const map = async (entries: Entry[], batch: IndexBatch, ctx: IndexContext): Promise<void> => {
      if (failNext) { failNext = false; throw new Error('injected') }
      await countingMap(entries, batch, ctx)
    }
    const open = (): MultifeedIndex => new MultifeedIndex({ multifeed, db, map, maxBatch, truncate: truncateCounts })
    let index = open()
    let paused = false
    for (const o of ops) {
      if (o.type === 'append') {
        const f = feeds[o.feed]
        await append(f, Array.from({ length: o.n }, (_, i) => ({ run, i, at: f.length })), o.perBlock)
      } else if (o.type === 'truncate') {
        const f = feeds[o.feed]
        await f.truncate(Math.max(0, f.length - o.back))
      } else if (o.type === 'pause') { index.pause(); paused = true } else if (o.type === 'resume') { index.resume(); paused = false } else if (o.type === 'fail') failNext = true
      else if (o.type === 'restart') { await index.close(); index = open(); paused = false } else if (!paused) {
        // waits for the index (while paused it would wait for resume()); an injected failure rejects
        await index.indexed().catch(() => {})
      }
    }
    failNext = false
    index.resume()
    await index.indexed()
    const data = await dataOf(index)
    let expected = 0
    for (const f of feeds) {
      for (let block = 0; block < f.length; block++) {
        const values = await readEntries(f, block) as unknown[]
        for (let index = 0; index < values.length; index++) {
          const got = data.get(entryKey(feedKey(f), block, index)) as { count: number; value: unknown } | undefined
          if (got === undefined || got.count !== 1 || JSON.stringify(got.value) !== JSON.stringify(values[index])) return false
          expected++
        }
      }
    }
    await index.close()
    checked++
    return data.size === expected
  }), { seed: 7, numRuns: 25 })
  t.equal(checked, 25, '25 random schedules: every entry once, values of the current fork')
  await mem.close()
})
