// The chat core in one process: two honest peers and a hostile one, connected
// by piped replication streams.
import test from 'tape'
import path from 'node:path'
import { Kappa } from '@kappa-ts/kappa-core'
import { RecordDB, winner } from '@kappa-ts/record-db'
import type { Envelope } from '@kappa-ts/schemas'
import { Chat, ChatError, lockStorage, CHAT_SCHEMAS, MESSAGE, NICK, TOPIC, type ChatLine, type ChatOptions } from '../src/index.js'
import { connect, openPair, untilEvent, type TestLike } from '@kappa-ts/test-helpers'
import { tmpDir } from './helpers.js'

/** A chat record as a peer writing raw entries makes it (the chat itself writes through record-db). */
function record (schema: string, id: string, value: unknown, timestamp: number, links: string[] = []): Envelope {
  return { id, schema, op: 'put', value, timestamp, links }
}

async function collectAll<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** Two chats of one key in folders of the test's, not connected; closed when the test ends. */
async function twoChats (t: TestLike, optsA: Partial<ChatOptions> = {}, optsB: Partial<ChatOptions> = {}): Promise<[Chat, Chat]> {
  return openPair(t, (dir, first?: Chat) => Chat.open({ ...(first === undefined ? optsA : { ...optsB, key: first.key }), storage: dir }), 'kappa-chat-')
}

/** Resolves with the first 'message' line matching `pred` (history included via a first check). */
function messageWhere (chat: Chat, pred: (l: ChatLine) => boolean, channel = '#general'): Promise<ChatLine> {
  return new Promise((resolve) => {
    let done = false
    const on = (l: ChatLine) => { if (!done && pred(l)) { done = true; chat.off('message', on); resolve(l) } }
    chat.on('message', on)
    void chat.history(channel).then((lines) => { const l = lines.find(pred); if (l !== undefined) on(l) })
  })
}

/** Resolves when `check()` holds, re-checking after each indexed batch and each chat event. */
function until (chat: Chat, check: () => Promise<boolean>): Promise<void> {
  // the chat's own events come after its caches are updated; 'indexed' covers heads read straight
  // from the view; 'skip': a batch of only skipped entries or blocks commits too
  return untilEvent([chat.kappa, chat], ['indexed', 'skip', 'topic', 'nick', 'message'], check, 'the chat', 60_000)
}

test('two peers: messages on two channels, a nick and a topic; history in order', async (t) => {
  const [alice, bob] = await twoChats(t)
  connect(alice.kappa, bob.kappa, t)
  t.equal(bob.key, alice.key, 'same chat')
  const aliceKey = await alice.me()
  await alice.send('#general', 'one')
  await alice.send('#random', 'two')
  await alice.setNick('alice')
  await alice.setTopic('#random', 'anything goes')
  await alice.send('#general', 'three')
  await messageWhere(bob, (l) => l.text === 'three')
  await until(bob, async () => (await bob.nickOf(aliceKey)) === 'alice' && (await bob.topicOf('#random')) === 'anything goes')
  t.deepEqual((await bob.history('#general')).map((l) => l.text), ['one', 'three'], '#general in order')
  t.deepEqual((await bob.history('#random')).map((l) => l.text), ['two'], '#random')
  t.ok((await bob.history('#general')).every((l) => l.nick === 'alice' && l.author === aliceKey), 'lines carry the resolved nick')
  const channels = await bob.channels()
  t.deepEqual(channels.map((c) => [c.channel, c.messages, c.topic]), [['#general', 2, ''], ['#random', 1, 'anything goes']], 'channel list with counts and topics')
  try { await alice.send('#bad channel', 'x'); t.fail('bad channel accepted') } catch (err) {
    t.ok(err instanceof ChatError && err.code === 'ERR_INVALID_CHANNEL', 'bad channel rejected')
  }
  const refused: Array<[string, () => Promise<unknown>]> = [
    ['a message over 4096 characters', () => alice.send('#general', 'x'.repeat(5000))],
    ['an empty message', () => alice.send('#general', '')],
    ['a nick with an escape code', () => alice.setNick('bad\x1bnick')],
    ['a nick over 32 characters', () => alice.setNick('x'.repeat(33))],
    ['a topic over 256 characters', () => alice.setTopic('#general', 'x'.repeat(257))]
  ]
  for (const [what, write] of refused) {
    try { await write(); t.fail(`${what} accepted`) } catch (err) {
      t.ok(err instanceof ChatError && err.code === 'ERR_INVALID_MESSAGE', `${what}: ERR_INVALID_MESSAGE (${(err as Error).message})`)
    }
  }
  t.equal((await alice.kappa.writer()).length, 5, 'nothing was appended by the rejected writes')
  const [nick] = await alice.nickHeads(aliceKey)
  t.equal(nick?.id, aliceKey, 'a nick is the chat/nick record under its author\'s feed key')
  t.deepEqual((await alice.topicHeads('#random')).map((v) => [v.schema, v.id]), [[TOPIC, '#random']], 'a topic, the chat/topic record under its channel')
})

