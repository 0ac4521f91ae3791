// Admission of announced feeds (README "Admission of announced feeds"): a key
// holder announcing junk keys cannot fill the set, crowd out honest feeds,
// spread the junk to other peers, or leave anything behind for a restart.
import test from 'tape'
import Corestore from 'corestore'
import Hypercore from 'hypercore'
import { randomBytes } from 'node:crypto'
import { Multifeed, type MultifeedError } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { pipe, until, append, held, readAt } from './helpers.js'
import { rawPeer, announce } from './raw-peer.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')
const keysOf = (m: Multifeed): string[] => m.keys().sort()

/** Which of `keys` the Corestore in `dir` still holds a core for (opened after the multifeed closed). */
async function storedCores (dir: string, keys: Buffer[]): Promise<number> {
  const store = new Corestore(dir)
  await store.ready()
  const storage = (store as unknown as { storage: { hasCore(dk: Buffer): Promise<boolean> } }).storage
  let n = 0
  for (const k of keys) if (await storage.hasCore(Hypercore.discoveryKey(k))) n++
  await store.close()
  return n
}

test('10,000 junk keys from a key holder: none admitted or relayed, an honest new feed still syncs, a restart lists only honest feeds', async (t) => {
  const db = tmpDir(t, 'kappa-multifeed-'); const dc = tmpDir(t, 'kappa-multifeed-'); const dd = tmpDir(t, 'kappa-multifeed-')
  const b = new Multifeed(db)
  await b.ready()
  const c = new Multifeed(dc, { key: b.key })
  const d = new Multifeed(dd, { key: b.key })
  await append((await b.writer()), { from: 'b' })
  await append((await c.writer()), { from: 'c' })
  const errors: MultifeedError[] = []
  b.on('peer-error', (err: MultifeedError) => errors.push(err))
  const bc = pipe(b.replicate(true), c.replicate(false))
  const bd = pipe(b.replicate(true), d.replicate(false))
  await until([b, c, d], () => d.size === 2 && c.size === 2, 'the honest peers to sync')

  const junk = Array.from({ length: 10_000 }, () => randomBytes(32))
  const attacker = await rawPeer(t, b, { watch: junk })
  attacker.channel!.open(attacker.validHandshake())
  for (let i = 0; i < junk.length; i += 1000) attacker.channel!.messages[0]!.send(announce(junk.slice(i, i + 1000)))
  // B starts checking junk (it opens the hypercore channel on the attacker's connection)...
  await attacker.askedAtLeast(1)

  // ...while C makes a new feed, which must reach B and, through B, D.
  const fresh = await c.writer('fresh')
  await append(fresh, { from: 'c', fresh: true })
  await until([b, d], () => held(d, hex(fresh.key)) === 1, 'C\'s new feed to reach D through B')
  t.pass('an honest peer\'s new feed synced through B during the attack')

  const honest = keysOf(c)
  t.equal(honest.length, 3, 'three honest feeds: B\'s, C\'s and C\'s new one')
  t.deepEqual(keysOf(b), honest, 'B admitted no junk key')
  t.deepEqual(keysOf(d), honest, 'D (a third peer) heard of no junk key')
  t.ok(attacker.asked().size <= 64, `B checked at most maxPendingPerPeer (64) junk keys at once (${attacker.asked().size})`)
  t.equal(errors.length, 0, 'announcing keys is not an error by itself: the attacker stays connected, its junk is just not admitted')

  await attacker.close()
  await b.close()
  const b2 = new Multifeed(db)
  await b2.ready()
  t.deepEqual(keysOf(b2), honest, 'after a restart B lists only the honest feeds')
  await b2.close()
  t.equal(await storedCores(db, junk), 0, 'and its Corestore holds no core for any junk key')
  await c.close(); await d.close(); await bc; await bd
})

test('junk is forgotten after proveTimeout: a real feed queued behind it is admitted, the junk leaves nothing in storage', async (t) => {
  const db = tmpDir(t, 'kappa-multifeed-')
  const b = new Multifeed(db, { maxPendingPerPeer: 2, proveTimeout: 200 })
  await b.ready()
  await append((await b.writer()), { from: 'b' })
  const junk = Array.from({ length: 6 }, () => randomBytes(32))
  const peer = await rawPeer(t, b, { realFeeds: 1, watch: junk })
  peer.channel!.open(peer.validHandshake())
  peer.channel!.messages[0]!.send(announce(junk))
  peer.channel!.messages[0]!.send(announce([peer.feeds[0]!.key!]))
  const real = hex(peer.feeds[0]!.key)
  await until([b], () => b.has(real), 'the real feed behind the junk to be admitted')
  t.deepEqual([...peer.asked()].sort(), junk.map((k) => hex(k)).sort(), 'every junk key was checked first (the queue is in order) and then forgotten')
  t.equal(b.size, 2, 'B holds its own feed and the real one only')
  await until([b], () => held(b, real) === 1, 'the real feed\'s entry to arrive')
  t.deepEqual(await readAt(b, real, 0), { entry: 0 }, 'and its entry')
  await peer.close()
  await b.close()
  t.equal(await storedCores(db, junk), 0, 'no core of a forgotten junk key is left in B\'s Corestore')
})

test('a junk announcer cannot hold back an honest feed by announcing its key first', async (t) => {
  const db = tmpDir(t, 'kappa-multifeed-'); const dc = tmpDir(t, 'kappa-multifeed-')
  const b = new Multifeed(db, { proveTimeout: 60_000 })
  await b.ready()
  const c = new Multifeed(dc, { key: b.key })
  const wc = await c.writer()
  await append(wc, { from: 'c' })
  // Feed keys are public (record ids, `authorize KEY`): the attacker announces C's
  // feed before C connects, and never serves it.
  const attacker = await rawPeer(t, b, { watch: [wc.key!] })
  attacker.channel!.open(attacker.validHandshake())
  attacker.channel!.messages[0]!.send(announce([wc.key!]))
  await attacker.askedAtLeast(1)
  t.pass('B checks C\'s key on the attacker\'s connection')
  t.equal(b.has(hex(wc.key)), false, 'not admitted on the attacker\'s word')
  const bc = pipe(b.replicate(true), c.replicate(false))
  await until([b], () => held(b, hex(wc.key)) === 1, 'C\'s feed to reach B once C connects')
  t.pass('C proved its own feed at once, long before the attacker\'s check would time out')
  await attacker.close(); await b.close(); await c.close(); await bc
})
