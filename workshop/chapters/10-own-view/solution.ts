// Chapter 10: writing your own view from scratch.
// A view is a plain object. kappa-core calls map(entries, batch, ctx) with
// batches of new entries from any feed; map writes into `batch` (the view's own
// LevelDB sublevel), and kappa commits those writes TOGETHER with the view's
// progress, atomically. So a crash never loses or double-counts an entry.
// `api` functions answer queries from ctx.db; kappa exposes them as kappa.api.<name>.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kappa, type View, type ViewContext, type Entry, type ViewBatch } from '@kappa-ts/kappa-core'

interface Msg { channel: string; text: string; timestamp: number }
const isMsg = (v: unknown): v is Msg => typeof v === 'object' && v !== null &&
  typeof (v as Msg).channel === 'string' && typeof (v as Msg).text === 'string'

// A view that counts messages and words per channel.
interface Counts { messages: number; words: number }

const countsView = {
  version: 1, // bump it when map() changes: the view is cleared and rebuilt from the logs
  // Only messages reach map(); the cursor still moves past everything else.
  filter: (entry: Entry<unknown>) => isMsg(entry.value),

  async map (entries: Entry<unknown>[], batch: ViewBatch, ctx: ViewContext) {
    // Several entries of one batch may touch the same channel: add them up in
    // memory first, starting from what is stored, then write each channel once.
    const totals = new Map<string, Counts>()
    for (const { value } of entries) {
      const msg = value as Msg
      let c = totals.get(msg.channel)
      if (c === undefined) {
        c = (await ctx.db.get(msg.channel) as Counts | undefined) ?? { messages: 0, words: 0 }
        totals.set(msg.channel, c)
      }
      c.messages += 1
      c.words += msg.text.split(/\s+/).filter(Boolean).length
    }
    for (const [channel, c] of totals) batch.put(channel, c)
  },

  api: {
    async get (ctx: ViewContext, channel: string): Promise<Counts> {
      return (await ctx.db.get(channel) as Counts | undefined) ?? { messages: 0, words: 0 }
    },
    async all (ctx: ViewContext): Promise<Array<[string, Counts]>> {
      const out: Array<[string, Counts]> = []
      for await (const [k, v] of ctx.db.iterator()) out.push([k as string, v as Counts])
      return out
    }
  }
} satisfies View

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch10-'))
const kappa = new Kappa(path.join(tmp, 'peer')).use('counts', countsView)
await kappa.ready()
const w = await kappa.writer()
await w.append([
  { channel: '#general', text: 'hello world', timestamp: 1 },
  { channel: '#general', text: 'how are you all', timestamp: 2 },
  { something: 'else' },
  { channel: '#random', text: 'cats', timestamp: 3 }
])
await kappa.indexed()
console.log('#general:', JSON.stringify(await kappa.api.counts.get('#general')))
for (const [channel, c] of await kappa.api.counts.all()) console.log(`${channel}: ${c.messages} messages, ${c.words} words`)

// Restart with the same view: nothing is counted twice (progress was committed with the counts).
await kappa.close()
const again = new Kappa(path.join(tmp, 'peer')).use('counts', countsView)
await again.ready()
await (await again.writer()).append({ channel: '#random', text: 'more cats here', timestamp: 4 })
await again.indexed()
console.log('after restart and one more message, #random:', JSON.stringify(await again.api.counts.get('#random')))

// Restart with version 2: the view is wiped and rebuilt from the logs, same result.
await again.close()
const rebuilt = new Kappa(path.join(tmp, 'peer')).use('counts', { ...countsView, version: 2 })
await rebuilt.ready()
await rebuilt.indexed()
console.log('rebuilt from the logs:', JSON.stringify(await rebuilt.api.counts.all()))
console.log('a channel never seen:', JSON.stringify(await rebuilt.api.counts.get('#nobody')))
await rebuilt.close()
fs.rmSync(tmp, { recursive: true, force: true })
