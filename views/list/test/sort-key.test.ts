import test from 'tape'
import fc from 'fast-check'
import { encodeSortKey, storedKey, decodeStoredKey, toKeyRange, ListKeyError, type SortKey } from '../src/index.js'

// The model order: numbers (numerically) before strings (by code point).
function cmpModel (a: SortKey, b: SortKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  const ca = [...a].map((c) => c.codePointAt(0)!)
  const cb = [...b].map((c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!
  return ca.length - cb.length
}
function cmp (a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0 }
const sign = (n: number): number => Math.sign(n)

// control characters, including the \x00 and \x01 the encoding escapes, and plain ASCII
const str = fc.string({ unit: fc.constantFrom('\x00', '\x01', '\x02', 'a', 'b', 'z', '~', ' '), maxLength: 6 })
const num = fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(0, -0, 1e-300, -1e-300, Infinity, -Infinity))
const sortKey: fc.Arbitrary<SortKey> = fc.oneof(str, num)
const feed = fc.constantFrom('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64))
const address = fc.record({ block: fc.oneof(fc.nat(5), fc.nat({ max: Number.MAX_SAFE_INTEGER })), index: fc.nat(16_383) })

test('stored keys sort like (sort key, feed, address) and decode back (property, fixed seed)', (t) => {
  fc.assert(fc.property(sortKey, feed, address, sortKey, feed, address, (ka, fa, sa, kb, fb, sb) => {
    const a = storedKey(ka, fa, sa)
    const b = storedKey(kb, fb, sb)
    const model = cmpModel(ka, kb) || cmp(fa, fb) || sign(sa.block - sb.block || sa.index - sb.index)
    if (sign(cmp(a, b)) !== sign(model)) return false
    const d = decodeStoredKey(a)
    return Object.is(d.sortKey, ka === 0 ? 0 : ka) && d.feed === fa && d.address.block === sa.block && d.address.index === sa.index
  }), { seed: 424242, numRuns: 5000 })
  t.pass('5000 random pairs ordered as the model and round-tripped')
  t.end()
})

test('range bounds select exactly the sort keys in range (property, fixed seed)', (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(sortKey, address), { maxLength: 30 }), sortKey, sortKey, (items, lo, hi) => {
    const stored = items.map(([k, s]) => ({ k, id: storedKey(k, 'f'.repeat(64), s) }))
    for (const [name, range, pred] of [
      ['gte/lte', { gte: lo, lte: hi }, (k: SortKey) => cmpModel(k, lo) >= 0 && cmpModel(k, hi) <= 0],
      ['gt/lt', { gt: lo, lt: hi }, (k: SortKey) => cmpModel(k, lo) > 0 && cmpModel(k, hi) < 0]
    ] as const) {
      const r = toKeyRange(range)
      for (const { k, id } of stored) {
        const inRange = (r.gte === undefined || id >= r.gte) && (r.gt === undefined || id > r.gt) &&
          (r.lt === undefined || id < r.lt) && (r.lte === undefined || id <= r.lte)
        if (inRange !== pred(k)) throw new Error(`${name}: ${JSON.stringify(k)} in [${JSON.stringify(lo)}, ${JSON.stringify(hi)}]`)
      }
    }
    return true
  }), { seed: 7, numRuns: 2000 })
  t.pass('gt/gte/lt/lte agree with the model')
  t.end()
})

test('numbers: negatives, fractions and infinities in numeric order; bad keys throw', (t) => {
  const ns = [-Infinity, -1e9, -2.5, -1, -0.001, 0, 0.001, 1, 2.5, 10, 1e9, Infinity]
  const enc = ns.map(encodeSortKey)
  t.deepEqual([...enc].sort(), enc, 'lexicographic order is numeric order')
  t.equal(encodeSortKey(-0), encodeSortKey(0), '-0 and 0 are the same key')
  t.ok(encodeSortKey(1e9) < encodeSortKey(''), 'numbers sort before strings')
  t.throws(() => encodeSortKey(NaN), ListKeyError)
  t.throws(() => encodeSortKey({} as never), ListKeyError)
  t.end()
})
