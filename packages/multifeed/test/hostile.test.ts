// Hostile and incompatible peers: each is a real replication stream (a Corestore
// of its own) on which the test opens a raw Protomux channel with the multifeed's
// protocol name and sends hand-crafted bytes.
import test from 'tape'
import type { Duplex } from 'node:stream'
import { Multifeed, PROTOCOL, type MultifeedError } from '../src/index.js'
import { createProof, encodeHandshake, decodeHandshake, PROTOCOL_VERSION } from '../src/wire.js'
import { tmpDir, type TestLike } from '@kappa-ts/test-helpers'
import { pipe, until, onceEvent, closed, append, held, readAt } from './helpers.js'
import { rawPeer, announce, type RawPeer } from './raw-peer.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')
const randomKey = (i: number): Buffer => Buffer.from(Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7 + 1) & 0xff))

/** B with one feed, plus an honest peer C connected to it the whole time. */
async function setup (t: TestLike, opts: { maxFeeds?: number; maxFeedsPerMessage?: number; handshakeTimeout?: number } = {}) {
  const b = new Multifeed(tmpDir(t, 'kappa-multifeed-'), opts)
  await b.ready()
  const c2 = new Multifeed(tmpDir(t, 'kappa-multifeed-'), { key: b.key })
  const wb = await b.writer()
  await append(wb, { n: 0 })
  const errors: MultifeedError[] = []
  b.on('peer-error', (err: MultifeedError) => errors.push(err))
  const honest = pipe(b.replicate(true), c2.replicate(false))
  await until([c2], () => held(c2, hex(wb.key)) === 1, 'honest peer to sync')
  return {
    b, c: c2, wb, errors,
    /** Proves B still serves its honest peer: a new entry reaches C. */
    async stillServes (n: number) {
      await append(wb, { n })
      await until([c2], () => held(c2, hex(wb.key)) === n + 1, 'honest peer to get the new entry')
      return (await readAt(c2, hex(wb.key), n, { wait: false }) as { n: number }).n === n
    },
    async close () { await b.close(); await c2.close(); await honest }
  }
}

/**
 * A raw peer sends what `send` says and must be dropped with `code`. `prepare`
 * runs before it connects (the raw channel must open in the same turn as the
 * connection, or Protomux rejects the multifeed's open as unpaired).
 */
async function dropped<T = undefined> (t: test.Test, label: string, code: string, send: (peer: RawPeer, prepared: T) => void, opts = {}, prepare?: (b: Multifeed) => Promise<T>) {
  const s = await setup(t, opts)
  const before = s.b.size
  const prepared = prepare === undefined ? undefined as T : await prepare(s.b)
  const peer = await rawPeer(t, s.b)
  const error = onceEvent<[MultifeedError, { stream: Duplex }]>(s.b, 'peer-error')
  send(peer, prepared)
  const [err, info] = await error
  t.equal(err.code, code, `${label}: peer-error ${code} (${err.message})`)
  await peer.link
  t.pass(`${label}: that peer's connection closed`)
  t.ok(info.stream, `${label}: the event names the peer's stream`)
  t.equal(s.b.size, before, `${label}: nothing added from the hostile peer`)
  t.ok(await s.stillServes(1), `${label}: the multifeed keeps serving its other peer`)
  await peer.close(); await s.close()
}

test('garbage bytes as the channel handshake drop the peer', (t) =>
  dropped(t, 'garbage handshake', 'ERR_BAD_MESSAGE', (p) => p.channel!.open(Buffer.from([PROTOCOL_VERSION, 0xde, 0xad]))))

test('an oversized handshake drops the peer', (t) =>
  dropped(t, 'oversized handshake', 'ERR_BAD_MESSAGE', (p) => p.channel!.open(Buffer.alloc(4096, 0x42))))

