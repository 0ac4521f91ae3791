// Chapter 2: JSON messages.
// A log stores bytes. With valueEncoding 'json' hypercore turns each entry into
// JSON on append and back into a value on get, so a log becomes a list of messages.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Hypercore from 'hypercore'

interface ChatMessage { type: 'chat/message'; channel: string; text: string; timestamp: number }

// Everything read from a log is untrusted input (anyone may have written it):
// check its shape before using it.
function isChatMessage (value: unknown): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return v.type === 'chat/message' && typeof v.channel === 'string' &&
    typeof v.text === 'string' && Number.isSafeInteger(v.timestamp)
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch02-'))
const log = new Hypercore<unknown>(dir, { valueEncoding: 'json' })
await log.ready()

// Fixed timestamps keep this chapter's output the same on every run; an app uses Date.now().
const start = Date.UTC(2024, 0, 1, 12, 0, 0)
await log.append([
  { type: 'chat/message', channel: '#general', text: 'hi everyone', timestamp: start },
  { type: 'chat/message', channel: '#random', text: 'anyone here?', timestamp: start + 1000 },
  { type: 'chat/message', channel: '#general', text: 42, timestamp: start + 2000 }, // a bad one
  { type: 'chat/message', channel: '#general', text: 'welcome!', timestamp: start + 3000 }
])
console.log('appended', log.length, 'entries,', log.byteLength, 'bytes of JSON')

const raw = await log.get(0)
console.log('entry 0 comes back as an', typeof raw, '->', JSON.stringify(raw))

for (let seq = 0; seq < log.length; seq++) {
  const value = await log.get(seq)
  if (!isChatMessage(value)) {
    console.log(`entry ${seq}: skipped, not a valid chat/message`)
    continue
  }
  const time = new Date(value.timestamp).toISOString().slice(11, 19)
  console.log(`entry ${seq}: [${time}] ${value.channel} ${value.text}`)
}

// Only #general, by filtering while reading: this is the job a view will take over.
const general: string[] = []
for await (const value of log.createReadStream()) {
  if (isChatMessage(value) && value.channel === '#general') general.push(value.text)
}
console.log('#general:', general.join(' | '))

await log.close()
fs.rmSync(dir, { recursive: true, force: true })
