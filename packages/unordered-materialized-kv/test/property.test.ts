// Order independence: any permutation and any batching of the same docs (duplicates included) must
// give, for every key, the heads of a plain in-memory reference model.
import test from 'tape'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { UnorderedMaterializedKV, type Doc } from '../src/index.js'

const KEYS = ['a', 'b', 'c', 'k!x', '']

// Reference: heads of a key = ids of its docs that no doc of the same key links to.
function referenceHeads (docs: Doc[], key: string): string[] {
  const ids = new Set<string>()
  const linked = new Set<string>()
  for (const doc of docs) {
    if (doc.key !== key) continue
    ids.add(doc.id)
    for (const link of doc.links) linked.add(link)
  }
  return [...ids].filter((id) => !linked.has(id)).sort()
}

// Unique docs (one per id), then some duplicated, shuffled, and cut into batches.
const scenario = fc.integer({ min: 1, max: 14 }).chain((n) => {
  const ids = Array.from({ length: n }, (_, i) => 'id' + i)
  const doc = (id: string) => fc.record({
    id: fc.constant(id),
    key: fc.constantFrom(...KEYS.slice(0, 3), ...KEYS),
    // about half the docs link nothing: the path that reads and writes no link markers
    links: fc.oneof(fc.constant([]), fc.uniqueArray(fc.constantFrom(...ids, 'missing'), { minLength: 1, maxLength: 3 }))
  })
  return fc.tuple(...ids.map(doc)).chain((docs) => fc.record({
    docs: fc.constant(docs as Doc[]),
    duplicates: fc.array(fc.constantFrom(...(docs as Doc[])), { maxLength: 5 }),
    seed: fc.integer(),
    cuts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 20 }),
    useOps: fc.boolean(),
    // a db holding data of the first storage format (no format record): every marker is looked up
    legacy: fc.boolean()
  }))
})

function shuffle<T> (items: T[], seed: number): T[] {
  const out = items.slice()
  let s = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = s % (i + 1)
    const tmp = out[i] as T
    out[i] = out[j] as T
    out[j] = tmp
  }
  return out
}

function cut<T> (items: T[], sizes: number[]): T[][] {
  const out: T[][] = []
  let at = 0
  let i = 0
  while (at < items.length) {
    const size = sizes[i++ % sizes.length] as number
    out.push(items.slice(at, at + size))
    at += size
  }
  return out
}

test('any permutation and batching gives the reference heads for every key', async (t) => {
  let runs = 0
  let linkFree = 0
  let firstSeen = 0
  await fc.assert(fc.asyncProperty(scenario, async ({ docs, duplicates, seed, cuts, useOps, legacy }) => {
    runs++
    const arrival = shuffle([...docs, ...duplicates.map((d) => ({ ...d, links: d.links.slice() }))], seed)
    const root = new MemoryLevel()
    const db = root.sublevel('umkv')
    if (legacy) await db.put('l!1!z!unrelated', '1')
    const kv = new UnorderedMaterializedKV(db)
    const seen = new Set<string>()
    for (const batch of cut(arrival, cuts)) {
      for (const doc of batch) {
        if (doc.links.length === 0) linkFree++
        if (!seen.has(doc.key)) firstSeen++
      }
      for (const doc of batch) seen.add(doc.key)
      if (useOps) await root.batch(await kv.ops(batch))
      else await kv.batch(batch)
    }
    for (const key of KEYS) {
      const got = await kv.get(key)
      const want = referenceHeads(docs, key)
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`key ${JSON.stringify(key)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
      }
    }
    await root.close()
  }), { seed: 20261124, numRuns: 300 })
  t.equal(runs >= 300, true, `${runs} scenarios agree with the reference model`)
  t.ok(linkFree > 500 && firstSeen > 500, `covers link-free docs (${linkFree}) and docs of keys no earlier batch had (${firstSeen})`)
})
