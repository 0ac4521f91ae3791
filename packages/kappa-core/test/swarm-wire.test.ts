import test from 'tape'
import fc from 'fast-check'
import { encodeStatus, decodeStatus, encodeRequest, decodeRequest, encodeReply, decodeReply, MAX_STATUS_ENTRIES } from '../src/swarm/status-wire.js'
import { SwarmError } from '../src/swarm/index.js'

const codeOf = (fn: () => unknown): string | null => {
  try { fn() } catch (err) { return err instanceof SwarmError ? err.code : 'not a SwarmError' }
  return null
}

test('status messages round-trip (feed keys and lengths up to 2^48-1)', (t) => {
  const entry = fc.record({
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
    length: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    writable: fc.boolean()
  })
  fc.assert(fc.property(fc.boolean(), fc.array(entry, { maxLength: 40 }), (last, entries) => {
    const back = decodeStatus(encodeStatus({ last, entries }))
    return back.last === last && JSON.stringify(back.entries) === JSON.stringify(entries)
  }), { seed: 4242, numRuns: 200 })
  t.pass('200 random chunks decode to what was encoded')
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.boolean(), fc.array(entry, { maxLength: 20 }), (id, last, entries) => {
    const back = decodeReply(encodeReply({ id, last, entries }))
    return decodeRequest(encodeRequest(id)) === id && back.id === id && back.last === last && JSON.stringify(back.entries) === JSON.stringify(entries)
  }), { seed: 4243, numRuns: 200 })
  t.pass('200 random requests and replies decode to what was encoded')
  t.end()
})

test('malformed status messages are rejected with ERR_BAD_MESSAGE', (t) => {
  const good = encodeStatus({ last: true, entries: [{ key: 'ab'.repeat(32), length: 7, writable: true }] })
  t.equal(codeOf(() => decodeStatus(Buffer.alloc(2))), 'ERR_BAD_MESSAGE', 'too short')
  t.equal(codeOf(() => decodeStatus(good.subarray(0, good.length - 1))), 'ERR_BAD_MESSAGE', 'truncated entry')
  t.equal(codeOf(() => decodeStatus(Buffer.concat([good, Buffer.alloc(1)]))), 'ERR_BAD_MESSAGE', 'trailing byte')
  const flags = Buffer.from(good)
  flags[0] = 2
  t.equal(codeOf(() => decodeStatus(flags)), 'ERR_BAD_MESSAGE', 'unknown flag')
  const many = Buffer.alloc(3)
  many.writeUInt16BE(MAX_STATUS_ENTRIES + 1, 1)
  t.equal(codeOf(() => decodeStatus(many)), 'ERR_BAD_MESSAGE', 'too many entries announced')
  const feedFlags = Buffer.from(good)
  feedFlags[feedFlags.length - 1] = 2
  t.equal(codeOf(() => decodeStatus(feedFlags)), 'ERR_BAD_MESSAGE', 'unknown feed flag')
  t.equal(codeOf(() => encodeStatus({ last: true, entries: [{ key: 'zz', length: 1, writable: false }] })), 'ERR_BAD_MESSAGE', 'bad key refused on encode')
  t.equal(codeOf(() => decodeRequest(Buffer.alloc(3))), 'ERR_BAD_MESSAGE', 'a request of the wrong size')
  t.equal(codeOf(() => decodeReply(Buffer.alloc(5))), 'ERR_BAD_MESSAGE', 'a reply too short for its status')
  t.equal(codeOf(() => decodeReply(Buffer.concat([encodeRequest(1), good, Buffer.alloc(1)]))), 'ERR_BAD_MESSAGE', 'a reply with a trailing byte')
  t.end()
})
