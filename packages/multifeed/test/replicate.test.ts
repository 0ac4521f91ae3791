import test from 'tape'
import Hypercore from 'hypercore'
import { Multifeed, type MultifeedError } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { pipe, twoPeers, until, converged, contents, onceEvent, append, entryAt, held, readAt } from './helpers.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')

test('two peers write on their own feeds, replicate over a piped stream, each reads all entries of both', async (t) => {
  const [a, b] = await twoPeers(t)
  const wa = await a.writer()
  const wb = await b.writer()
  await append(wa, [{ from: 'a', n: 0 }, { from: 'a', n: 1 }])
  await append(wb, { from: 'b', n: 0 })

  const added: string[] = []
  a.on('peer-add', () => added.push('a'))
  b.on('peer-add', () => added.push('b'))
  const sa = a.replicate(true)
  const sb = b.replicate(false)
  const done = pipe(sa, sb)
  await until([a, b], () => converged([a, b]) && a.size === 2 && b.size === 2, 'two peers to converge')

  t.deepEqual(added.sort(), ['a', 'b'], 'peer-add on both sides')
  t.equal(a.peers.length, 1, 'a sees one peer')
  t.equal(a.peers[0]?.remotePublicKey?.length, 64, 'peer identified by its Noise public key')
  t.ok(a.has(hex(wb.key)), 'a learned b\'s feed')
  t.deepEqual(await readAt(a, hex(wb.key), 0), { from: 'b', n: 0 }, 'a reads b\'s entry (json decoded)')
  t.deepEqual(await readAt(b, hex(wa.key), 1), { from: 'a', n: 1 }, 'b reads a\'s entries')
  t.equal(b.feedInfo(hex(wa.key))?.local, false, 'a\'s feed is remote at b')
  t.deepEqual(await contents(a), await contents(b), 'same entries on both sides')

  // Live: an append after sync reaches the other side on the same connection.
  await append(wa, { from: 'a', n: 2 })
  await until([b], () => held(b, hex(wa.key)) === 3, 'live append to arrive')
  t.deepEqual(await readAt(b, hex(wa.key), 2, { wait: false }), { from: 'a', n: 2 }, 'live append replicated')

  const removed = onceEvent(a, 'peer-remove')
  sa.destroy()
  await removed
  await done
  t.equal(a.peers.length, 0, 'peer-remove when the connection ends')
  await a.close(); await b.close()
})

test('three peers in a line (A-B, B-C) converge, including a feed A creates while both connections are open', async (t) => {
  const dirs = [tmpDir(t, 'kappa-multifeed-'), tmpDir(t, 'kappa-multifeed-'), tmpDir(t, 'kappa-multifeed-')]
  const a = new Multifeed(dirs[0]!)
  await a.ready()
  const b = new Multifeed(dirs[1]!, { key: a.key })
  const c = new Multifeed(dirs[2]!, { key: a.key })
  for (const [m, v] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) await append((await m.writer()), { v })

  const ab = pipe(a.replicate(true), b.replicate(false))
  const bc = pipe(b.replicate(true), c.replicate(false))
  await until([a, b, c], () => converged([a, b, c]) && c.size === 3 && a.size === 3, 'line to converge')
  t.pass('A and C learned each other\'s feeds through B')

  // A new feed while both connections stay open: announced A->B at once, B->C onward.
  const late = await a.writer('late')
  await append(late, [{ v: 'late-0' }, { v: 'late-1' }])
  await until([a, b, c], () => {
    return held(c, hex(late.key)) === 2 && converged([a, b, c])
  }, 'late feed to reach C')
  t.deepEqual(await readAt(c, hex(late.key), 1, { wait: false }), { v: 'late-1' }, 'C holds the late feed\'s entries without a new connection')
  t.equal(c.size, 4)
  t.deepEqual(await contents(a), await contents(c), 'A and C hold the same entries')

  // And C's live appends flow back to A through B.
  const wc = await c.writer()
  await append(wc, { v: 'c-live' })
  await until([a], () => held(a, hex(wc.key)) === 2, 'C\'s live append to reach A')
  t.deepEqual(await readAt(a, hex(wc.key), 1, { wait: false }), { v: 'c-live' })

  for (const m of [a, b, c]) await m.close()
  await Promise.all([ab, bc])
})

