// Chapter 8: the live tail of the last messages.
// A chat window shows the last few messages and then every new one as it comes,
// from any peer. The list view's tail(n) is exactly that: an async iterator that
// yields the last n items in order, then each newly indexed item, until you break.
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
const clock = (ts: number) => new Date(ts).toISOString().slice(11, 19)

const alice = new Kappa(path.join(tmp, 'alice')).use('messages', messages())
await alice.ready()
const bob = new Kappa(path.join(tmp, 'bob'), { key: alice.key }).use('messages', messages())
await bob.ready()
const a = alice.replicate(true)
const b = bob.replicate(false)
a.pipe(b).pipe(a)

// Five old messages: the window will show only the last three.
const aw = await alice.writer()
for (let i = 1; i <= 5; i++) await aw.append({ author: 'alice', text: `old message ${i}`, timestamp: t0 + i * 1000 })
await alice.indexed()

// Bob's messages will arrive over replication while alice is watching.
const bw = await bob.writer()
const live = [
  { author: 'bob', text: 'hello, live', timestamp: t0 + 10_000 },
  { author: 'bob', text: 'still here', timestamp: t0 + 11_000 }
]

let shown = 0
for await (const item of alice.api.messages.tail(3)) {
  console.log(`[${clock(item.value.timestamp)}] <${item.value.author}> ${item.value.text}`)
  shown++
  // Once the backlog is on screen, bob starts talking.
  if (shown === 3) {
    console.log('-- now live --')
    void bw.append(live[0])
  }
  if (shown === 4) void bw.append(live[1])
  if (shown === 5) break // break ends the iterator and removes its listener
}

// An item that sorts BEFORE the tail still arrives live: a peer may sync old
// messages late. A UI inserts it in place rather than at the bottom.
const late = alice.api.messages.subscribe()
await bw.append({ author: 'bob', text: 'written offline long ago', timestamp: t0 + 500 })
const { value } = await late.next()
late.close()
console.log(`late arrival: [${clock(value!.value.timestamp)}] <${value!.value.author}> ${value!.value.text}`)
console.log('first in the list now:', (await alice.api.messages.read({ limit: 1 }))[0]!.value.text)

a.destroy()
await alice.close()
await bob.close()
fs.rmSync(tmp, { recursive: true, force: true })
