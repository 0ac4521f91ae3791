// Chapter 7 starter: a materialized view.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/07-view/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kappa } from '@kappa-ts/kappa-core'
import { listView } from '@kappa-ts/view-list'

interface Msg { author: string; text: string; timestamp: number }

const isMsg = (v: unknown): v is Msg => typeof v === 'object' && v !== null &&
  typeof (v as Msg).author === 'string' && typeof (v as Msg).text === 'string' && Number.isSafeInteger((v as Msg).timestamp)

// TODO 1: the view: a list sorted by the message's timestamp; entries that are not
//         messages get null (left out).
const messages = () => listView<Msg>({ map: () => null })

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch07-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)
const show = (items: Array<{ value: Msg }>): string => items.map((i) => `${i.value.author}: ${i.value.text}`).join(' | ')

// What each writes in the expected output. Bob's clock says he wrote first, but he writes later.
const fromAlice = [{ author: 'alice', text: 'second', timestamp: t0 + 2000 }, { author: 'alice', text: 'fourth', timestamp: t0 + 4000 }]
const notAMessage = { note: 'not a message' } // alice appends it too
const fromBob = [{ author: 'bob', text: 'first', timestamp: t0 + 1000 }, { author: 'bob', text: 'third', timestamp: t0 + 3000 }]

const alice = new Kappa(path.join(tmp, 'alice')).use('messages', messages())
await alice.ready()
const bob = new Kappa(path.join(tmp, 'bob'), { key: alice.key }).use('messages', messages())
await bob.ready()

// TODO 2: alice appends fromAlice then notAMessage, bob appends fromBob; await
//         alice.indexed() and print "alice alone: " + show(read())
// TODO 3: replicate (pipe the two replicate() streams), wait until alice holds and has
//         indexed bob's entries (await alice.synced()), print "alice after sync: ..."
// TODO 4: read({ reverse: true, limit: 2 }) -> "latest two: ..."; read({ gte: t0 + 2000,
//         lt: t0 + 4000 }) -> "from 12:00:02 to before 12:00:04: ..."
// TODO 5: print alice.status().messages as "view status: idle 5/5 entries"; close both,
//         reopen alice's folder with the same view and print how many messages read()
//         returns before anything is indexed: "after restart, before any indexing: 4 messages"

await alice.close()
await bob.close()
fs.rmSync(tmp, { recursive: true, force: true })
