import test from 'tape'
import createTestnet from 'hyperdht/testnet.js'
import { Kappa, KappaError } from '../src/index.js'
import { countView, tmpdir, until } from './helpers.js'

test('join(): two kappas find each other on a loopback DHT and their views converge; leave() disconnects', async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  const a = tmpdir()
  const b = tmpdir()
  const ka = new Kappa(a.dir).use('c', countView())
  await ka.ready()
  const kb = new Kappa(b.dir, { key: ka.key }).use('c', countView())
  await kb.ready()
  await (await ka.writer()).append([{ text: 'a1' }, { text: 'a2' }])
  await (await kb.writer()).append({ text: 'b1' })
  t.deepEqual(ka.peers, [], 'no peers before join')
  t.equal(ka.swarm, null)

  const peerAdded = new Promise((resolve) => ka.once('peer-add', resolve))
  await ka.join({ bootstrap: net.bootstrap })
  await kb.join({ bootstrap: net.bootstrap })
  await peerAdded
  t.equal(ka.peers.length, 1, 'a peer-add event and one entry in kappa.peers')
  t.ok(ka.swarm !== null, 'the KappaSwarm is exposed after join')

  await Promise.all([until(ka, async () => await ka.api.c.count() === 3), until(kb, async () => await kb.api.c.count() === 3)])
  t.pass('both views indexed all three entries over the swarm')

  const removed = new Promise((resolve) => ka.once('peer-remove', resolve))
  await kb.leave()
  await removed
  t.equal(ka.peers.length, 0, 'leave() on one side drops the connection')

  await ka.close()
  await kb.close()
  await ka.join().then(() => t.fail('join after close'), (err: KappaError) => t.equal(err.code, 'ERR_CLOSED'))
  await net.destroy()
  a.cleanup()
  b.cleanup()
})
