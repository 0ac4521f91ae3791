// Chapter 6: one log per author, with multifeed.
// A hypercore has one writer. A conversation has many. So every author writes
// to a log of their own, and a *multifeed* is the set of all of them, replicated
// as a set: connect two peers and each learns (and downloads) every log the other knows.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Multifeed, appendEntries, readEntries, type Feed } from '@kappa-ts/multifeed'

interface Msg { author: string; text: string; timestamp: number }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch06-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)

// The set has a key. The first peer makes one; others are given it out of band.
const alice = new Multifeed(path.join(tmp, 'alice'))
await alice.ready()
const bob = new Multifeed(path.join(tmp, 'bob'), { key: alice.key })
await bob.ready()
console.log('same set:', bob.key.equals(alice.key))

// Each peer writes only to its own feed.
const aliceFeed = await alice.writer()
const bobFeed = await bob.writer()
// Entries are packed into hypercore blocks (many small ones share a block): appendEntries
// writes them in that format, readEntries reads a block's entries back.
await appendEntries(aliceFeed, [{ author: 'alice', text: 'hi bob', timestamp: t0 } satisfies Msg])
await appendEntries(bobFeed, [{ author: 'bob', text: 'hi alice', timestamp: t0 + 1000 } satisfies Msg])
await appendEntries(aliceFeed, [{ author: 'alice', text: 'shall we build a chat?', timestamp: t0 + 2000 } satisfies Msg])
console.log('before: alice knows', alice.keys().length, 'feed, bob knows', bob.keys().length)

// Wait for the first feed each side learns from the other.
const learned = (m: Multifeed) => new Promise<Feed>((resolve) => {
  m.on('feed', (feed, info) => { if (!info.local) resolve(feed) })
})
const atAlice = learned(alice)
const atBob = learned(bob)
const a = alice.replicate(true)
const b = bob.replicate(false)
a.pipe(b).pipe(a)

const bobsCopyOfAlice = await atBob
const alicesCopyOfBob = await atAlice
await bobsCopyOfAlice.update({ wait: true })
await alicesCopyOfBob.update({ wait: true })
console.log('after: alice knows', alice.keys().length, 'feeds, bob knows', bob.keys().length)
console.log('bob can write to his copy of alice\'s feed:', bobsCopyOfAlice.writable)

// Every peer now has every author's log. Reading "the conversation" means
// reading all feeds and sorting by the time inside each message.
async function conversation (m: Multifeed): Promise<string[]> {
  const all: Msg[] = []
  // keys() lists every feed of the set; get() opens one (a multifeed opens feeds only when needed)
  for (const key of m.keys()) {
    const feed = await m.get(key)
    if (feed === undefined) continue
    for (let block = 0; block < feed.length; block++) all.push(...await readEntries(feed, block) as Msg[])
  }
  all.sort((x, y) => x.timestamp - y.timestamp)
  return all.map((msg) => `<${msg.author}> ${msg.text}`)
}
console.log('alice sees:')
for (const line of await conversation(alice)) console.log('  ' + line)
console.log('bob sees the same:', JSON.stringify(await conversation(bob)) === JSON.stringify(await conversation(alice)))

// Reading everything on every query does not scale: chapter 7 keeps a sorted index instead.
a.destroy()
await alice.close()
await bob.close()
fs.rmSync(tmp, { recursive: true, force: true })
