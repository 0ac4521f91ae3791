// Entries a peer made up: the view skips each one whole, records why, and goes on;
// nothing stored changes. decodeEntry never throws, whatever the bytes.
import path from 'node:path'
import test from 'tape'
import fc from 'fast-check'
import { Kappa } from '@kappa-ts/kappa-core'
import { KappaLevel } from '../src/index.js'
import { decodeEntry, encodeEntry } from '../src/entry-format.js'
import { opId } from '../src/positions.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { connect, synced } from './helpers.js'

const FEED = 'ab'.repeat(32)

function valid (): Buffer {
  return encodeEntry([{ del: false, key: 'k', value: 'v', clock: 1, links: [opId(FEED, { block: 0, index: 0 }, 0)] }])
}

test('malformed entries from a peer are skipped and recorded; the database goes on', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const db = new KappaLevel(path.join(dir, 'db'))
  await db.put('mine', 'before')
  const hostile = new Kappa(path.join(dir, 'hostile'), { key: db.kappa.key, valueEncoding: 'binary' })
  await hostile.ready()
  const w = await hostile.writer()
  const good = valid()
  const cut = good.subarray(0, good.length - 2)
  const badFlags = Buffer.from(good)
  badFlags[4] = 0x80
  const countLie = Buffer.from([0x6b, 0x6c, 0x01, 0xff, 0xff, 0xff, 0x7f])
  const trailing = Buffer.concat([good, Buffer.from([0])])
  const future = Buffer.from(good)
  future[2] = 9
  await w.append([Buffer.from('not a kappa-level entry'), cut, badFlags, countLie, trailing, future, Buffer.alloc(0)])
  // a well-formed write from the same peer still counts: it is a member of the database
  await w.append(encodeEntry([{ del: false, key: 'theirs', value: 'fine', clock: 1, links: [] }]))

  const end = connect(db, { kappa: hostile })
  await synced(db, { kappa: hostile })
  const skipped = await db.skipped()
  t.equal(skipped.length, 7, 'seven entries skipped')
  t.ok(skipped.every((s) => s.key === w.key && s.reason.length > 0 && s.code === 'ERR_NOT_INDEXABLE'), 'each with its feed, a code and a reason')
  t.deepEqual(skipped.map((s) => `${s.block}.${s.index}`).sort(), ['0.0', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6'], 'the seven entries of the one block they were packed in')
  t.ok(skipped.some((s) => /format 9/.test(s.reason)), 'an entry of a later format says so')
  t.deepEqual(await db.iterator().all(), [['mine', 'before'], ['theirs', 'fine']], 'nothing but the well-formed writes')
  await db.put('mine', 'after')
  t.equal(await db.get('mine'), 'after', 'the view still applies writes')
  t.equal(db.kappa.status().level?.state, 'idle', 'and is not in error')
  end()
  await db.close()
  await hostile.close()
})

test('property: decodeEntry never throws; a damaged entry decodes to well-formed writes or is refused', (t) => {
  const good = valid()
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const r = decodeEntry(Buffer.from(bytes))
    return r.ok ? r.ops.length > 0 : r.reason.length > 0
  }), { seed: 7, numRuns: 2000 })
  fc.assert(fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
    const copy = Buffer.from(good)
    copy[at] = byte
    const r = decodeEntry(copy)
    if (!r.ok) return true
    return r.ops.every((op) => op.clock >= 1 && Number.isSafeInteger(op.clock) && (typeof op.key === 'string' || op.key instanceof Uint8Array))
  }), { seed: 8, numRuns: 2000 })
  t.pass('4000 random and damaged entries')
  t.end()
})
