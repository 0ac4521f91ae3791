// Chapter 2 starter: JSON messages.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/02-json/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Hypercore from 'hypercore'

interface ChatMessage { type: 'chat/message'; channel: string; text: string; timestamp: number }

// TODO 3 (first): a type guard. true only for { type: 'chat/message', channel: string,
// text: string, timestamp: a safe integer }.
function isChatMessage (value: unknown): value is ChatMessage {
  return false
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch02-'))
const log = new Hypercore<unknown>(dir, { valueEncoding: 'json' })
await log.ready()

// The four messages of the expected output, appended in this order in one call. Fixed
// timestamps keep the output the same on every run; an app uses Date.now().
const start = Date.UTC(2024, 0, 1, 12, 0, 0)
const messages: unknown[] = [
  { type: 'chat/message', channel: '#general', text: 'hi everyone', timestamp: start },
  { type: 'chat/message', channel: '#random', text: 'anyone here?', timestamp: start + 1000 },
  { type: 'chat/message', channel: '#general', text: 42, timestamp: start + 2000 }, // a bad one
  { type: 'chat/message', channel: '#general', text: 'welcome!', timestamp: start + 3000 }
]

// TODO 1: append `messages` in one call; print log.length and log.byteLength:
//         "appended 4 entries, 350 bytes of JSON"
// TODO 2: get entry 0 and print its type and JSON:
//         "entry 0 comes back as an object -> {...}"
// TODO 3: for every entry: print "entry N: [HH:MM:SS] #channel text" for a valid message
//         (new Date(timestamp).toISOString().slice(11, 19) gives HH:MM:SS in UTC), or
//         "entry N: skipped, not a valid chat/message"
// TODO 4: with log.createReadStream(), collect the texts of valid #general messages and
//         print them joined with " | ": "#general: hi everyone | welcome!"

await log.close()
fs.rmSync(dir, { recursive: true, force: true })
