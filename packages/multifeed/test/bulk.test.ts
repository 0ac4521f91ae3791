// The bulk path (PROTOCOL_VERSION 4): a fresh peer gets small feeds whole as hypercore
// proofs on the multifeed channel, with no hypercore channel per feed; larger feeds
// come the usual way; a proof that does not verify against the announced key is
// refused with ERR_BAD_PROOF and creates nothing.
import test from 'tape'
import c from 'compact-encoding'
import Hypercore from 'hypercore'
import { opened, tmpDir } from '@kappa-ts/test-helpers'
import type { MultifeedError, Feed } from '../src/index.js'
import { Multifeed, PROTOCOL } from '../src/index.js'
import { coreStorageOf } from '../src/admission.js'
import { BULK_MAX_BLOCKS, decodeWantBulk, encodeBulk, feedProofs } from '../src/bulk-proof.js'
import { createProof, encodeHandshake, PROTOCOL_VERSION } from '../src/wire.js'
import { twoPeers, pipe, until, converged, contents, append, onceEvent } from './helpers.js'
import { rawPeer, announce } from './raw-peer.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')

/** Counts the replication channels a session's core opens (hypercore 'peer-add') into `opened`. */
function countChannels (feed: Feed, opened: Map<string, number>): void {
  feed.on('peer-add', () => opened.set(hex(feed.key), (opened.get(hex(feed.key)) ?? 0) + 1))
}

test('bulk: a fresh peer gets 30 small feeds over a real stream with no hypercore channel per feed, and mixed with large feeds, those come the usual way', async (t) => {
  const [a, b] = await twoPeers(t)
  const channels = new Map<string, number>() // per feed key, channels opened on the source's side
  const small: string[] = []
  for (let i = 0; i < 30; i++) {
    const w = await a.writer(`small-${i}`)
    for (let j = 0; j <= i % BULK_MAX_BLOCKS; j++) await append(w, { i, j }) // 1..BULK_MAX_BLOCKS blocks
    small.push(hex(w.key))
    countChannels(w, channels)
  }
  const large: string[] = []
  for (let i = 0; i < 2; i++) {
    const w = await a.writer(`large-${i}`)
    for (let j = 0; j < BULK_MAX_BLOCKS + 3; j++) await append(w, { i, j })
    large.push(hex(w.key))
    countChannels(w, channels)
  }
  const link = pipe(a.replicate(true), b.replicate(false))
  await until([a, b], () => b.size === a.size && converged([a, b]), 'b to hold every feed')
  t.deepEqual(await contents(b), await contents(a), 'b holds every entry of every feed')
  t.deepEqual(small.filter((k) => (channels.get(k) ?? 0) > 0), [], 'no small feed opened a replication channel')
  t.deepEqual(large.filter((k) => (channels.get(k) ?? 0) === 0), [], 'each large feed came over a channel of its own')
  await a.close(); await b.close(); await link
})

test('bulk: a forged proof for an announced key is refused with ERR_BAD_PROOF and creates nothing', async (t) => {
  for (const forgery of ['a tampered block', 'another feed\'s proof'] as const) {
    const [b] = await twoPeers(t)
    const errors: MultifeedError[] = []
    b.on('peer-error', (err: MultifeedError) => errors.push(err))
    const peer = await rawPeer(t, b, { openChannel: false, realFeeds: 2 })
    const target = peer.feeds[0]!
    const forge = async (): Promise<Buffer> => {
      const proofs = await feedProofs(forgery === 'a tampered block' ? target : peer.feeds[1]!)
      if (proofs === null) throw new Error('the raw peer\'s feeds are not small')
      const forged = forgery === 'a tampered block'
        ? proofs.map((p) => ({ ...p, block: p.block && { ...p.block, value: Buffer.from(p.block.value).fill(7) } }))
        : proofs // a valid proof, but of another feed
      return encodeBulk([{ key: hex(target.key), proofs: forged }]).message
    }
    let asked: string[] = []
    // opened in the same turn as the connection (see rawPeer)
    const ch = peer.mux.createChannel({
      protocol: PROTOCOL,
      handshake: c.raw,
      messages: [{ encoding: c.raw }, { encoding: c.raw }, { encoding: c.raw }, {
        encoding: c.raw,
        onmessage: (buf: Buffer) => {
          asked = decodeWantBulk(buf, 1024)
          void forge().then((msg) => ch.messages[4]!.send(msg))
        }
      }, { encoding: c.raw }]
    })!
    const refused = onceEvent<[MultifeedError]>(b, 'peer-error')
    ch.open(encodeHandshake({ version: PROTOCOL_VERSION, proof: createProof(b.key, peer.noise.handshakeHash, true), maxFeedsPerMessage: 1024, bulk: true }))
    ch.messages[0]!.send(announce([target.key!]))
    const [err] = await refused
    t.equal(err.code, 'ERR_BAD_PROOF', `${forgery}: peer-error ERR_BAD_PROOF (${err.message})`)
    t.deepEqual(asked, [hex(target.key)], `${forgery}: b asked for the announced small feed in bulk`)
    await peer.link
    const honest = await feedProofs(target)
    t.ok(honest !== null && !encodeBulk([{ key: hex(target.key), proofs: honest }]).message.includes('"entry":0'),
      `${forgery}: a bulk message carries the block as stored, encrypted (the entry's text is not in it)`)
    t.notOk(b.has(hex(target.key)), `${forgery}: the key is not a feed of b`)
    const storage = coreStorageOf(b.corestore)
    t.ok(storage !== null && !(await storage.hasCore(Hypercore.discoveryKey(target.key!))), `${forgery}: b's storage has no core for it`)
    await peer.close(); await b.close()
  }
})

