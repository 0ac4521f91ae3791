// Chapter 11 starter: the chat app's data layer.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/11-chat/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import type { Kappa } from '@kappa-ts/kappa-core'
import { Chat, type ChatLine } from '@kappa-ts/chat'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch11-'))
// One shared clock that ticks a second per reading keeps the output stable: pass it as
// Chat.open({ ..., now: clock }). Carol's clock is ten years ahead of it.
let t = Date.UTC(2024, 0, 1, 12, 0, 0)
const clock = (): number => (t += 1000)
const carolsClock = (): number => t + 10 * 365 * 24 * 3600 * 1000

const alice = await Chat.open({ storage: path.join(tmp, 'alice'), now: clock })
const bob = await Chat.open({ storage: path.join(tmp, 'bob'), key: alice.key, now: clock })

// Connecting two peers (a Chat, or a plain Kappa for the hostile one) and waiting until
// `chat` holds and has indexed what its peers hold.
let streams: Duplex[] = []
const connect = (a: Chat | Kappa<any>, b: Chat): void => { // eslint-disable-line @typescript-eslint/no-explicit-any -- a kappa with any views
  const sa = (a instanceof Chat ? a.kappa : a).replicate(true)
  const sb = b.kappa.replicate(false)
  sa.pipe(sb).pipe(sa)
  streams.push(sa, sb)
}
const disconnect = (): void => { for (const s of streams) s.destroy(); streams = [] }
const synced = (chat: Chat): Promise<void> => chat.kappa.synced()
const show = (lines: ChatLine[]): string => lines.map((l) => `<${l.nick}> ${l.text}`).join(' | ')

// The steps of the exercise, with the texts of the expected output:
// TODO 1: connect alice and bob; nicks 'alice' and 'bob'; alice sends 'hi bob' to #general,
//         bob 'hello alice' to #general and 'anyone here?' to #random; a 5000-character
//         message from alice fails (print its err.code). Once synced, print alice's #general
//         history with show() and the channel list "channels: #general (2), #random (1)"
// TODO 2: disconnect; alice sets the #general topic to 'planning the workshop', bob to
//         'lunch plans'; reconnect. Both see two heads (chat.topicHeads('#general'))
//         and show the same topic; print it. Alice sets 'workshop, then lunch': print bob's topic
// TODO 3: carol (Chat.open with carolsClock) connects to alice and sends 'I am from the
//         future'; then alice sends 'written after it'; print the last two of #general
// TODO 4: mallory, a plain Kappa on the chat's logs ({ key: alice.kappa.key }), appends
//         straight to her log, as record-db envelopes { id, schema, op: 'put', timestamp,
//         links: [], value }: a chat/message whose text is 1 MB, { text: 'no envelope' }, a
//         chat/nick record for alice's feed key, and a chat/message
//         { channel: '#general', text: '\x1b[2J\x1b[31mred alert\x1b[0m', timestamp: t }. Print how
//         the last one shows, alice's nick, and how many messages #general has

disconnect()
await bob.close()
await alice.close()
fs.rmSync(tmp, { recursive: true, force: true })