test('a wrong proof drops the peer and it learns no feed key', async (t) => {
  const s = await setup(t)
  const peer = await rawPeer(t, s.b)
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
  const s = await setup(t)
  const peer = await rawPeer(t, s.b)
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

test('a v3 peer (before the bulk path) gets ERR_PROTOCOL_VERSION', (t) =>
  dropped(t, 'version 3', 'ERR_PROTOCOL_VERSION', (p) =>
    p.channel!.open(encodeHandshake({ version: 3, proof: p.validHandshake().subarray(1, 33), maxFeedsPerMessage: 1024 }))))

test('garbage bytes as a feeds message after a valid handshake drop the peer', (t) =>
  dropped(t, 'garbage feeds', 'ERR_BAD_MESSAGE', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(Buffer.from([0x03, 0x01, 0x02, 0x03]))
  }))

test('an oversized feed list drops the peer before anything is stored', (t) =>
  dropped(t, 'oversized list', 'ERR_TOO_MANY_FEEDS', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(announce(Array.from({ length: 9 }, (_, i) => randomKey(i))))
  }, { maxFeedsPerMessage: 8 }))

test('a huge message is refused by its size alone', (t) =>
  dropped(t, 'huge message', 'ERR_TOO_MANY_FEEDS', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(Buffer.alloc(64 * 1024, 0xff))
  }, { maxFeedsPerMessage: 16 }))

test('announcing more feeds (with data) than maxFeeds in total drops the peer', async (t) => {
  // Feeds count once a peer serves their signed length, so the peer needs real
  // feeds with an entry each: its Corestore answers B's requests for them.
  const s = await setup(t, { maxFeeds: 3 })
  const peer = await rawPeer(t, s.b, { realFeeds: 4 })
  const feeds = peer.feeds
  const error = onceEvent<[MultifeedError]>(s.b, 'peer-error')
  peer.channel!.open(peer.validHandshake())
  // B holds 1 feed; maxFeeds 3 leaves room for 2 of the 4.
  peer.channel!.messages[0]!.send(announce(feeds.slice(0, 2).map((f) => f.key!)))
  await until([s.b], () => s.b.size === 3, 'the first two to be admitted')
  peer.channel!.messages[0]!.send(announce(feeds.slice(2).map((f) => f.key!)))
  t.equal((await error)[0].code, 'ERR_TOO_MANY_FEEDS', 'peer-error ERR_TOO_MANY_FEEDS')
  await peer.link
  t.equal(s.b.size, 3, 'only what fit maxFeeds was added')
  t.ok(s.b.keys().slice(1).every((k) => feeds.some((g) => hex(g.key) === k)), 'and those are the peer\'s real feeds')
  t.ok(await s.stillServes(1), 'the multifeed keeps serving its other peer')
  await peer.close(); await s.close()
})

test('more unproven feeds from one peer than maxFeeds drops it before anything is opened', (t) =>
  dropped(t, 'unproven past maxFeeds', 'ERR_TOO_MANY_FEEDS', (p) => {
    p.channel!.open(p.validHandshake())
    p.channel!.messages[0]!.send(announce(Array.from({ length: 4 }, (_, i) => randomKey(i))))
  }, { maxFeeds: 3 }))

// Keys no honest peer announces: refused before anything is opened or stored.
const metaKey = async (b: Multifeed): Promise<Buffer> => {
  const meta = b.corestore.namespace('@kappa-ts/multifeed', { active: false }).get({ name: 'meta', active: false })
  await meta.ready()
  const key = meta.key!
  await meta.close()
  return key
}
for (const [label, key] of [
  ['all-zero key', async () => Buffer.alloc(32, 0)],
  ['all-0xff key', async () => Buffer.alloc(32, 0xff)],
  ['any 32 equal bytes', async () => Buffer.alloc(32, 0x42)],
  ['the multifeed discovery key', async (b: Multifeed) => b.discoveryKey],
  ['the multifeed\'s own feed list', metaKey]
] as const) {
  test(`announcing ${label} as a feed drops the peer with ERR_BAD_FEED_KEY`, (t) =>
    dropped(t, label, 'ERR_BAD_FEED_KEY', (p, k: Buffer) => {
      p.channel!.open(p.validHandshake())
      p.channel!.messages[0]!.send(announce([k]))
    }, {}, key))
}

test('a peer that never sends a proof gets no feed keys, even for feeds announced while it is connected', async (t) => {
  const s = await setup(t)
  const peer = await rawPeer(t, s.b, { openChannel: false })
  const hadOpen = new Promise<void>((resolve) => peer.mux.pair({ protocol: PROTOCOL }, () => resolve()))
  await hadOpen
  t.pass('B opened its side of the meta channel (a handshake with only its proof)')
  const late = await s.b.writer('late')
  await append(late, { late: true })
  // The honest peer hears of the new feed, so the announcement did happen.
  await until([s.c], () => s.c.has(hex(late.key)), 'honest peer to hear of the late feed')
  t.notOk(peer.sawBytes(s.wb.key!), 'silent peer never saw the first feed key')
  t.notOk(peer.sawBytes(late.key!), 'nor the late one')
  t.notOk(peer.sawBytes(s.wb.discoveryKey!) || peer.sawBytes(late.discoveryKey!), 'nor their discovery keys')
  t.equal(s.errors.length, 0, 'silence is not an error')
  await peer.close(); await s.close()
})

