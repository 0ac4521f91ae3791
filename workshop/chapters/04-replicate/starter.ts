// Chapter 4 starter: replicating a log between two peers.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/04-replicate/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch04-'))
const alice = new Corestore(path.join(tmp, 'alice'))
const bob = new Corestore(path.join(tmp, 'bob'))

// The messages of the expected output: two before connecting, one while connected.
const before = [{ text: 'hello bob' }, { text: 'this came over the wire' }]
const live = { text: 'and this one live' }

// TODO 1: alice opens a log by name ({ name: 'messages', valueEncoding: 'json' }) and appends
//         `before`; bob opens it by key. Print "bob before replication: length 0 writable false"
// TODO 2: pipe alice.replicate(true) and bob.replicate(false) into each other; await
//         bobLog.update({ wait: true }); print bob's length and each entry as JSON
// TODO 3: wait for bob's 'append' event while alice appends `live`; print
//         "bob saw a live append: length 3 {...}"
// TODO 4: destroy both streams; print "offline, bob still has 3 entries; entry 0: {...}"
//         (read it with { wait: false }: nothing may come from the network now)

await alice.close()
await bob.close()
fs.rmSync(tmp, { recursive: true, force: true })
