// Chapter 11: the chat app's data layer.
// kappa-chat (workshop/chat) is chapters 1-10 put together, as a record-db database:
// records validated against JSON Schemas, one log per author, one view that keeps
// every version with its links (forks visible) and the indexes (a channel's messages
// in time order), and the rules that make every peer show the same screen. Here it
// runs without its terminal UI.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import { Kappa } from '@kappa-ts/kappa-core'
import { Chat, type ChatLine } from '@kappa-ts/chat'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch11-'))
// One shared clock that ticks a second per reading keeps this output stable.
let t = Date.UTC(2024, 0, 1, 12, 0, 0)
const clock = () => (t += 1000)

const alice = await Chat.open({ storage: path.join(tmp, 'alice'), now: clock })
const bob = await Chat.open({ storage: path.join(tmp, 'bob'), key: alice.key, now: clock })
const aliceKey = await alice.me()
const bobKey = await bob.me()

let streams: Duplex[] = []
const connect = (a: Chat | Kappa<any>, b: Chat) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- a kappa with any views
  const ka = a instanceof Chat ? a.kappa : a
  const sa = ka.replicate(true)
  const sb = b.kappa.replicate(false)
  sa.pipe(sb).pipe(sa)
  streams.push(sa, sb)
}
const disconnect = () => { for (const s of streams) s.destroy(); streams = [] }
// Resolves when `ok()` holds, re-checking on every event of the chat.
const until = (chat: Chat, ok: () => Promise<boolean>) => new Promise<void>((resolve) => {
  const check = () => { void ok().then((yes) => { if (yes) { for (const e of ['message', 'nick', 'topic']) chat.off(e, check); chat.kappa.off('indexed', check); resolve() } }) }
  for (const e of ['message', 'nick', 'topic']) chat.on(e, check)
  chat.kappa.on('indexed', check)
  check()
})
const show = (lines: ChatLine[]) => lines.map((l) => `<${l.nick}> ${l.text}`).join(' | ')

// 1. Messages and nicks. Writes are validated first: a bad one throws and writes nothing.
connect(alice, bob)
await alice.setNick('alice')
await bob.setNick('bob')
await alice.send('#general', 'hi bob')
await bob.send('#general', 'hello alice')
await bob.send('#random', 'anyone here?')
try {
  await alice.send('#general', 'x'.repeat(5000))
} catch (err) {
  console.log('a 5000-character message:', (err as { code: string }).code)
}
await until(alice, async () => (await alice.history('#general')).length === 2 && (await alice.history('#random')).length === 1 && (await alice.nickOf(bobKey)) === 'bob')
console.log('alice sees #general:', show(await alice.history('#general')))
console.log('channels:', (await alice.channels()).map((c) => `${c.channel} (${c.messages})`).join(', '))

// 2. A fork: both change the topic of #general while disconnected.
disconnect()
await alice.setTopic('#general', 'planning the workshop')
await bob.setTopic('#general', 'lunch plans')
connect(alice, bob)
const forked = (c: Chat) => until(c, async () => (await c.topicHeads('#general')).length === 2)
await forked(alice)
await forked(bob)
await until(alice, async () => (await alice.topicOf('#general')) === (await bob.topicOf('#general')))
console.log('two heads; both peers show:', JSON.stringify(await alice.topicOf('#general')), '(the later change wins)')
await alice.setTopic('#general', 'workshop, then lunch')
await until(bob, async () => (await bob.topicHeads('#general')).length === 1 && (await bob.topicOf('#general')) === 'workshop, then lunch')
console.log('merged: bob shows', JSON.stringify(await bob.topicOf('#general')))

// 3. A peer whose clock is ten years ahead: its message is clamped when indexed.
const carol = await Chat.open({ storage: path.join(tmp, 'carol'), key: alice.key, now: () => t + 10 * 365 * 24 * 3600 * 1000 })
connect(carol.kappa, alice)
await carol.send('#general', 'I am from the future')
await until(alice, async () => (await alice.history('#general')).some((l) => l.text === 'I am from the future'))
await alice.send('#general', 'written after it')
await until(alice, async () => (await alice.history('#general')).some((l) => l.text === 'written after it'))
console.log('#general ends:', show((await alice.history('#general')).slice(-2)).replace(/<[0-9a-f]{8}>/, '<carol>'))

// 4. A hostile peer writes to its own log directly, skipping validation: a plain Kappa
// on the chat's logs (alice.kappa.key: the key of the set of logs, derived from the chat key).
const mallory = new Kappa(path.join(tmp, 'mallory'), { key: alice.kappa.key })
await mallory.ready()
connect(mallory, alice)
const w = await mallory.writer()
const message = (id: string, text: string) => ({ id, schema: 'chat/message', op: 'put', timestamp: t, links: [], value: { channel: '#general', text, timestamp: t } })
await w.append([
  message('huge', 'A'.repeat(1024 * 1024)), // 1 MB: over the size limit and the schema, skipped
  { text: 'no envelope' }, // skipped
  { id: aliceKey, schema: 'chat/nick', op: 'put', timestamp: 1, links: [], value: { nick: 'mallory' } }, // someone else's nick: skipped
  message('red', '\x1b[2J\x1b[31mred alert\x1b[0m') // valid, shown without its escape codes
])
await until(alice, async () => (await alice.history('#general')).some((l) => l.text.includes('red alert')))
const last = (await alice.history('#general')).at(-1)!
console.log('hostile message shown as', JSON.stringify(last.text), '- alice is still', JSON.stringify(await alice.nickOf(aliceKey)))
console.log('#general has', (await alice.history('#general')).length, 'messages; the 1 MB one is not among them')

disconnect()
await mallory.close()
await carol.close()
await bob.close()
await alice.close()
fs.rmSync(tmp, { recursive: true, force: true })
