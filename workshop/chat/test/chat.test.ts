// The chat core in one process: two honest peers and a hostile one, connected
// by piped replication streams.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import { Kappa } from '@kappa-ts/kappa-core'
import { Chat, messageRecord, nickRecord, resolveHeads, ChatError, lockStorage, type ChatLine } from '../src/index.js'
import { tmpDir } from './helpers.js'

function connect (a: { replicate(i: boolean): Duplex }, b: { replicate(i: boolean): Duplex }): () => void {
  const sa = a.replicate(true)
  const sb = b.replicate(false)
  sa.pipe(sb).pipe(sa)
  return () => { sa.destroy(); sb.destroy() }
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
  return new Promise((resolve) => {
    let done = false
    // the chat's own events come after its caches are updated; 'indexed' covers heads read straight from the view
    const events = ['topic', 'nick', 'message'] as const
    const run = () => {
      void check().then((ok) => {
        if (!ok || done) return
        done = true
        chat.kappa.off('indexed', run)
        chat.kappa.off('skip', run)
        for (const e of events) chat.off(e, run)
        resolve()
      })
    }
    chat.kappa.on('indexed', run)
    chat.kappa.on('skip', run) // a batch of only skipped entries or blocks commits too
    for (const e of events) chat.on(e, run)
    run()
  })
}

