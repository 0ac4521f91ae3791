// Chapter 9 starter: kv with links and forks (nicknames).
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/09-kv-forks/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView, type KvHead } from '@kappa-ts/view-kv'

interface Nick { nick: string; timestamp: number }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch09-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)

// Alice's two devices: each a peer of one multifeed, each with a feed of its own.
const laptop = new Kappa(path.join(tmp, 'laptop')).use('nicks', kvView<Nick>())
await laptop.ready()
const phone = new Kappa(path.join(tmp, 'phone'), { key: laptop.key }).use('nicks', kvView<Nick>())
await phone.ready()
const laptopWriter = await laptop.writer()
const phoneWriter = await phone.writer()

let streams: Duplex[] = []
const connect = (): void => {
  const a = laptop.replicate(true)
  const b = phone.replicate(false)
  a.pipe(b).pipe(a)
  streams = [a, b]
}
const disconnect = (): void => { for (const s of streams) s.destroy() }
// The heads' nicks, sorted and joined: "alice_at_work, ally".
const names = (heads: Array<KvHead<Nick>>): string => heads.map((h) => h.value.nick).sort().join(', ')

// The writes of the expected output, all under the key 'alice':
const first = { nick: 'alice', timestamp: t0 }            // laptop, connected
const atWork = { nick: 'alice_at_work', timestamp: t0 + 2000 } // laptop, offline
const ally = { nick: 'ally', timestamp: t0 + 1000 }          // phone, offline
const merge = { nick: 'ally', timestamp: t0 + 3000 }         // phone, reconnected

// TODO 1: connect; laptop.api.nicks.put(laptopWriter, 'alice', first); wait until the phone's
//         view has one head (await phone.synced()); print "phone sees: alice"; disconnect
// TODO 2: offline: the laptop puts atWork, the phone puts ally; index both; print
//         "offline, laptop sees: alice_at_work / phone sees: ally"
// TODO 3: reconnect; both hold both heads (await synced() on each); print the fork line,
//         whether the heads' ids match, and the nick a rule picks on each side: the highest
//         (timestamp, feed key) wins
// TODO 4: the phone puts merge (it links both heads); once synced, print
//         "merged: laptop sees ally / phone sees ally"

disconnect()
await laptop.close()
await phone.close()
fs.rmSync(tmp, { recursive: true, force: true })
