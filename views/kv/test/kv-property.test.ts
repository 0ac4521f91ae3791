import test from 'tape'
import fc from 'fast-check'
import { Kappa, entryId, type Address, type Writer } from '@kappa-ts/kappa-core'
import { kvView, type KvRecord } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

// Random writes by three writers of one kappa, each linking a random subset of the ids of
// that key written so far (any writer), indexed in batches of a random size: get() must equal
// the reference model (heads = docs of the key that no doc of the key links), whatever the
// batching and the order in which the indexer takes the feeds.
const KEYS = ['a', 'b', 'c']
const op = fc.record({ writer: fc.nat({ max: 2 }), key: fc.constantFrom(...KEYS), linkMask: fc.nat({ max: 255 }), group: fc.boolean() })

let runs = 0

test('kv get equals the heads model for random links, writers and batch sizes (property, fixed seed)', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (ops, maxBatch) => {
    const dir = tmpDir(t, 'kappa-kv-prop-') // each run's folder, removed when the test ends
    const kappa = new Kappa(dir).use('kv', kvView<number>({ maxBatch }))
    try {
      await kappa.ready()
      const writers: Writer[] = [await kappa.writer('w0'), await kappa.writer('w1'), await kappa.writer('w2')]
      const docs: Array<{ id: string; key: string; links: string[]; value: number }> = []
      // appends in a group go out at once (coalesced); their ids become linkable when they land
      let group: Array<{ w: Writer; address: Promise<Address>; key: string; links: string[]; value: number }> = []
      const land = async (): Promise<void> => {
        for (const g of group) docs.push({ id: entryId(g.w.key, await g.address), key: g.key, links: g.links, value: g.value })
        group = []
      }
      for (let i = 0; i < ops.length; i++) {
        const o = ops[i]!
        if (!o.group) await land()
        const known = docs.filter((d) => d.key === o.key).map((d) => d.id)
        const links = known.filter((_, j) => (o.linkMask >> (j % 8)) & 1)
        const w = writers[o.writer]!
        const record: KvRecord<number> = { key: o.key, value: i, links }
        group.push({ w, address: w.append(record), key: o.key, links, value: i })
        if (!o.group) await land()
      }
      await land()
      runs++
      await kappa.indexed()
      for (const key of KEYS) {
        const mine = docs.filter((d) => d.key === key)
        const linked = new Set(mine.flatMap((d) => d.links))
        const expected = mine.filter((d) => !linked.has(d.id)).map((d) => [d.id, d.value]).sort()
        const got = (await kappa.api.kv.get(key)).map((h) => [h.id, h.value]).sort()
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          throw new Error(`key ${key}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
        }
      }
      return true
    } finally {
      await kappa.close()
    }
  }), { seed: 1124, numRuns: 100 })
  t.equal(runs, 100, '100 random histories: get() equals the model')
})
