import test from 'tape'
import fc from 'fast-check'
import { RangeSet } from '../src/index.js'

type Op = { type: 'add' | 'remove'; start: number; len: number } | { type: 'truncate'; start: number }

test('RangeSet behaves like a set of integers (fast-check, fixed seed)', (t) => {
  const op = fc.oneof(
    fc.record({ type: fc.constantFrom<'add' | 'remove'>('add', 'remove'), start: fc.nat(60), len: fc.nat(12) }),
    fc.record({ type: fc.constant<'truncate'>('truncate'), start: fc.nat(60) })
  )
  fc.assert(fc.property(fc.array(op as fc.Arbitrary<Op>, { maxLength: 40 }), (ops) => {
    const set = new RangeSet()
    const model = new Set<number>()
    for (const o of ops) {
      if (o.type === 'add') {
        set.add(o.start, o.start + o.len)
        for (let i = o.start; i < o.start + o.len; i++) model.add(i)
      } else if (o.type === 'remove') {
        set.remove(o.start, o.start + o.len)
        for (let i = o.start; i < o.start + o.len; i++) model.delete(i)
      } else {
        set.truncate(o.start)
        for (const i of [...model]) if (i >= o.start) model.delete(i)
      }
    }
    for (let i = 0; i < 80; i++) if (set.has(i) !== model.has(i)) return false
    if (set.size !== model.size) return false
    let contiguous = 0
    while (model.has(contiguous)) contiguous++
    if (set.contiguous !== contiguous) return false
    // ranges are sorted, disjoint and not adjacent
    const r = set.toJSON()
    for (let i = 1; i < r.length; i++) if (r[i][0] <= r[i - 1][1]) return false
    // gaps are exactly the non-members
    const gaps = set.gaps(0, 80).flatMap(([s, e]) => Array.from({ length: e - s }, (_, k) => s + k))
    const want = Array.from({ length: 80 }, (_, i) => i).filter((i) => !model.has(i))
    if (JSON.stringify(gaps) !== JSON.stringify(want)) return false
    if (set.sizeBelow(30) !== [...model].filter((i) => i < 30).length) return false
    return new RangeSet(r).toJSON().length === r.length
  }), { seed: 42, numRuns: 500 })
  t.pass('500 random op sequences agree with a Set model')
  t.ok(RangeSet.isValid([[0, 3], [5, 6]]))
  t.notOk(RangeSet.isValid([[3, 3]]), 'empty ranges are not valid stored state')
  t.end()
})
