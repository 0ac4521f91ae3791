// kappa.synced(): resolves once this peer holds and has indexed everything its connected
// peers hold, over piped streams (over a swarm: @kappa-ts/swarm's tests). Waiting for feed.length and then
// indexed() is the trap it replaces: a length says nothing about what is downloaded, and
// an append the other peer just made may not be announced yet.
import test, { type Test } from 'tape'
import type { Duplex } from 'node:stream'
import Protomux from 'protomux'
import Hypercore from 'hypercore'
import { Multifeed } from '@kappa-ts/multifeed'
import { Kappa, KappaError, type Writer } from '../src/index.js'
import { STATUS_PROTOCOL, rawEncoding, encodeReply } from '../src/status-wire.js'
import { connect, nextEvent, opened, tmpDir } from '@kappa-ts/test-helpers'
import { countView, type Msg } from './helpers.js'

type Peer = Kappa<{ c: ReturnType<typeof countView> }>

/** A kappa with a counting view and its writer, in a temp folder; closed, then the folder removed, when `t` ends. */
async function peer (t: Test, key?: Buffer, opts: { accept?: (key: string) => boolean } = {}): Promise<{ kappa: Peer; writer: Writer }> {
  const kappa = await opened(t, new Kappa(tmpDir(t), { ...(key !== undefined ? { key } : {}), ...(opts.accept !== undefined ? { accept: opts.accept } : {}) }).use('c', countView()))
  return { kappa, writer: await kappa.writer() }
}

async function fill (w: Writer, n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const batch: Msg[] = []
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ text: `${label} ${j}`, n: j })
    await w.append(batch)
  }
}

/** Blocks of w's feed that k holds (entries are packed, many to a block). */
const held = (k: Kappa<any>, w: Writer): number => k.multifeed.lengths(w.key)?.contiguousLength ?? 0

test('two peers over a piped stream: synced() covers every entry the other holds, also one appended just before the call', async (t) => {
  const a = await peer(t)
  const b = await peer(t, a.kappa.key)
  await fill(a.writer, 5000, 'a')
  await fill(b.writer, 2000, 'b')
  connect(a.kappa, b.kappa, t)
  await b.kappa.synced()
  t.equal(held(b.kappa, a.writer), a.writer.length, 'b holds all of a\'s blocks (its 5,000 entries) when synced() resolves')
  t.equal(await b.kappa.api.c.count(), 7000, 'and its view has indexed them (plus its own 2,000)')
  await a.kappa.synced()
  t.equal(await a.kappa.api.c.count(), 7000, 'the other direction too')

  // Live: each round, a appends and at once b asks. b has not heard of these appends
  // when it calls: waiting for the feed's length here would resolve early.
  for (let round = 1; round <= 5; round++) {
    await fill(a.writer, 1000, `a round ${round}`)
    await b.kappa.synced()
    t.equal(await b.kappa.api.c.count(), 7000 + round * 1000, `round ${round}: b's view has a's entries appended just before synced()`)
  }
  t.equal(await b.kappa.api.c.last(a.writer.key), 'a round 5 999', 'down to the last one')
})

test('three peers over piped streams (a - b - c): synced() on b, then on a and c, gives all three every entry', async (t) => {
  const a = await peer(t)
  const b = await peer(t, a.kappa.key)
  const c = await peer(t, a.kappa.key)
  await Promise.all([fill(a.writer, 3000, 'a'), fill(b.writer, 3000, 'b'), fill(c.writer, 3000, 'c')])
  connect(a.kappa, b.kappa, t)
  connect(b.kappa, c.kappa, t)
  await b.kappa.synced()
  t.equal(await b.kappa.api.c.count(), 9000, 'b, connected to both, has indexed all 9,000')
  // a and c are not connected to each other: what each gets of the other came through b.
  await Promise.all([a.kappa.synced(), c.kappa.synced()])
  t.equal(await a.kappa.api.c.count(), 9000, 'a has c\'s entries through b')
  t.equal(await c.kappa.api.c.count(), 9000, 'c has a\'s entries through b')
  t.equal(held(c.kappa, a.writer), a.writer.length, 'c holds a\'s whole feed')
  t.equal(held(a.kappa, c.writer), c.writer.length, 'a holds c\'s whole feed')
})

