// Every event a KappaSwarm emits reaches an app through the typed on(): the listeners below
// name no payload type, they get it from KappaSwarmEvents (a wrong field does not compile),
// and each event is produced the way an app meets it: two kappas on a loopback DHT, and a
// swarm connection that never answers.
import test from 'tape'
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import { closeAtEnd, defer, firstEvents, opened, tmpDir } from '@kappa-ts/test-helpers'
import { Kappa } from '@kappa-ts/kappa-core'
import { swarmOf, type KappaSwarmEvents } from '../src/index.js'
import { testnet } from './swarm-helpers.js'

test('an app listening with the typed on() gets every KappaSwarm event with its payload', async (t) => {
  const net = await testnet(t)
  const bootstrap = net.bootstrap.map((b) => `${b.host}:${b.port}`)
  const a = await opened(t, new Kappa(tmpDir(t, 'kappa-swarm-')))
  const b = closeAtEnd(t, new Kappa(tmpDir(t, 'kappa-swarm-'), { key: a.key }))
  const mute = new Hyperswarm({ dht: new HyperDHT({ bootstrap: net.bootstrap, host: '127.0.0.1', firewalled: false }) })
  mute.on('connection', (socket: { on: (e: string, f: () => void) => void }) => socket.on('error', () => {}))
  defer(t, () => mute.destroy())

  // What each listener got, as the app would read it (typed payloads, no casts).
  const { got, record, seen } = firstEvents<keyof KappaSwarmEvents>()

  const sb = swarmOf(b, { bootstrap, handshakeTimeout: 500 })
  sb.on('ready', () => record('ready', 'ready'))
  sb.on('peer-add', (peer) => record('peer-add', `${peer.remotePublicKey.length}`))
  sb.on('peer-remove', (peer) => record('peer-remove', `${peer.remotePublicKey.length}`))
  sb.on('sync-progress', (p) => { if (p.localLength > 0) record('sync-progress', `${typeof p.synced} ${typeof p.shared} ${p.feeds > 0}`) })
  sb.on('synced', (p) => record('synced', `${p.synced} ${p.localLength >= p.remoteLength}`))
  sb.on('connection-error', (info) => record('connection-error', `${(info.error as { code?: string }).code ?? info.error.message} ${info.remotePublicKey === mute.keyPair.publicKey.toString('hex')}`))
  sb.on('close', () => record('close', 'close'))
  // @ts-expect-error: 'sync' is not an event of a KappaSwarm
  sb.on('sync', () => {})
  // @ts-expect-error: 'synced' gives a SyncProgress, which has no 'count'
  sb.on('synced', (p) => p.count)

  await (await a.writer()).append([{ n: 1 }, { n: 2 }])
  await swarmOf(a, { bootstrap }).join()
  await sb.join()
  await Promise.all((['ready', 'peer-add', 'sync-progress', 'synced'] as const).map(seen))

  // a swarm connection that never says anything
  await mute.join(b.discoveryKey, { server: false, client: true }).flushed()
  await seen('connection-error')

  await a.close()
  await seen('peer-remove')
  await b.close()
  // each event with what its typed listener read from its payload
  t.deepEqual(Object.fromEntries(got), {
    ready: 'ready',
    'peer-add': '64', // PeerStatus: the remote's swarm key in hex
    'sync-progress': 'boolean boolean true', // SyncProgress
    synced: 'true true', // SyncProgress
    'connection-error': 'ERR_HANDSHAKE_TIMEOUT true', // PeerErrorInfo of the silent peer
    'peer-remove': '64', // PeerStatus, when a left
    close: 'close' // when kappa.close() closed the swarm
  }, 'every KappaSwarm event, with its payload')
})
