// Chapter 5 starter: finding peers with Hyperswarm.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/05-swarm/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
// Everything stays on 127.0.0.1: a testnet, never the public DHT.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch05-'))

// A small local DHT: three nodes on loopback. `testnet.bootstrap` lists their addresses.
const testnet = await createTestnet(3, { host: '127.0.0.1' })
// Every swarm's own DHT node binds loopback too.
const swarmOn = (): Hyperswarm => new Hyperswarm({ dht: new HyperDHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })

// The messages of the expected output.
const first = [{ text: 'found you through the DHT' }, { text: 'no server involved' }]
const live = { text: 'live over the swarm' }

// TODO 1: print "local DHT with 3 nodes on 127.0.0.1" (testnet.nodes, testnet.bootstrap)
// TODO 2: alice: a Corestore, a log { name: 'messages', valueEncoding: 'json' } with `first`,
//         a swarm that replicates every connection (alice.replicate(socket)), joined to the
//         log's discovery key as a server; await its flushed(); print "alice announced the discovery key"
// TODO 3: bob: a Corestore, the log by key, a swarm joined as a client; on 'connection'
//         replicate and go on. Print "bob connected to a peer for that topic" and whether the
//         connection's remotePublicKey equals alice's swarm keyPair.publicKey
// TODO 4: bob updates and reads both entries ("bob reads 0: {...}"), then waits for the
//         'append' of `live`: "live: {...}"
// TODO 5: destroy both swarms, close both stores (below), then print "swarms and DHT closed"

await testnet.destroy()
fs.rmSync(tmp, { recursive: true, force: true })
