import test from 'tape'
import fc from 'fast-check'
import { encodeRequest, decodeRequest, encodeReply, decodeReply } from '../src/status-wire.js'
import { KappaError } from '../src/index.js'

const codeOf = (fn: () => unknown): string | null => {
  try { fn() } catch (err) { return err instanceof KappaError ? err.code : 'not a KappaError' }
  return null
}

test('status requests and replies round-trip (ids up to 2^32-1)', (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), (id) => {
    return decodeRequest(encodeRequest(id)) === id && decodeReply(encodeReply(id)) === id
  }), { seed: 4243, numRuns: 200 })
  t.pass('200 random requests and replies decode to what was encoded')
  t.equal(encodeReply(7).byteLength, 4, 'a reply is its id alone, whatever the number of feeds (feed states travel on the multifeed channel)')
  t.end()
})

test('malformed status messages are rejected with ERR_BAD_MESSAGE', (t) => {
  t.equal(codeOf(() => decodeRequest(Buffer.alloc(3))), 'ERR_BAD_MESSAGE', 'a request too short')
  t.equal(codeOf(() => decodeRequest(Buffer.alloc(5))), 'ERR_BAD_MESSAGE', 'a request too long')
  t.equal(codeOf(() => decodeReply(Buffer.alloc(5))), 'ERR_BAD_MESSAGE', 'a reply with a trailing byte')
  t.equal(codeOf(() => decodeReply(Buffer.alloc(0))), 'ERR_BAD_MESSAGE', 'an empty reply')
  t.end()
})