/** Rejects after `ms` so a regression fails with a message instead of hanging the run. */
function within<T> (p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms) })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

test('frames announced at 16 MB before the Noise handshake: each connection is dropped and no buffer is reserved', async (t) => {
  const s = await setup(t)
  const connections = 20
  const errors: MultifeedError[] = []
  const allDropped = new Promise<void>((resolve) => {
    s.b.on('peer-error', (err: MultifeedError) => { errors.push(err); if (errors.length === connections) resolve() })
  })
  global.gc?.()
  const before = process.memoryUsage().arrayBuffers
  const streams: Duplex[] = []
  for (let i = 0; i < connections; i++) {
    const stream = s.b.replicate(false)
    streams.push(stream)
    // The first bytes B reads: a secret-stream frame header announcing 16 MB - 1, then one body byte.
    stream.write(Buffer.from([0xff, 0xff, 0xff, 0x00]))
  }
  await within(allDropped, 20_000, 'every connection to be dropped')
  const grown = process.memoryUsage().arrayBuffers - before
  t.ok(errors.every((e) => e.code === 'ERR_FRAME_TOO_LARGE'), `each peer-error is ERR_FRAME_TOO_LARGE (${errors[0]?.message})`)
  await Promise.all(streams.map((st) => closed(st)))
  t.pass('and each connection closed')
  t.ok(grown < connections * 1024 * 1024, `buffers grew by ${Math.round(grown / 1024)} KiB, not by the ${connections} x 16 MB announced`)
  t.ok(await s.stillServes(1), 'the multifeed keeps serving its other peer')
  await s.close()
})

test('a frame over maxFrameBeforeProof after the Noise handshake but before the proof drops the peer', (t) =>
  dropped(t, 'large frame before proof', 'ERR_FRAME_TOO_LARGE', (p) => {
    p.noise.write(Buffer.alloc(300 * 1024))
  }))

test('a raw replicate() stream whose peer never proves is dropped after handshakeTimeout', async (t) => {
  const s = await setup(t, { handshakeTimeout: 300 })
  // A peer that completes Noise and then stays silent...
  const peer = await rawPeer(t, s.b, { openChannel: false })
  const first = await within(onceEvent<[MultifeedError]>(s.b, 'peer-error'), 20_000, 'the silent peer to be dropped')
  t.equal(first[0].code, 'ERR_HANDSHAKE_TIMEOUT', `silent after Noise: ${first[0].message}`)
  await peer.link
  t.pass('its connection closed')
  // ...and a stream nobody ever speaks on (not even Noise).
  const mute = s.b.replicate(false)
  const second = await within(onceEvent<[MultifeedError]>(s.b, 'peer-error'), 20_000, 'the mute stream to be dropped')
  t.equal(second[0].code, 'ERR_HANDSHAKE_TIMEOUT', 'no Noise handshake at all: ERR_HANDSHAKE_TIMEOUT too')
  await closed(mute)
  t.pass('and that stream closed')
  t.ok(await s.stillServes(1), 'the honest peer, which proved in time, is still served')
  await peer.close(); await s.close()
})

test('the multifeed key itself is a feed like any other once someone serves data for it (record-db roots), and junk otherwise', async (t) => {
  // A random multifeed key: no hypercore has it, so announcing it only costs a check.
  const s = await setup(t)
  const peer = await rawPeer(t, s.b, { watch: [s.b.key] })
  peer.channel!.open(peer.validHandshake())
  peer.channel!.messages[0]!.send(announce([s.b.key]))
  await peer.askedAtLeast(1)
  t.equal(s.b.has(s.b.key), false, 'announced, checked, not admitted: nobody can serve a signed length for it')
  t.equal(s.errors.length, 0, 'and not an error: a record-db root\'s feed key is its multifeed key')
  await peer.close(); await s.close()
})