test('concurrent topic changes fork; every peer shows the same topic; a new change merges', async (t) => {
  let clock = Date.now()
  const tick = (): number => (clock += 1000) // one clock for both: bob's change is the later one
  const [alice, bob] = await twoChats(t, { now: tick }, { now: tick })
  let stop = connect(alice.kappa, bob.kappa, t)
  await alice.setTopic('#general', 'first')
  await until(bob, async () => (await bob.topicOf('#general')) === 'first')
  stop()
  // Offline, both change it; alice's change is the older one.
  await alice.setTopic('#general', 'from alice')
  await bob.setTopic('#general', 'from bob')
  stop = connect(alice.kappa, bob.kappa, t)
  const twoHeads = (c: Chat) => until(c, async () => (await c.topicHeads('#general')).length === 2)
  await Promise.all([twoHeads(alice), twoHeads(bob)])
  const heads = await alice.topicHeads('#general')
  t.deepEqual(heads.map((h) => h.value!.topic).sort(), ['from alice', 'from bob'], 'a fork: two heads, both visible')
  t.deepEqual((await bob.topicHeads('#general')).map((h) => h.ref), heads.map((h) => h.ref), 'the same heads, in the same order, on both peers')
  const shown = winner(heads)!.value!.topic
  await until(alice, async () => (await alice.topicOf('#general')) === shown)
  await until(bob, async () => (await bob.topicOf('#general')) === shown)
  t.equal(await alice.topicOf('#general'), await bob.topicOf('#general'), `both show "${await bob.topicOf('#general')}": record-db's winner`)
  t.equal(await bob.topicOf('#general'), 'from bob', 'the later change wins (timestamp, then feed key), not the arrival order')
  await alice.setTopic('#general', 'merged')
  await until(bob, async () => (await bob.topicHeads('#general')).length === 1 && (await bob.topicOf('#general')) === 'merged')
  t.pass('the next change links both heads: one head, "merged", on bob')
})

test('a peer whose clock runs ahead cannot pin its messages to the bottom', async (t) => {
  const [honest, ahead] = await twoChats(t, {}, { now: () => Date.now() + 365 * 24 * 3600 * 1000 })
  connect(honest.kappa, ahead.kappa, t)
  await ahead.send('#general', 'from the future')
  const seen = await messageWhere(honest, (l) => l.text === 'from the future')
  t.ok(seen.timestamp <= Date.now(), 'its timestamp was clamped to the indexing peer\'s clock')
  await new Promise((resolve) => setTimeout(resolve, 5)) // a later millisecond for the next message
  await honest.send('#general', 'written later')
  await messageWhere(honest, (l) => l.text === 'written later')
  t.deepEqual((await honest.history('#general')).map((l) => l.text), ['from the future', 'written later'], 'a later message sorts after it')
})

