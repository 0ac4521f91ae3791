// The lazy path is no way around admission (issue 19): feeds are opened on demand for a
// peer that asks for them (serve) or is ahead on them (the sync queue), and neither may
// open, serve or add anything that is not a feed of the set, whatever a key holder claims.
import test from 'tape'
import Corestore from 'corestore'
import { randomBytes } from 'node:crypto'
import { eventually, tmpDir } from '@kappa-ts/test-helpers'
import { Multifeed, appendEntries, type Feed } from '../src/index.js'
import { encodeFeeds } from '../src/wire.js'
import { until, pipe, held } from './helpers.js'
import { rawPeer, announce } from './raw-peer.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')
/** The sync queue's state changes without an event: polled, for up to 30 s under load. */
const SLOW = { timeoutMs: 30_000, intervalMs: 20 }

/** What the raw peer gets when it asks for the core with this key on its connection. */
async function ask (store: Corestore, key: Buffer): Promise<string> {
  const core = store.get({ key })
  await core.ready()
  const got = await core.get(0, { timeout: 1500 }).then(() => 'a block', (err: Error & { code?: string }) => err.code ?? err.message)
  await core.close()
  return got
}

test('a key holder cannot use the lazy path: it gets feeds of the set on demand, nothing else; its claims open and add nothing', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const a = new Multifeed(tmpDir(t, 'kappa-multifeed-'))
  const aw = await a.writer()
  await appendEntries(aw, [{ from: 'a' }])
  const remote = hex(aw.key)
  const store = new Corestore(dir)
  const first = new Multifeed(store, { key: a.key })
  const w = await first.writer()
  await appendEntries(w, [{ one: 1 }])
  const member = hex(w.key)
  const link = pipe(a.replicate(true), first.replicate(false))
  await until([first], () => held(first, remote) === 1, 'a\'s feed to reach us')
  for (const p of first.peers) p.stream.destroy()
  await link
  await a.close()
  await first.close()
  // A core of another app in the same Corestore: not a feed of the set.
  const other = store.get({ name: 'another-app' })
  await appendEntries(other as Feed, [{ not: 'yours' }])

  // Reopened: nothing is open until someone needs it.
  const m = new Multifeed(store, { syncStallTimeout: 300, proveTimeout: 500 })
  await m.ready()
  const opened: string[] = []
  m.on('feed-open', (f) => opened.push(hex(f.key)))
  const attacker = await rawPeer(t, m)
  attacker.channel!.open(attacker.validHandshake())
  await eventually(() => m.peers.length === 1, 'the attacker to be verified', SLOW)

  t.equal(await ask(attacker.store, other.key as Buffer), 'REQUEST_TIMEOUT', 'a core of the same Corestore that is not a feed of the set is not served')
  t.equal(await ask(attacker.store, randomBytes(32)), 'REQUEST_TIMEOUT', 'nor a key nobody has')
  t.deepEqual(opened, [], 'and asking for them opened nothing')
  t.equal(await ask(attacker.store, w.key as Buffer), 'a block', 'a feed of the set is opened on demand for a verified peer and served')
  t.deepEqual(opened, [member], 'that feed alone was opened')

  // Junk keys claimed far ahead, and a known feed claimed longer than anyone can serve.
  const junk = Array.from({ length: 50 }, () => randomBytes(32))
  attacker.channel!.messages[0]!.send(announce(junk))
  attacker.channel!.messages[0]!.send(encodeFeeds([{ key: remote, fork: 0, length: 1_000_000, contiguousLength: 1_000_000, writable: true }]))
  await eventually(() => m.syncing.active + m.syncing.waiting > 0, 'the claim on the known feed to be taken up', SLOW)
  await eventually(() => m.syncing.active === 0 && m.syncing.waiting === 0, 'the unserved claim to end after syncStallTimeout', SLOW)
  t.deepEqual([...m.keys()].sort(), [member, remote].sort(), 'no junk key joined the set through the lazy path')
  t.deepEqual(m.lengths(remote), { fork: 0, length: 1, contiguousLength: 1 }, 'the known feed\'s length is what was served, not what was claimed')
  t.ok(opened.every((k) => k === member || k === remote), 'no junk key was opened as a feed of the set')

  await attacker.close()
  await m.close()
  await other.close()
  await store.close()
})
