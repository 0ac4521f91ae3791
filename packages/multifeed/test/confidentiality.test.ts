// A peer without the multifeed key gets nothing, even knowing a feed's public key (feed
// keys are not secret: record ids, authorize commands and chat output carry them); a
// disk or a peer holding the blocks without the key cannot read them.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import Corestore from 'corestore'
import { Multifeed, type MultifeedError } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { append, entryAt, onceEvent, pipe } from './helpers.js'

const MARKER = 'the-secret-marker-' + 'x'.repeat(20)

function filesContaining (dir: string, needle: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (fs.readFileSync(p).includes(needle)) out.push(p)
    }
  }
  walk(dir)
  return out
}

test('an outsider that knows a feed\'s public key but not the multifeed key downloads nothing over our stream', async (t) => {
  const a = tmpDir(t, 'kappa-multifeed-')
  const o = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(a, { handshakeTimeout: 1500 })
  const w = await m.writer()
  await append(w, [{ secret: MARKER }, { more: 1 }])
  const outsider = new Corestore(o)
  const target = outsider.get({ key: w.key as Buffer })
  await target.ready()
  const dropped = onceEvent<[MultifeedError]>(m, 'peer-error')
  const link = pipe(outsider.replicate(true), m.replicate(false))
  // it asks for the feed by its key, as Corestore does, and never sends the multifeed proof
  const got = await target.get(0, { timeout: 1000 }).then(() => 'a block', (err: Error & { code?: string }) => err.code ?? err.message)
  t.equal(got, 'REQUEST_TIMEOUT', 'no block: our stream serves no core to a peer that did not prove the key')
  t.equal(target.length, 0, 'not even the feed\'s length')
  const alive = setInterval(() => {}, 100) // in-process streams hold no event-loop handle; the watchdog's timer is unref'd
  t.equal((await dropped)[0].code, 'ERR_HANDSHAKE_TIMEOUT', 'and the silent outsider is dropped')
  clearInterval(alive)
  await link
  await target.close(); await outsider.close(); await m.close()
})

test('blocks are encrypted at rest and on the wire: a Corestore that serves them to anyone still gives no content', async (t) => {
  const a = tmpDir(t, 'kappa-multifeed-')
  const o = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(a)
  const w = await m.writer()
  await append(w, [{ secret: MARKER }])
  t.deepEqual(await entryAt(w, 0), { secret: MARKER }, 'the multifeed reads its own entries')
  await m.close()
  t.deepEqual(filesContaining(a, MARKER), [], 'the entry\'s text is in no file of the storage')

  // an app that replicates the same Corestore itself (Corestore answers any core it holds)
  const store = new Corestore(a)
  const m2 = new Multifeed(store)
  await m2.ready()
  const feedKey = m2.feeds()[0]!.key as Buffer
  const outsider = new Corestore(o)
  const copy = outsider.get({ key: feedKey })
  await copy.ready()
  const s1 = outsider.replicate(true)
  const s2 = store.replicate(false)
  const link = pipe(s1, s2)
  const raw = await copy.get(0, { timeout: 5000 }) as Buffer
  t.ok(raw !== null && raw.byteLength > 0, 'the outsider did get the block (from Corestore, not from the multifeed)')
  t.notOk(raw.includes(MARKER), 'but not its content: it is encrypted')
  s1.destroy(); s2.destroy()
  await link
  await copy.close(); await outsider.close()
  await m2.close(); await store.close()
})
