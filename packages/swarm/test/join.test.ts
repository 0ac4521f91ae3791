// join(kappa): the one call that puts a kappa on the network. Two kappas on a loopback DHT
// find each other, their views converge, synced() covers the swarm's connections, a second
// join() rejoins the same swarm, and kappa.close() closes the swarm first.
import test, { type Test } from 'tape'
import { closeAtEnd, nextEvent, opened, tmpDir, untilEvent } from '@kappa-ts/test-helpers'
import { Kappa, KappaError, type Entry, type ViewBatch, type ViewContext, type Writer } from '@kappa-ts/kappa-core'
import { join, swarmOf, KappaSwarm, SwarmError, type JoinOptions } from '../src/index.js'
import { testnet } from './swarm-helpers.js'

/** A view that counts the entries it indexed. */
const counter = {
  async map (entries: Array<Entry<{ text: string }>>, batch: ViewBatch, ctx: ViewContext): Promise<void> {
    batch.put('count', ((await ctx.db.get('count') as number | undefined) ?? 0) + entries.length)
  },
  api: {
    async count (ctx: ViewContext): Promise<number> { return (await ctx.db.get('count') as number | undefined) ?? 0 }
  }
}

async function fill (w: Writer, n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const batch = []
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ text: `${label} ${j}` })
    await w.append(batch)
  }
}

/** A loopback DHT and two kappas of one key (the first opened), for the test `t`; the test closes them. */
async function twoPeers (t: Test): Promise<{ bootstrap: JoinOptions['bootstrap']; a: Kappa<{ c: typeof counter }>; b: Kappa<{ c: typeof counter }> }> {
  const net = await testnet(t)
  const a = await opened(t, new Kappa(tmpDir(t, 'kappa-swarm-')).use('c', counter))
  return { bootstrap: net.bootstrap, a, b: closeAtEnd(t, new Kappa(tmpDir(t, 'kappa-swarm-'), { key: a.key }).use('c', counter)) }
}

test('join(kappa): two kappas find each other on a loopback DHT and their views converge; leave() disconnects', async (t) => {
  const { bootstrap, a: ka, b: kb } = await twoPeers(t)
  await (await ka.writer()).append([{ text: 'a1' }, { text: 'a2' }])
  await (await kb.writer()).append({ text: 'b1' })

  const sa = swarmOf(ka, { bootstrap })
  t.ok(sa instanceof KappaSwarm, 'swarmOf() makes the swarm before joining')
  t.deepEqual(sa.peers, [], 'no peers before join')
  const peerAdded = nextEvent(sa, 'peer-add')
  t.equal(await join(ka), sa, 'join() joins the swarm swarmOf() made')
  const sb = await join(kb, { bootstrap })
  await peerAdded
  t.equal(sa.peers.length, 1, 'a peer-add event and one entry in swarm.peers')

  await untilEvent([ka, kb], 'indexed', async () => await ka.api.c.count() === 3 && await kb.api.c.count() === 3, 'both views to index all three entries')
  t.pass('both views indexed all three entries over the swarm')

  const removed = nextEvent(sa, 'peer-remove')
  await sb.leave()
  await removed
  t.equal(sa.peers.length, 0, 'leave() on one side drops the connection')
  const back = nextEvent(sa, 'peer-add')
  t.equal(await join(kb), sb, 'a second join() rejoins the same swarm')
  await back
  t.pass('and the peers meet again')
  await ka.close()
  await kb.close()
  t.ok(ka.closed, 'kappa closed')
  await join(ka).then(() => t.fail('join after close'), (err: KappaError) => t.equal(err.code, 'ERR_CLOSED', 'join() after kappa.close(): ERR_CLOSED'))
})

test('kappa.close() closes the swarm first; a closed swarm is replaced by the next join()', async (t) => {
  const net = await testnet(t)
  const kappa = closeAtEnd(t, new Kappa(tmpDir(t, 'kappa-swarm-')))
  t.throws(() => swarmOf(kappa, { maxPeers: 0 }), SwarmError, 'bad options: SwarmError before anything opens')
  const first = await join(kappa, { bootstrap: net.bootstrap })
  await first.close()
  const second = await join(kappa, { bootstrap: net.bootstrap })
  t.notEqual(second, first, 'after swarm.close(), join() makes a new swarm')
  t.ok(second.joined, 'which is joined')
  await kappa.close()
  t.ok(second.closed, 'kappa.close() closed the swarm')
  t.notOk(second.joined, 'and left the topic')
})

test('over the swarm: after join(), synced({ peers: 1 }) covers what the other peer holds', async (t) => {
  const { bootstrap, a, b } = await twoPeers(t)
  const wa = await a.writer()
  await fill(wa, 4000, 'a')
  await fill(await b.writer(), 1000, 'b')
  await join(a, { bootstrap })
  const sb = await join(b, { bootstrap })
  await b.synced({ peers: 1 })
  t.equal(b.multifeed.lengths(wa.key)?.contiguousLength, wa.length, 'b holds a\'s feed (its 4,000 entries)')
  t.equal(await b.api.c.count(), 5000, 'and has indexed them')
  await fill(wa, 1000, 'a more')
  await b.synced({ peers: 1 })
  t.equal(await b.api.c.count(), 6000, 'an append made just before the call is covered over the swarm too')
  await a.synced({ peers: 1 })
  t.equal(await a.api.c.count(), 6000, 'and the other way round')
  t.deepEqual(sb.peers[0]?.writers, [wa.key], 'swarm.peers names the feed each peer writes')
})
