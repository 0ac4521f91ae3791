// Chapter 8 starter: the live tail of the last messages.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/08-live-tail/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kappa } from '@kappa-ts/kappa-core'
import { listView } from '@kappa-ts/view-list'

interface Msg { author: string; text: string; timestamp: number }
const isMsg = (v: unknown): v is Msg => typeof v === 'object' && v !== null &&
  typeof (v as Msg).text === 'string' && Number.isSafeInteger((v as Msg).timestamp)
const messages = () => listView<Msg>({ map: (e) => (isMsg(e.value) ? e.value.timestamp : null) })

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch08-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)
const clock = (ts: number): string => new Date(ts).toISOString().slice(11, 19)
// Print a message the way the expected output shows it: "[12:00:03] <alice> old message 3".
const line = (m: Msg): string => `[${clock(m.timestamp)}] <${m.author}> ${m.text}`

// The messages of the expected output.
const old = [1, 2, 3, 4, 5].map((i) => ({ author: 'alice', text: `old message ${i}`, timestamp: t0 + i * 1000 }))
const live = [
  { author: 'bob', text: 'hello, live', timestamp: t0 + 10_000 },
  { author: 'bob', text: 'still here', timestamp: t0 + 11_000 }
]
const late = { author: 'bob', text: 'written offline long ago', timestamp: t0 + 500 }

const alice = new Kappa(path.join(tmp, 'alice')).use('messages', messages())
await alice.ready()
const bob = new Kappa(path.join(tmp, 'bob'), { key: alice.key }).use('messages', messages())
await bob.ready()
const a = alice.replicate(true)
const b = bob.replicate(false)
a.pipe(b).pipe(a)

// TODO 1: alice appends the `old` messages; await alice.indexed()
// TODO 2: for await over alice.api.messages.tail(3): print each item with line(); once the
//         three old ones are out, print "-- now live --" and let bob append live[0], after the
//         next item live[1]; break after the fifth item
// TODO 3: subscribe() on alice's view, let bob append `late`, take one item from it and print
//         "late arrival: " + line(...); close the subscription; print
//         "first in the list now: " + the text of read({ limit: 1 })[0]

a.destroy()
await alice.close()
await bob.close()
fs.rmSync(tmp, { recursive: true, force: true })