test('two peers: messages on two channels, a nick and a topic; history in order', async (t) => {
  const root = tmpDir()
  const alice = await Chat.open({ storage: path.join(root, 'a') })
  const bob = await Chat.open({ storage: path.join(root, 'b'), key: alice.key })
  const stop = connect(alice.kappa, bob.kappa)
  try {
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
    try { await alice.send('#general', 'x'.repeat(5000)); t.fail('oversized accepted') } catch (err) {
      t.ok(err instanceof ChatError && err.code === 'ERR_INVALID_MESSAGE', 'oversized message rejected before writing')
    }
    t.equal((await alice.kappa.writer()).length, 5, 'nothing was appended by the rejected writes')
  } finally {
    stop()
    await alice.close()
    await bob.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
})

test('concurrent topic changes fork; every peer shows the same topic; a new change merges', async (t) => {
  const root = tmpDir()
  const alice = await Chat.open({ storage: path.join(root, 'a') })
  const bob = await Chat.open({ storage: path.join(root, 'b'), key: alice.key })
  let stop = connect(alice.kappa, bob.kappa)
  try {
    await alice.setTopic('#general', 'first')
    await until(bob, async () => (await bob.topicOf('#general')) === 'first')
    stop()
    // Offline, both change it; alice's change is the older one.
    await alice.setTopic('#general', 'from alice')
    await bob.setTopic('#general', 'from bob')
    stop = connect(alice.kappa, bob.kappa)
    const twoHeads = (c: Chat) => until(c, async () => (await c.kappa.api.meta.get('topic:#general')).length === 2)
    await Promise.all([twoHeads(alice), twoHeads(bob)])
    const heads = await alice.kappa.api.meta.get('topic:#general')
    t.deepEqual(heads.map((h) => h.value.text).sort(), ['from alice', 'from bob'], 'a fork: two heads')
    await until(alice, async () => (await alice.topicOf('#general')) === resolveHeads(heads)!.value.text)
    await until(bob, async () => (await bob.topicOf('#general')) === resolveHeads(heads)!.value.text)
    t.equal(await alice.topicOf('#general'), await bob.topicOf('#general'), `both show "${await bob.topicOf('#general')}"`)
    t.equal(await bob.topicOf('#general'), 'from bob', 'the later change wins (timestamp, then feed key), not the arrival order')
    await alice.setTopic('#general', 'merged')
    await until(bob, async () => (await bob.kappa.api.meta.get('topic:#general')).length === 1 && (await bob.topicOf('#general')) === 'merged')
    t.pass('the next change links both heads: one head, "merged", on bob')
  } finally {
    stop()
    await alice.close()
    await bob.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
})

test('a peer whose clock runs ahead cannot pin its messages to the bottom', async (t) => {
  const root = tmpDir()
  const honest = await Chat.open({ storage: path.join(root, 'a') })
  const ahead = await Chat.open({ storage: path.join(root, 'b'), key: honest.key, now: () => Date.now() + 365 * 24 * 3600 * 1000 })
  const stop = connect(honest.kappa, ahead.kappa)
  try {
    await ahead.send('#general', 'from the future')
    const seen = await messageWhere(honest, (l) => l.text === 'from the future')
    t.ok(seen.timestamp <= Date.now(), 'its timestamp was clamped to the indexing peer\'s clock')
    await new Promise((resolve) => setTimeout(resolve, 5)) // a later millisecond for the next message
    await honest.send('#general', 'written later')
    await messageWhere(honest, (l) => l.text === 'written later')
    t.deepEqual((await honest.history('#general')).map((l) => l.text), ['from the future', 'written later'], 'a later message sorts after it')
  } finally {
    stop()
    await honest.close()
    await ahead.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
})

test('hostile peer: escape codes are stripped, a 1 MB message and malformed records are ignored, nothing crashes', async (t) => {
  const root = tmpDir()
  const honest = await Chat.open({ storage: path.join(root, 'honest') })
  const honestKey = await honest.me()
  await honest.setNick('honest')
  // The hostile peer writes raw bytes, so it can also append entries that are not JSON at all
  // (packed into one block with good ones), and blocks that are not packed blocks.
  const hostile = new Kappa(path.join(root, 'hostile'), { key: honest.key, valueEncoding: 'binary' })
  await hostile.ready()
  const problems: unknown[] = []
  const undecodable: Array<{ view: string; block: number; index: number | null; code: string }> = []
  honest.on('problem', (p) => problems.push(p))
  honest.on('invalid-entry', (e) => undecodable.push(e))
  const raw = (v: unknown) => Buffer.from(JSON.stringify(v))
  const stop = connect(hostile, honest.kappa)
  try {
    const w = await hostile.writer()
    const ansi = '\x1b[2J\x1b[H\x1b[31mRED\x1b[0m \x1b]0;pwned\x07title \x9b6n done'
    const huge = messageRecord('#general', 'ok', Date.now())
    huge.value!.text = 'A'.repeat(1024 * 1024)
    const addresses = await w.append([
      raw(messageRecord('#general', ansi)), // valid by the schema: shown, but sanitized
      raw(huge), // 1 MB: fails the schema
      ...['just a string', 12345, null, [1, 2, 3], { schema: 'chat/message' }].map(raw),
      raw({ ...messageRecord('#general', 'extra'), evil: true }),
      raw(nickRecord(honestKey, 'impostor', [])), // a nick record for someone else's feed
      raw({ ...nickRecord(w.key, 'x', []), value: { nick: 'bad\x1b[31m' } }), // nick with ESC: fails the schema
      Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a]), // not JSON at all
      Buffer.from('{"schema": "chat/message", "truncated')
    ])
    await w.append(raw(messageRecord('#general', 'last hostile entry')))
    await w.feed.append(Buffer.from('not a packed block at all'))
    const blocks = w.length
    // blocks download (and get indexed) in any order: wait for both valid ones, then for every block
    await Promise.all([messageWhere(honest, (l) => l.text === 'last hostile entry'), messageWhere(honest, (l) => l.text.startsWith('RED'))])
    await until(honest, async () => honest.kappa.feed(w.key)?.contiguousLength === blocks)
    await honest.indexed()
    const lines = await honest.history('#general')
    t.deepEqual(lines.map((l) => l.text), ['RED title  done', 'last hostile entry'], 'only the two valid messages, the first stripped of escape codes')
    t.ok(lines.every((l) => !/[\x00-\x1f\x7f-\x9f]/.test(l.text)), 'no control characters reach a line') // eslint-disable-line no-control-regex
    t.equal(await honest.nickOf(honestKey), 'honest', 'a nick record for another feed does not change its nick')
    t.equal(await honest.nickOf(w.key), w.key.slice(0, 8), 'the invalid nick was ignored')
    t.equal((await honest.channels()).find((c) => c.channel === '#general')?.messages, 2, 'the channel view counted only valid messages')
    const status = honest.kappa.status()
    t.ok(Object.values(status).every((s) => s.error === null && s.state !== 'error'), 'every view healthy')
    t.deepEqual(problems, [], 'no view errors')
    const at = (a: { block: number; index: number | null }) => `${a.block}.${a.index ?? '-'}`
    const unreadable = undecodable.filter((e) => e.code === 'ERR_ENTRY_DECODE' || e.code === 'ERR_BLOCK_FORMAT')
    const noRecord = undecodable.filter((e) => e.code === 'ERR_NOT_INDEXABLE')
    t.deepEqual([...new Set(noRecord.map(at))].sort(), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => at(addresses[i]!)).sort(),
      'the JSON that is no valid chat record (1 MB, junk, an extra field, an impostor and a bad nick) was skipped and recorded, once (by one view)')
    t.ok(noRecord.every((e) => e.view === 'channels'), 'recorded by the channels view')
    t.deepEqual([...new Set(unreadable.map(at))].sort(), [at(addresses[10]!), at(addresses[11]!), `${blocks - 1}.-`].sort(),
      'the two entries that are not JSON (in a block with good ones) and the block that is not a packed block were reported and skipped')
    await honest.send('#general', 'still alive')
    await messageWhere(honest, (l) => l.text === 'still alive')
    t.pass('the chat goes on')
  } finally {
    stop()
    await hostile.close()
    await honest.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
})

test('one running chat per storage folder; a reopened chat keeps key, nick and history', async (t) => {
  const root = tmpDir()
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
  try {
    await Chat.open({ storage: dir, key: 'f'.repeat(64) })
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
  fs.rmSync(root, { recursive: true, force: true })
})
