// Chapter 6 starter: one log per author with multifeed.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/06-multifeed/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Multifeed, appendEntries, readEntries } from '@kappa-ts/multifeed'

interface Msg { author: string; text: string; timestamp: number }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch06-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)

// The conversation of the expected output, in the order it is written (each message goes
// to its author's own feed).
const conversation: Msg[] = [
  { author: 'alice', text: 'hi bob', timestamp: t0 },
  { author: 'bob', text: 'hi alice', timestamp: t0 + 1000 },
  { author: 'alice', text: 'shall we build a chat?', timestamp: t0 + 2000 }
]

const alice = new Multifeed(path.join(tmp, 'alice'))
await alice.ready()

// TODO 1: bob opens a multifeed with alice's key; print "same set: true". Each appends his
//         or her messages of `conversation` to his or her own writer() with appendEntries
//         (entries are packed into blocks; see the README); print how many feeds
//         each knows ("before: alice knows 1 feed, bob knows 1")
// TODO 2: listen for each side's 'feed' event of a remote feed (info.local false), pipe the
//         two replicate() streams into each other, await both events and update() both new
//         feeds; print "after: alice knows 2 feeds, bob knows 2" and whether bob's copy of
//         alice's feed is writable
// TODO 3: read every entry of every feed (readEntries of each block), sort by timestamp, print "alice sees:" and one
//         "  <author> text" line per message; then whether bob's list is the same

await alice.close()
fs.rmSync(tmp, { recursive: true, force: true })
