// Chapter 4: replicating a log between two peers.
// Two peers connect their replication streams; the reader asks for the blocks it
// wants, and checks each one against the writer's key (chapter 3) as it arrives.
// Corestore keeps many logs in one folder and replicates all of them on one stream.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Corestore from 'corestore'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch04-'))

const alice = new Corestore(path.join(tmp, 'alice'))
const bob = new Corestore(path.join(tmp, 'bob'))

// Alice's log, by name: the store derives its key pair, so it is the same log after a restart.
const aliceLog = alice.get<unknown>({ name: 'messages', valueEncoding: 'json' })
await aliceLog.ready()
await aliceLog.append([{ text: 'hello bob' }, { text: 'this came over the wire' }])

// Bob opens the same log by its key: readable, not writable.
const bobLog = bob.get<unknown>({ key: aliceLog.key!, valueEncoding: 'json' })
await bobLog.ready()
console.log('bob before replication: length', bobLog.length, 'writable', bobLog.writable)

// Connect the two stores. In a real app the two ends are sockets (chapter 5);
// here they are piped to each other in one process.
const a = alice.replicate(true)
const b = bob.replicate(false)
a.pipe(b).pipe(a)

// update() waits until bob has heard alice's latest signed length; get() downloads.
await bobLog.update({ wait: true })
console.log('bob after update: length', bobLog.length)
for (let seq = 0; seq < bobLog.length; seq++) {
  console.log(`bob reads ${seq}:`, JSON.stringify(await bobLog.get(seq)))
}

// Replication is live: a new append reaches bob while the streams are connected.
const appended = new Promise<void>((resolve) => bobLog.once('append', () => resolve()))
await aliceLog.append({ text: 'and this one live' })
await appended
console.log('bob saw a live append: length', bobLog.length, JSON.stringify(await bobLog.get(bobLog.length - 1)))

// Bob keeps his copy after disconnecting, and could serve it to a third peer.
a.destroy()
b.destroy()
console.log('offline, bob still has', bobLog.length, 'entries; entry 0:', JSON.stringify(await bobLog.get(0, { wait: false })))

await alice.close()
await bob.close()
fs.rmSync(tmp, { recursive: true, force: true })
