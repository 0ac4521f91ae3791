// The README's example, compiled with the tests: node packages/multifeed-index/dist/test/example.js
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Level } from 'level'
import { Multifeed } from '@kappa-ts/multifeed'
import { MultifeedIndex, EntryReader, type Entry } from '@kappa-ts/multifeed-index'

interface Message { author: string; text: string }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-example-'))
const multifeed = new Multifeed(path.join(dir, 'cores'))
const db = new Level<string, unknown>(path.join(dir, 'views'), { valueEncoding: 'json' })
const reader = new EntryReader(multifeed) // share one between all indexes

// A view: how many messages each author wrote.
const counts = new MultifeedIndex<Message>({
  multifeed,
  db: db.sublevel('counts'),
  reader,
  version: 1,
  async map (entries: Array<Entry<Message>>, batch, { data }) {
    const totals = new Map<string, number>()
    for (const { value } of entries) totals.set(value.author, (totals.get(value.author) ?? 0) + 1)
    const authors = [...totals.keys()]
    const stored = await data.getMany(authors)
    authors.forEach((a, i) => batch.put(a, (Number(stored[i] ?? 0)) + (totals.get(a) ?? 0), { sublevel: data }))
  }
})
counts.on('map-error', (err) => console.error('view failed at', err.feed, err.address, err.message))

const feed = await multifeed.writer()
await reader.append(feed, [{ author: 'ada', text: 'hi' }, { author: 'bob', text: 'hey' }, { author: 'ada', text: 'ok' }])
await counts.indexed()
console.log('ada wrote', await counts.data.get('ada'), 'messages;', counts.progress())

await counts.close()
await db.close()
await multifeed.close()
fs.rmSync(dir, { recursive: true, force: true })