test('a peer with a different key gets no feed keys and no data, and the connection ends with ERR_PROOF', async (t) => {
  const da = tmpDir(t, 'kappa-multifeed-'); const de = tmpDir(t, 'kappa-multifeed-')
  const a = new Multifeed(da)
  const eve = new Multifeed(de) // a random key of its own
  const wa = await a.writer()
  await append(wa, { secret: true })
  await append((await eve.writer()), { eve: true })

  const errors: Array<[string, MultifeedError]> = []
  a.on('peer-error', (err: MultifeedError) => errors.push(['a', err]))
  eve.on('peer-error', (err: MultifeedError) => errors.push(['eve', err]))
  let eveFeeds = 0
  eve.on('feed', () => eveFeeds++)
  let peerAdds = 0
  a.on('peer-add', () => peerAdds++)
  eve.on('peer-add', () => peerAdds++)

  const sa = a.replicate(true)
  const se = eve.replicate(false)
  await Promise.all([pipe(sa, se), onceEvent(a, 'peer-error'), onceEvent(eve, 'peer-error')])

  t.deepEqual(errors.map(([who, e]) => [who, e.code]).sort(), [['a', 'ERR_PROOF'], ['eve', 'ERR_PROOF']], 'both sides report ERR_PROOF')
  t.ok(errors.every(([, e]) => e.message.includes('key')), 'the message says what went wrong')
  t.equal(eveFeeds, 0, 'eve learned no feed')
  t.equal(eve.size, 1, 'eve holds only its own feed')
  t.equal(eve.has(hex(wa.key)), false, 'eve has no trace of a\'s feed key')
  t.equal(a.size, 1, 'a learned nothing from eve')
  t.equal(peerAdds, 0, 'neither side counted the other as a peer')
  await a.close(); await eve.close()
})

test('accept() selects which announced feeds to replicate', async (t) => {
  const dirs = [tmpDir(t, 'kappa-multifeed-'), tmpDir(t, 'kappa-multifeed-')]
  const a = new Multifeed(dirs[0]!)
  await a.ready()
  const wanted = await a.writer('wanted')
  const unwanted = await a.writer('unwanted')
  await append(wanted, { ok: 1 }); await append(unwanted, { ok: 0 })
  const asked: Array<[string, string | null]> = []
  const b = new Multifeed(dirs[1]!, {
    key: a.key,
    accept: async (key, info) => { asked.push([key, info.remotePublicKey]); return key === hex(wanted.key) }
  })
  await b.ready()
  const link = pipe(a.replicate(true), b.replicate(false))
  await until([b], () => held(b, hex(wanted.key)) === 1, 'wanted feed')
  t.equal(b.has(hex(unwanted.key)), false, 'rejected feed is not opened')
  t.deepEqual(asked.map(([k]) => k).sort(), [hex(wanted.key), hex(unwanted.key)].sort(), 'accept asked once per announced feed')
  t.ok(asked.every(([, pk]) => pk !== null && pk.length === 64), 'accept gets the remote public key')
  await a.close(); await b.close(); await link
})

test('a feed is announced once it has an entry: an empty writer joins the other side on its first append', async (t) => {
  const [a, b] = await twoPeers(t)
  const empty = await a.writer('empty')
  const link = pipe(a.replicate(true), b.replicate(false))
  // A feed with data made after the empty one: once B has it, B has heard all A announced.
  const full = await a.writer('full')
  await append(full, { n: 0 })
  await until([b], () => held(b, hex(full.key)) === 1, 'the feed with data')
  t.equal(b.has(hex(empty.key)), false, 'the empty feed is not part of B\'s set yet (nothing to prove or index)')
  await append(empty, { n: 'first' })
  await until([b], () => held(b, hex(empty.key)) === 1, 'the formerly empty feed')
  t.deepEqual(await readAt(b, hex(empty.key), 0, { wait: false }), { n: 'first' }, 'its first entry reached B on the same connection')
  await a.close(); await b.close(); await link
})

test('replicate(stream): an existing encrypted connection (as from Hyperswarm) carries the set', async (t) => {
  const [a, b] = await twoPeers(t)
  const wa = await a.writer()
  await append(wa, { over: 'socket' })
  // Two ends of a Noise connection we own, like Hyperswarm's sockets.
  const left = Hypercore.createProtocolStream(true)
  const right = Hypercore.createProtocolStream(false)
  const link = pipe(left, right)
  t.equal(a.replicate(left), left, 'replicate(stream) hands back the stream it was given')
  b.replicate(right)
  t.equal(a.replicate(left), left, 'a second replicate() on the same stream is a no-op')
  const fa = await new Promise<import('../src/index.js').Feed>((resolve) => b.on('feed', (f, info) => { if (!info.local) resolve(f) }))
  t.deepEqual(await entryAt(fa, 0), { over: 'socket' }, 'data flows over the caller\'s stream')
  t.equal(a.peers.length, 1, 'one peer despite two replicate() calls')
  const gone = onceEvent(b, 'peer-remove')
  await a.close()
  t.notOk(left.destroyed, 'closing the multifeed leaves a caller\'s stream to the caller')
  await gone
  t.equal(b.peers.length, 0, 'the other side sees peer-remove when our channel closes on a live stream')
  t.notOk(right.destroyed, 'and its stream is still open too')
  left.destroy()
  await link
  await b.close()
})
