// Hostile and incompatible peers: each is a real replication stream (a Corestore
// of its own) on which the test opens a raw Protomux channel with the multifeed's
// protocol name and sends hand-crafted bytes.
import test from 'tape'
import Corestore from 'corestore'
import Hypercore from 'hypercore'
import c from 'compact-encoding'
import type { Duplex } from 'node:stream'
import { Multifeed, PROTOCOL, type MultifeedError } from '../src/index.js'
import { createProof, encodeFeeds, encodeHandshake, decodeHandshake, PROTOCOL_VERSION } from '../src/wire.js'
import { tmpdir, pipe, until, onceEvent, append, entryAt } from './helpers.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')
const randomKey = (i: number): Buffer => Buffer.alloc(32, i + 1)

interface Noise extends Duplex { handshakeHash: Buffer; opened: Promise<boolean> }

/** A raw peer connected to `target`: sees every decrypted frame, speaks only what the test says. */
async function rawPeer (target: Multifeed, opts: { openChannel?: boolean } = {}) {
  const d = tmpdir()
  const store = new Corestore(d.dir)
  const stream = store.replicate(true)
  const link = pipe(stream, target.replicate(false))
  const noise = (stream as Duplex & { noiseStream: Noise }).noiseStream
  const received: Buffer[] = []
  noise.on('data', (buf: Uint8Array) => received.push(Buffer.from(buf)))
  await noise.opened
  const mux = Hypercore.getProtocolMuxer(stream)
  let remoteHandshake: Buffer | null = null
  const channel = opts.openChannel === false
    ? null
    : mux.createChannel({
      protocol: PROTOCOL,
      handshake: c.raw,
      messages: [{ encoding: c.raw }],
      onopen: (hs: Buffer) => { remoteHandshake = Buffer.from(hs) }
    })
  return {
    mux,
    channel,
    received,
    link,
    remoteHandshake: () => remoteHandshake,
    validHandshake: (maxFeedsPerMessage = 1024) =>
      encodeHandshake({ version: PROTOCOL_VERSION, proof: createProof(target.key, noise.handshakeHash, true), maxFeedsPerMessage }),
    sawBytes: (needle: Buffer) => received.some((f) => f.includes(needle)),
    close: async () => { stream.destroy(); await link; await store.close(); d.cleanup() }
  }
}

/** B with one feed, plus an honest peer C connected to it the whole time. */
async function setup (opts: { maxFeeds?: number; maxFeedsPerMessage?: number } = {}) {
  const db = tmpdir(); const dc = tmpdir()
  const b = new Multifeed(db.dir, opts)
  await b.ready()
  const c2 = new Multifeed(dc.dir, { key: b.key })
  const wb = await b.writer()
  await append(wb, { n: 0 })
  const errors: MultifeedError[] = []
  b.on('peer-error', (err: MultifeedError) => errors.push(err))
  const honest = pipe(b.replicate(true), c2.replicate(false))
  await until([c2], () => (c2.feed(hex(wb.key))?.contiguousLength ?? 0) === 1, 'honest peer to sync')
  return {
    b, c: c2, wb, errors,
    /** Proves B still serves its honest peer: a new entry reaches C. */
    async stillServes (n: number) {
      await append(wb, { n })
      const f = c2.feed(hex(wb.key))!
      await until([c2], () => f.contiguousLength === n + 1, 'honest peer to get the new entry')
      return (await entryAt(f, n, { wait: false }) as { n: number }).n === n
    },
    async close () { await b.close(); await c2.close(); await honest; db.cleanup(); dc.cleanup() }
  }
}

async function dropped (t: test.Test, label: string, code: string, send: (peer: Awaited<ReturnType<typeof rawPeer>>) => void, opts = {}, added = 0) {
  const s = await setup(opts)
  const before = s.b.feeds().length
  const peer = await rawPeer(s.b)
  const error = onceEvent<[MultifeedError, { stream: Duplex }]>(s.b, 'peer-error')
  send(peer)
  const [err, info] = await error
  t.equal(err.code, code, `${label}: peer-error ${code} (${err.message})`)
  await peer.link
  t.pass(`${label}: that peer's connection closed`)
  t.ok(info.stream, `${label}: the event names the peer's stream`)
  t.equal(s.b.feeds().length, before + added, added === 0 ? `${label}: nothing added from the hostile peer` : `${label}: only what fit the limits was added`)
  t.ok(await s.stillServes(1), `${label}: the multifeed keeps serving its other peer`)
  await peer.close(); await s.close()
}

test('garbage bytes as the channel handshake drop the peer', (t) =>
  dropped(t, 'garbage handshake', 'ERR_BAD_MESSAGE', (p) => p.channel!.open(Buffer.from([PROTOCOL_VERSION, 0xde, 0xad]))))

test('an oversized handshake drops the peer', (t) =>
  dropped(t, 'oversized handshake', 'ERR_BAD_MESSAGE', (p) => p.channel!.open(Buffer.alloc(4096, 0x42))))

