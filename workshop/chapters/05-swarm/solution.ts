// Chapter 5: finding peers with Hyperswarm.
// Peers meet on a DHT: the author announces the log's discovery key (a hash of
// its key, so the announcement reveals nothing readable), readers look it up,
// and Hyperswarm hands both sides an encrypted socket to replicate over.
// Offline and in tests the DHT is a local testnet bound to 127.0.0.1.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch05-'))

// A small local DHT: three nodes on loopback. `bootstrap` is their addresses.
const testnet = await createTestnet(3, { host: '127.0.0.1' })
console.log('local DHT with', testnet.nodes.length, 'nodes on', testnet.bootstrap.map((b) => b.host).join(', '))

// Each peer gets a swarm whose DHT node also binds loopback.
const swarmOn = () => new Hyperswarm({ dht: new HyperDHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })

// Alice writes a log and announces it.
const alice = new Corestore(path.join(tmp, 'alice'))
const log = alice.get<unknown>({ name: 'messages', valueEncoding: 'json' })
await log.ready()
await log.append([{ text: 'found you through the DHT' }, { text: 'no server involved' }])

const aliceSwarm = swarmOn()
aliceSwarm.on('connection', (socket) => alice.replicate(socket))
// server: accept connections for this topic. flushed(): the announcement is in the DHT.
await aliceSwarm.join(log.discoveryKey!, { server: true, client: false }).flushed()
console.log('alice announced the discovery key')

// Bob knows only the key (shared out of band, e.g. in a chat invite).
const bob = new Corestore(path.join(tmp, 'bob'))
const copy = bob.get<unknown>({ key: log.key!, valueEncoding: 'json' })
await copy.ready()

const bobSwarm = swarmOn()
const connected = new Promise<void>((resolve) => {
  bobSwarm.on('connection', (socket) => {
    bob.replicate(socket)
    resolve()
  })
})
bobSwarm.join(copy.discoveryKey!, { server: false, client: true })
await connected
console.log('bob connected to a peer for that topic')
console.log('the peer is alice:', [...bobSwarm.connections][0]!.remotePublicKey.equals(aliceSwarm.keyPair.publicKey))

await copy.update({ wait: true })
for (let seq = 0; seq < copy.length; seq++) console.log(`bob reads ${seq}:`, JSON.stringify(await copy.get(seq)))

const appended = new Promise<void>((resolve) => copy.once('append', () => resolve()))
await log.append({ text: 'live over the swarm' })
await appended
console.log('live:', JSON.stringify(await copy.get(copy.length - 1)))

await bobSwarm.destroy()
await aliceSwarm.destroy()
await bob.close()
await alice.close()
await testnet.destroy()
fs.rmSync(tmp, { recursive: true, force: true })
console.log('swarms and DHT closed')
