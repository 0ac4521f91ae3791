// Chapter 1: an append-only log and its entries.
// A hypercore is a log you can only add to. Every entry gets the next sequence
// number, starting at 0, and keeps it forever.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Hypercore from 'hypercore'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch01-'))

// A plain folder is all the storage a log needs.
const log = new Hypercore<string>(dir, { valueEncoding: 'utf-8' })
await log.ready()
console.log('empty log, length', log.length)

// append() takes one entry or an array (one atomic append) and returns the new length.
await log.append('hello')
const { length } = await log.append(['this is', 'an append-only', 'log'])
console.log('after appending 4 entries, length', length)

// Entries are read back by sequence number.
for (let seq = 0; seq < log.length; seq++) {
  console.log(`entry ${seq}: ${await log.get(seq)}`)
}

// A read stream walks the log in order, the way an indexer does.
const all: string[] = []
for await (const entry of log.createReadStream()) all.push(entry)
console.log('read stream:', all.join(' / '))

// The log survives a restart: close it and open the same folder again.
await log.close()
const again = new Hypercore<string>(dir, { valueEncoding: 'utf-8' })
await again.ready()
console.log('reopened, length', again.length, 'last entry:', await again.get(again.length - 1))

// There is no way to change entry 0: only to add more.
await again.append('the end')
console.log('entry 0 is still:', await again.get(0), '- length now', again.length)

await again.close()
fs.rmSync(dir, { recursive: true, force: true })
