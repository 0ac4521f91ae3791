// Write ids: a writer tag keeps the order of the key bytes (the tie-break relies on it)
// and every id survives its binary form in a log entry.
import test from 'tape'
import fc from 'fast-check'
import { compareOpIds, opId, parseOpId, readOpId, writeOpId } from '../src/positions.js'
import { TAG_BYTES, feedTag, isTag, tagOf, writeTag } from '../src/writer-tag.js'

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

test('property: tags round-trip, are well-formed, and compare as the key bytes do', (t) => {
  fc.assert(fc.property(key, key, (a, b) => {
    const ta = feedTag(hex(a))
    const tb = feedTag(hex(b))
    const back = new Uint8Array(TAG_BYTES)
    writeTag(ta, back, 0)
    const bytes = Buffer.compare(Buffer.from(a.subarray(0, TAG_BYTES)), Buffer.from(b.subarray(0, TAG_BYTES)))
    const tags = ta < tb ? -1 : ta > tb ? 1 : 0
    return isTag(ta) && tagOf(a, 0) === ta && Buffer.from(back).equals(Buffer.from(a.subarray(0, TAG_BYTES))) && bytes === tags
  }), { seed: 11, numRuns: 2000 })
  t.pass('2000 pairs of keys')
  t.end()
})

test('property: op ids parse, survive their binary form, and order by writer, position, op', (t) => {
  const position = (max: number) => fc.record({ block: fc.nat({ max }), index: fc.nat({ max: 16_383 }) })
  fc.assert(fc.property(key, position(Number.MAX_SAFE_INTEGER), fc.nat({ max: 999_999_999 }), key, position(2 ** 31 - 1), fc.nat({ max: 1000 }), (k1, p1, o1, k2, p2, o2) => {
    const a = opId(hex(k1), p1, o1)
    const b = opId(hex(k2), p2, o2)
    const parsed = parseOpId(a)
    const buf = Buffer.alloc(64)
    const end = writeOpId(a, buf, 0)
    const read = readOpId(buf, 0)
    const ta = feedTag(hex(k1))
    const tb = feedTag(hex(k2))
    const byPosition = Math.sign(p1.block - p2.block || p1.index - p2.index)
    const expected = ta !== tb ? (ta < tb ? -1 : 1) : byPosition !== 0 ? byPosition : Math.sign(o1 - o2)
    return parsed !== null && parsed.position.block === p1.block && parsed.position.index === p1.index && parsed.op === o1 &&
      read !== null && read.id === a && read.next === end &&
      Math.sign(compareOpIds(a, b)) === expected && compareOpIds(a, a) === 0
  }), { seed: 12, numRuns: 2000 })
  t.equal(parseOpId('ab'.repeat(32) + '@1.0/0'), null, 'a hex feed key is not a tag')
  t.equal(parseOpId(feedTag('ab'.repeat(32)) + '@01.0/0'), null, 'no leading zeros')
  t.equal(parseOpId(feedTag('ab'.repeat(32)) + '@1/0'), null, 'a position names its block and index')
  t.end()
})
