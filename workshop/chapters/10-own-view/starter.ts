// Chapter 10 starter: writing your own view from scratch.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/10-own-view/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kappa, type View, type ViewContext, type Entry, type ViewBatch } from '@kappa-ts/kappa-core'

interface Msg { channel: string; text: string; timestamp: number }
const isMsg = (v: unknown): v is Msg => typeof v === 'object' && v !== null &&
  typeof (v as Msg).channel === 'string' && typeof (v as Msg).text === 'string'

interface Counts { messages: number; words: number }

// The view: messages and words per channel (a word: a run of non-space characters).
const countsView = {
  version: 1,
  // TODO 1: let only chat messages through (isMsg)
  filter: (entry: Entry<unknown>) => entry !== null,

  async map (entries: Entry<unknown>[], batch: ViewBatch, ctx: ViewContext) {
    // TODO 2: add up messages and words per channel, starting from what ctx.db holds
    //         (await ctx.db.get(channel)), and batch.put(channel, counts) once per channel
  },

  api: {
    // TODO 3: the counts of a channel ({ messages: 0, words: 0 } when none)
    async get (ctx: ViewContext, channel: string): Promise<Counts> {
      return { messages: 0, words: 0 }
    },
    // TODO 4: every [channel, counts] pair (for await over ctx.db.iterator())
    async all (ctx: ViewContext): Promise<Array<[string, Counts]>> {
      return []
    }
  }
} satisfies View

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch10-'))

// What is appended in the expected output: first these four in one append...
const firstBatch = [
  { channel: '#general', text: 'hello world', timestamp: 1 },
  { channel: '#general', text: 'how are you all', timestamp: 2 },
  { something: 'else' },
  { channel: '#random', text: 'cats', timestamp: 3 }
]
// ...then, after a restart, this one.
const afterRestart = { channel: '#random', text: 'more cats here', timestamp: 4 }

const kappa = new Kappa(path.join(tmp, 'peer')).use('counts', countsView)
await kappa.ready()

// TODO 5: append firstBatch, await indexed(); print "#general: " + JSON of get('#general'),
//         then one "#channel: N messages, M words" line per all() entry
// TODO 6: close, reopen with the same view, append afterRestart, print
//         "after restart and one more message, #random: {...}"
// TODO 7: close, reopen with { ...countsView, version: 2 } (rebuilt from the logs), print
//         "rebuilt from the logs: " + JSON of all(), and
//         "a channel never seen: " + JSON of get('#nobody')

await kappa.close()
fs.rmSync(tmp, { recursive: true, force: true })