test('a wrong proof drops the peer and it learns no feed key', async (t) => {
  const s = await setup()
  const peer = await rawPeer(s.b)
  const error = onceEvent<[MultifeedError]>(s.b, 'peer-error')
  peer.channel!.open(encodeHandshake({ version: PROTOCOL_VERSION, proof: Buffer.alloc(32, 9), maxFeedsPerMessage: 1024 }))
  t.equal((await error)[0].code, 'ERR_PROOF')
  await peer.link
  t.ok(peer.remoteHandshake(), 'the peer did get B\'s handshake (so it can see why)')
  t.notOk(peer.sawBytes(s.wb.key!), 'no frame carried B\'s feed key')
  t.notOk(peer.sawBytes(s.wb.discoveryKey!), 'not even its discovery key: no hypercore channel was offered')
  t.ok(await s.stillServes(1))
  await peer.close(); await s.close()
})

test('a reflected proof (B\'s own, sent back to it) is refused', async (t) => {
  const s = await setup()
  const peer = await rawPeer(s.b)
  const error = onceEvent<[MultifeedError]>(s.b, 'peer-error')
  // B is the responder on this connection; this is exactly the proof B sends us.
  const hash = (peer.mux.stream as { handshakeHash: Buffer }).handshakeHash
  const reflected = createProof(s.b.key, hash, false)
  peer.channel!.open(encodeHandshake({ version: PROTOCOL_VERSION, proof: reflected, maxFeedsPerMessage: 1024 }))
  t.equal((await error)[0].code, 'ERR_PROOF', 'the responder-role proof is refused from the initiator')
  await peer.link
  t.ok(decodeHandshake(peer.remoteHandshake()!).proof.equals(reflected), 'what we sent was B\'s own proof, byte for byte')
  t.notOk(peer.sawBytes(s.wb.key!), 'no feed key leaked')
  await peer.close(); await s.close()
})

test('an incompatible protocol version gets ERR_PROTOCOL_VERSION', (t) =>
  dropped(t, 'a later version', 'ERR_PROTOCOL_VERSION', (p) =>
    p.channel!.open(Buffer.concat([Buffer.from([PROTOCOL_VERSION + 1]), Buffer.alloc(40, 1)]))))

test('a v1 peer (one entry per block, before packed blocks) gets ERR_PROTOCOL_VERSION', (t) =>
  dropped(t, 'version 1', 'ERR_PROTOCOL_VERSION', (p) =>
    p.channel!.open(encodeHandshake({ version: 1, proof: Buffer.alloc(32, 1), maxFeedsPerMessage: 1024 }))))

test('garbage bytes as a feeds message after a valid handshake drop the peer', (t) =>
  dropped(t, 'garbage feeds', 'ERR_BAD_MESSAGE', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(Buffer.from([0x03, 0x01, 0x02, 0x03]))
  }))

test('an oversized feed list drops the peer before anything is stored', (t) =>
  dropped(t, 'oversized list', 'ERR_TOO_MANY_FEEDS', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(encodeFeeds(Array.from({ length: 9 }, (_, i) => randomKey(i))))
  }, { maxFeedsPerMessage: 8 }))

test('a huge message is refused by its size alone', (t) =>
  dropped(t, 'huge message', 'ERR_TOO_MANY_FEEDS', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(Buffer.alloc(256 * 1024, 0xff))
  }, { maxFeedsPerMessage: 16 }))

test('announcing more feeds than maxFeeds in total drops the peer', (t) =>
  dropped(t, 'past maxFeeds', 'ERR_TOO_MANY_FEEDS', (p) => {
    p.channel!.open(p.validHandshake())
    // B holds 1 feed; maxFeeds 3 leaves room for the first message's 2, not the second's.
    p.channel!.messages[0]!.send(encodeFeeds([randomKey(1), randomKey(2)]))
    p.channel!.messages[0]!.send(encodeFeeds([randomKey(3), randomKey(4)]))
  }, { maxFeeds: 3 }, 2))

test('a peer that never sends a proof gets no feed keys, even for feeds announced while it is connected', async (t) => {
  const s = await setup()
  const peer = await rawPeer(s.b, { openChannel: false })
  const hadOpen = new Promise<void>((resolve) => peer.mux.pair({ protocol: PROTOCOL }, () => resolve()))
  await hadOpen
  t.pass('B opened its side of the meta channel (a handshake with only its proof)')
  const late = await s.b.writer('late')
  await append(late, { late: true })
  // The honest peer hears of the new feed, so the announcement did happen.
  await until([s.c], () => s.c.feed(hex(late.key)) !== undefined, 'honest peer to hear of the late feed')
  t.notOk(peer.sawBytes(s.wb.key!), 'silent peer never saw the first feed key')
  t.notOk(peer.sawBytes(late.key!), 'nor the late one')
  t.notOk(peer.sawBytes(s.wb.discoveryKey!) || peer.sawBytes(late.discoveryKey!), 'nor their discovery keys')
  t.equal(s.errors.length, 0, 'silence is not an error')
  await peer.close(); await s.close()
})