test('synced() with no peer resolves once the views indexed what is local; peers: n waits for n peers', async (t) => {
  const a = await peer(t)
  const b = await peer(t, a.kappa.key)
  await fill(a.writer, 300, 'a')
  await a.kappa.synced()
  t.equal(await a.kappa.api.c.count(), 300, 'alone: synced() is indexed()')
  let resolved = false
  const waiting = b.kappa.synced({ peers: 1 }).then(() => { resolved = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(resolved, 'peers: 1 waits while nobody is connected')
  const end = connect(a.kappa, b.kappa, t)
  await waiting
  t.equal(await b.kappa.api.c.count(), 300, 'then covers what the peer that connected holds')
  end()
  await b.kappa.synced({ peers: -1 }).then(() => t.fail('negative peers'), (err: KappaError) => t.equal(err.code, 'ERR_INVALID_OPTIONS', 'peers must be a non-negative integer'))
})

test('a peer that disconnects stops counting; close() and an abort signal end a wait', async (t) => {
  const a = await peer(t)
  const b = await peer(t, a.kappa.key)
  await fill(a.writer, 20_000, 'a')
  const end = connect(a.kappa, b.kappa, t)
  const feedAtB = nextEvent<[unknown, { local: boolean }]>(b.kappa, 'feed', (_f, info) => !info.local, "a's feed at b")
  const waiting = b.kappa.synced()
  await feedAtB
  end()
  await waiting
  t.pass('synced() resolved after the only peer left, without all of its entries')
  t.ok(held(b.kappa, a.writer) <= a.writer.length, `(it had ${held(b.kappa, a.writer)} of ${a.writer.length} blocks when the peer left)`)

  // A remote that never speaks the status channel (a bare multifeed): synced() waits for it...
  const bare = await opened(t, new Multifeed(tmpDir(t), { key: a.kappa.key }))
  connect(a.kappa, bare, t)
  const ac = new AbortController()
  const aborted = a.kappa.synced({ signal: ac.signal })
  ac.abort(new Error('gave up'))
  await aborted.then(() => t.fail('resolved'), (err: Error) => t.equal(err.message, 'gave up', '...until its signal aborts (rejects with the reason)'))
  const closing = a.kappa.synced()
  const closed = closing.then(() => t.fail('resolved'), (err: KappaError) => t.equal(err.code, 'ERR_CLOSED', '...or the kappa closes (ERR_CLOSED)'))
  await a.kappa.close()
  await closed
})

test('a feed our accept() refuses is not waited for', async (t) => {
  const a = await peer(t)
  const c = await peer(t, a.kappa.key)
  const b = await peer(t, a.kappa.key, { accept: (key) => key !== c.writer.key })
  await fill(a.writer, 500, 'a')
  await fill(c.writer, 500, 'c')
  connect(a.kappa, c.kappa, t)
  await a.kappa.synced()
  connect(a.kappa, b.kappa, t)
  await b.kappa.synced()
  t.equal(held(b.kappa, a.writer), a.writer.length, 'b holds a\'s feed')
  t.equal(b.kappa.multifeed.has(c.writer.key), false, 'and never took c\'s, which it refuses')
  t.equal(await b.kappa.api.c.count(), 500, 'its view: a\'s 500')
})

test('a status reply to no request drops the stream; the process lives', async (t) => {
  const a = await peer(t)
  const evil = await opened(t, new Multifeed(tmpDir(t), { key: a.kappa.key }))
  const sa = a.kappa.replicate(true)
  const se = evil.replicate(false)
  sa.on('error', () => {})
  se.on('error', () => {})
  const closed = nextEvent(sa, 'close')
  const mux: Protomux = Hypercore.getProtocolMuxer(se)
  const ch = mux.createChannel({
    protocol: STATUS_PROTOCOL,
    id: a.kappa.discoveryKey,
    messages: [{ encoding: rawEncoding }, { encoding: rawEncoding }],
    onopen: (_hs: unknown, channel: Protomux.Channel) => { channel.messages[1]?.send(encodeReply(7)) }
  })
  ch?.open()
  sa.pipe(se as Duplex).pipe(sa)
  await closed
  t.pass('the stream that carried a reply to a request never made was destroyed')
  await a.kappa.synced()
  t.pass('and synced() does not wait for it')
})