test('bulk: a fresh peer meeting two honest peers that hold the same small feeds at different lengths drops neither and gets the longer', async (t) => {
  // a writes 40 feeds; b copies them at length 2; then a appends more to each. c meets
  // a and b at once. b's answer is bulk proofs of length 2; a's is either bulk proofs of
  // length 4 (a tree of another shape: the two do not apply over each other) or, past
  // the bulk bound, hypercore replication of the same cores. Both peers are honest.
  for (const later of [4, 7]) {
    const how = later <= BULK_MAX_BLOCKS ? 'both in bulk' : 'a by admission, b in bulk'
    const [a, b] = await twoPeers(t)
    const c = await opened(t, new Multifeed(tmpDir(t, 'kappa-multifeed-'), { key: a.key }))
    const writers: Feed[] = []
    for (let i = 0; i < 40; i++) {
      const w = await a.writer(`w-${i}`)
      await append(w, { i, j: 0 }); await append(w, { i, j: 1 })
      writers.push(w)
    }
    const ab = [a.replicate(true), b.replicate(false)] as const
    const abLink = pipe(ab[0], ab[1])
    await until([a, b], () => b.size === a.size && converged([a, b]), 'b to hold every feed at length 2')
    ab[0].destroy(); await abLink
    for (const w of writers) for (let j = 2; j < later; j++) await append(w, { j })

    const errors: MultifeedError[] = []
    for (const m of [a, b, c]) m.on('peer-error', (err: MultifeedError) => errors.push(err))
    const links = [pipe(a.replicate(true), c.replicate(false)), pipe(b.replicate(true), c.replicate(false))]
    await until([a, c], () => errors.length > 0 || (c.size === a.size && converged([a, c])), `c to hold every feed at length ${later}`)
    t.deepEqual(errors.map((e) => `${e.code}: ${e.message}`), [], `${how}: no peer was dropped`)
    t.deepEqual(await contents(c), await contents(a), `${how}: c holds every entry of every feed`)
    await Promise.all([a.close(), b.close(), c.close()]); await Promise.all(links)
  }
})

test('bulk: a feed that grows while its proofs are made is not sent in bulk (the proofs would not fit one tree)', async (t) => {
  // feedProofs awaits between proofs, and a live writer's append can land in that gap. The
  // gap is too short to hit by timing, so the append is made to land before proof `at`.
  const dir = tmpDir(t, 'kappa-multifeed-')
  for (const at of [0, 1]) {
    const w = new Hypercore(`${dir}/w${at}`)
    await w.ready()
    await w.append([Buffer.from('a'), Buffer.from('b')])
    const live = Object.create(w, {
      proof: {
        value: async (opts: { block: { index: number } }) => {
          if (opts.block.index === at) await w.append([Buffer.from('c'), Buffer.from('d')])
          return await w.proof(opts as never)
        }
      }
    }) as Feed
    t.equal(await feedProofs(live), null, `an append before proof ${at}: no bulk proofs (it is fetched the usual way)`)
    const proofs = await feedProofs(w as unknown as Feed)
    const fresh = new Hypercore(`${dir}/r${at}`, w.key)
    await fresh.ready()
    for (const p of proofs ?? []) await (fresh as unknown as { applyProof(p: unknown): Promise<boolean> }).applyProof(p)
    t.equal(fresh.contiguousLength, 4, 'then, with no append, its 4 blocks apply on a fresh core')
    await fresh.close(); await w.close()
  }
})
