import test from 'tape'
import fc from 'fast-check'
import { Kappa, compareAddress, type Address, type Entry, type Writer } from '@kappa-ts/kappa-core'
import { listView, type SortKey } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

// Entries with random sort keys (numbers and strings, many ties) from two writers, indexed in
// random batch sizes: read() with random bounds, limit and direction equals sorting the
// entries by (sort key, feed, address) and slicing.
const sortKey: fc.Arbitrary<SortKey> = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(-0.5, 2.25, 1e9), fc.constantFrom('a', 'ab', 'b', ''))
const bound = fc.option(sortKey, { nil: undefined })

function cmpKey (a: SortKey, b: SortKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  return a < b ? -1 : a > b ? 1 : 0
}

let runs = 0

test('list read equals the sorted model for random keys, ties, bounds, limit and reverse (property, fixed seed)', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.nat({ max: 1 }), sortKey), { minLength: 1, maxLength: 30 }),
    fc.integer({ min: 1, max: 6 }),
    fc.array(fc.record({ gt: bound, gte: bound, lt: bound, lte: bound, limit: fc.option(fc.nat({ max: 10 }), { nil: undefined }), reverse: fc.boolean() }), { minLength: 1, maxLength: 5 }),
    async (items, maxBatch, queries) => {
      const dir = tmpDir(t, 'kappa-list-prop-') // each run's folder, removed when the test ends
      const kappa = new Kappa(dir).use('list', listView<{ k: SortKey }>({ map: (e: Entry<{ k: SortKey }>) => e.value.k, maxBatch }))
      try {
        await kappa.ready()
        const writers: Writer[] = [await kappa.writer('w0'), await kappa.writer('w1')]
        const model: Array<{ k: SortKey; feed: string; address: Address }> = []
        for (const [wi, k] of items) {
          const w = writers[wi]!
          model.push({ k, feed: w.key, address: await w.append({ k }) })
        }
        await kappa.indexed()
        model.sort((a, b) => cmpKey(a.k, b.k) || (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0) || compareAddress(a.address, b.address))
        for (const q of queries) {
          let want = model.filter((m) =>
            (q.gt === undefined || cmpKey(m.k, q.gt) > 0) && (q.gte === undefined || cmpKey(m.k, q.gte) >= 0) &&
            (q.lt === undefined || cmpKey(m.k, q.lt) < 0) && (q.lte === undefined || cmpKey(m.k, q.lte) <= 0))
          if (q.reverse) want = want.reverse()
          if (q.limit !== undefined) want = want.slice(0, q.limit)
          const opts = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined))
          const got = (await kappa.api.list.read(opts)).map((i) => [i.sortKey, i.key, i.address])
          if (JSON.stringify(got) !== JSON.stringify(want.map((m) => [m.k, m.feed, m.address]))) {
            throw new Error(`read(${JSON.stringify(q)}): got ${JSON.stringify(got)}`)
          }
        }
        runs++
        return true
      } finally {
        await kappa.close()
      }
    }), { seed: 2026, numRuns: 60 })
  t.equal(runs, 60, '60 random lists: every read equals the model')
})