test('hostile peer: escape codes are stripped; a 1 MB message, malformed records, replacing or deleting others\' records are ignored; nothing crashes', async (t) => {
  const root = tmpDir(t)
  const honest = await Chat.open({ storage: path.join(root, 'honest') })
  const honestKey = await honest.me()
  await honest.setNick('honest')
  const helloRef = await honest.send('#general', 'honest hello')
  const [hello] = await collectAll(honest.db.query(MESSAGE, { where: { channel: '#general' }, order: 'timestamp' }))
  const helloId = hello!.id
  // The hostile peer writes raw bytes, so it can also append entries that are not JSON at all
  // (packed into one block with good ones), and blocks that are not packed blocks.
  const hostile = new Kappa(path.join(root, 'hostile'), { key: honest.kappa.key, valueEncoding: 'binary' })
  await hostile.ready()
  const problems: unknown[] = []
  const undecodable: Array<{ view: string; block: number; index: number | null; code: string }> = []
  honest.on('problem', (p) => problems.push(p))
  honest.on('invalid-entry', (e) => undecodable.push(e))
  const raw = (v: unknown) => Buffer.from(JSON.stringify(v))
  const stop = connect(hostile, honest.kappa)
  try {
    const w = await hostile.writer()
    const ts = Date.now() + 1000 // after the honest hello
    const msg = (text: string, extra: Record<string, unknown> = {}) => record(MESSAGE, `m${text.length}-${Math.random()}`, { channel: '#general', text, timestamp: ts, ...extra }, ts)
    const ansi = '\x1b[2J\x1b[H\x1b[31mRED\x1b[0m \x1b]0;pwned\x07title \x9b6n done'
    const good = msg('ok')
    const malformed: Array<[string, unknown]> = [
      ['1 MB text', msg('A'.repeat(1024 * 1024))],
      ...['just a string', 12345, null, [1, 2, 3], { schema: MESSAGE }].map((v): [string, unknown] => [`junk ${JSON.stringify(v)}`, v]),
      ['an extra envelope field', { ...msg('extra'), evil: true }],
      ['a nick for another feed', record(NICK, honestKey, { nick: 'impostor' }, ts)],
      ['a nick with an escape code', record(NICK, w.key, { nick: 'bad\x1b[31m' }, ts)],
      ['a message under the nick schema', { ...good, schema: NICK }],
      ['a tombstone of the honest message', { id: helloId, schema: MESSAGE, op: 'del', timestamp: ts, links: [helloRef] }],
      ['a replacement of the honest message', record(MESSAGE, helloId, { channel: '#general', text: 'edited by mallory', timestamp: ts }, ts, [helloRef])],
      ['an extra value field', msg('extra', { extra: 1 })],
      ['a bad channel', msg('bad', { channel: '#a b' })],
      ['a topic under another channel\'s id', record(TOPIC, '#b', { channel: '#general', topic: 'hijack' }, ts)],
      ['a huge extra field', { ...good, junk: 'y'.repeat(100_000) }],
      ['a bad link', { ...good, links: ['nope'] }],
      ['a negative timestamp', { ...good, timestamp: -1 }]
    ]
    const addresses = await w.append([
      raw(msg(ansi)), // valid by the schema: shown, but sanitized
      ...malformed.map(([, v]) => raw(v)),
      Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a]), // not JSON at all
      Buffer.from('{"schema": "chat/message", "truncated')
    ])
    await w.append(raw(record(MESSAGE, 'last', { channel: '#general', text: 'last hostile entry', timestamp: ts + 1 }, ts + 1)))
    await w.feed.append(Buffer.from('not a packed block at all'))
    const blocks = w.length
    // blocks download (and get indexed) in any order: wait for both valid ones, then for every block
    await Promise.all([messageWhere(honest, (l) => l.text === 'last hostile entry'), messageWhere(honest, (l) => l.text.startsWith('RED'))])
    await until(honest, async () => honest.kappa.feed(w.key)?.contiguousLength === blocks)
    await honest.indexed()
    const lines = await honest.history('#general')
    t.deepEqual(lines.map((l) => l.text), ['honest hello', 'RED title  done', 'last hostile entry'], 'the honest message and the two valid hostile ones, the first stripped of escape codes')
    t.ok(lines.every((l) => !/[\x00-\x1f\x7f-\x9f]/.test(l.text)), 'no control characters reach a line')
    t.equal(lines[0]?.id, helloRef, 'the honest message is neither deleted nor replaced')
    t.equal(await honest.nickOf(honestKey), 'honest', 'a nick record for another feed does not change its nick')
    t.equal(await honest.nickOf(w.key), w.key.slice(0, 8), 'the invalid nick was ignored')
    t.equal(await honest.topicOf('#general'), '', 'no topic under another channel\'s id')
    t.equal((await honest.channels()).find((c) => c.channel === '#general')?.messages, 3, 'the channel counts only valid messages')
    const status = honest.kappa.status()
    t.ok(Object.values(status).every((s) => s.error === null && s.state !== 'error'), 'the records view is healthy')
    t.deepEqual(problems, [], 'no view errors')
    const at = (a: { block: number; index: number | null }) => `${a.block}.${a.index ?? '-'}`
    const unreadable = undecodable.filter((e) => e.code === 'ERR_ENTRY_DECODE' || e.code === 'ERR_BLOCK_FORMAT')
    const noRecord = undecodable.filter((e) => e.code === 'ERR_NOT_INDEXABLE')
    t.deepEqual(noRecord.map(at).sort(), malformed.map((_, i) => at(addresses[i + 1]!)).sort(),
      `each of the ${malformed.length} JSON entries that are no valid chat record was skipped and recorded, once`)
    t.ok(noRecord.every((e) => e.view === 'records'), 'by record-db\'s records view')
    t.deepEqual(unreadable.map(at).sort(), [at(addresses.at(-2)!), at(addresses.at(-1)!), `${blocks - 1}.-`].sort(),
      'the two entries that are not JSON (in a block with good ones) and the block that is not a packed block were reported and skipped')
    await honest.send('#general', 'still alive')
    await messageWhere(honest, (l) => l.text === 'still alive')
    t.pass('the chat goes on')
  } finally {
    stop()
    await hostile.close()
    await honest.close()
  }
})

test('one running chat per storage folder; a reopened chat keeps key, nick and history', async (t) => {
  const root = tmpDir(t)
  const dir = path.join(root, 'a')
  const chat = await Chat.open({ storage: dir })
  try {
    await chat.setNick('keeper')
    await chat.send('#general', 'remember me')
    try { lockStorage(dir); t.fail('second lock taken') } catch (err) {
      t.ok(err instanceof ChatError && err.code === 'ERR_STORAGE_IN_USE', 'a second chat on the same storage is refused')
    }
  } finally {
    await chat.close()
  }
  const again = await Chat.open({ storage: dir })
  try {
    t.equal(again.key, chat.key, 'same chat key')
    t.equal(await again.nickOf(await again.me()), 'keeper', 'nick')
    t.deepEqual((await again.history('#general')).map((l) => l.text), ['remember me'], 'history from the views')
  } finally {
    await again.close()
  }
  // The chat's storage is a record-db database: record-db reads the same records, the same way.
  const db = new RecordDB(dir, { schemas: CHAT_SCHEMAS })
  await db.ready()
  try {
    const [message] = await collectAll(db.query(MESSAGE, { where: { channel: '#general' }, order: 'timestamp' }))
    t.equal((message?.value as { text?: string } | undefined)?.text, 'remember me', 'a plain RecordDB with the chat schemas lists the message')
    t.equal(winner(await db.get(NICK, (message as { feed: string }).feed))?.value !== undefined, true, 'and finds its author\'s nick')
  } finally {
    await db.close()
  }
  try {
    await Chat.open({ storage: dir, key: 'f'.repeat(128) })
    t.fail('opened with another key')
  } catch (err) {
    t.ok(err instanceof ChatError && err.code === 'ERR_KEY_MISMATCH', 'another key on this storage: ERR_KEY_MISMATCH')
  }
  try {
    await Chat.open({ storage: path.join(root, 'b'), key: 'nothex' })
    t.fail('bad key accepted')
  } catch (err) {
    t.ok(err instanceof ChatError && err.code === 'ERR_BAD_KEY', 'a malformed key: ERR_BAD_KEY')
  }
})
