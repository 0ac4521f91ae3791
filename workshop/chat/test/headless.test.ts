// Two kappa-chat --headless processes through a local DHT (the first one's
// --local node, reused by the second): messages on two channels, a nick change
// and a topic arrive on the other side in order; a restart shows the history.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { BIN, Headless, freeUdpPort, tmpDir, type Msg } from './helpers.js'

// Message texts of a channel in timestamp order (blocks may download, and so be indexed, out of order).
const texts = (msgs: Msg[], channel: string, author?: string) =>
  msgs.filter((m) => m.type === 'message' && m.channel === channel && (author === undefined || m.author === author))
    .sort((a, b) => a.timestamp - b.timestamp).map((m) => m.text as string)

test('two headless peers over --local: channels, nick, topic, live both ways; restart shows history', async (t) => {
  const root = tmpDir(t)
  const port = String(await freeUdpPort())
  const procs: Headless[] = []
  try {
    const alice = new Headless('alice', ['--storage', path.join(root, 'alice'), '--local', '--local-port', port, '--nick', 'alice'])
    procs.push(alice)
    const aReady = await alice.wait((m) => m.type === 'ready', 'alice ready')
    t.equal(aReady.local, true, `alice started the local DHT node (${aReady.bootstrap})`)
    t.match(aReady.key, /^[0-9a-f]{128}$/, 'a new chat with a key')
    const key = aReady.key as string
    const aliceKey = aReady.me as string

    const bob = new Headless('bob', [key, '--storage', path.join(root, 'bob'), '--local', '--local-port', port, '--nick', 'bob'])
    procs.push(bob)
    const bReady = await bob.wait((m) => m.type === 'ready', 'bob ready')
    t.equal(bReady.local, false, 'bob found the port taken and used alice\'s DHT node')
    t.equal(bReady.key, key, 'bob joined the same chat')
    await Promise.all([
      alice.wait((m) => m.type === 'peers' && m.count >= 1, 'alice sees a peer'),
      bob.wait((m) => m.type === 'peers' && m.count >= 1, 'bob sees a peer')
    ])
    t.pass('connected through the local DHT')

    alice.send('good morning')
    alice.send('/join #random')
    alice.send('random thought')
    alice.send('/nick alicia')
    alice.send('/topic anything goes')
    alice.send('/join #general')
    alice.send('second in general')
    const lastFromAlice = await bob.wait((m) => m.type === 'message' && m.text === 'second in general', 'bob gets the last message')
    await bob.wait((m) => m.type === 'topic' && m.channel === '#random' && m.topic === 'anything goes', 'bob gets the topic')
    await bob.wait((m) => m.type === 'nick' && m.author === aliceKey && m.nick === 'alicia', 'bob gets the nick change')
    // Blocks download (and so are indexed) in any order: the last one says nothing of the others.
    for (const text of ['good morning', 'random thought']) await bob.wait((m) => m.type === 'message' && m.text === text, `bob gets "${text}"`)
    t.deepEqual(texts(bob.messages, '#general', aliceKey), ['good morning', 'second in general'], '#general arrived in order')
    t.deepEqual(texts(bob.messages, '#random', aliceKey), ['random thought'], '#random arrived')
    t.ok(lastFromAlice.timestamp >= bob.messages.find((m) => m.text === 'good morning')!.timestamp, 'timestamps in order')
    const history = await bob.ask('/history', 'history')
    t.deepEqual(history.lines.map((l: Msg) => l.text), ['good morning', 'second in general'], 'bob\'s view of #general, in order')
    t.ok(history.lines.filter((l: Msg) => l.author === aliceKey).every((l: Msg) => l.nick === 'alicia'), 'bob shows alice\'s lines under her new nick')
    const channels = await bob.ask('/channels', 'channels')
    t.deepEqual(channels.channels.map((c: Msg) => [c.channel, c.topic]), [['#general', ''], ['#random', 'anything goes']], 'bob\'s channel list')

    bob.send('hi alicia')
    await alice.wait((m) => m.type === 'message' && m.text === 'hi alicia' && m.nick === 'bob', 'alice gets bob\'s reply, under his nick')
    t.pass('live the other way too')
    t.equal((await bob.ask('/key', 'key')).key, key, '/key prints the chat key')

    await bob.ask('/quit', 'bye')
    t.equal((await bob.exited).code, 0, 'bob quit cleanly')

    // Restart bob offline on the same storage: everything is there, from his views.
    const again = new Headless('bob-again', [key, '--storage', path.join(root, 'bob'), '--offline'])
    procs.push(again)
    const ready2 = await again.wait((m) => m.type === 'ready', 'bob ready again')
    t.equal(ready2.nick, 'bob', 'his nick survived the restart')
    const hist = again.messages.filter((m) => m.type === 'message' && m.history === true)
    t.deepEqual(texts(hist, '#general'), ['good morning', 'second in general', 'hi alicia'], '#general history after restart')
    t.deepEqual(texts(hist, '#random'), ['random thought'], '#random history after restart')
    t.ok(hist.filter((m) => m.author === aliceKey).every((m) => m.nick === 'alicia'), 'with alice\'s nick')
    t.equal((await again.ask('/channels', 'channels')).channels.find((c: Msg) => c.channel === '#random').topic, 'anything goes', 'and the topic')
    await again.ask('/quit', 'bye')
    await alice.ask('/quit', 'bye')
    t.equal((await alice.exited).code, 0, 'alice quit cleanly')
  } finally {
    for (const p of procs) p.kill()
  }
})

test('headless: bad commands and bad input get typed errors, the process lives', async (t) => {
  const root = tmpDir(t)
  const p = new Headless('solo', ['--storage', root, '--offline'])
  try {
    await p.wait((m) => m.type === 'ready', 'ready')
    t.equal((await p.ask('/frobnicate', 'error')).code, 'ERR_BAD_COMMAND', 'unknown command')
    t.equal((await p.ask('/join #no spaces', 'error')).code, 'ERR_BAD_COMMAND', 'bad channel')
    t.equal((await p.ask('x'.repeat(5000), 'error')).code, 'ERR_INVALID_MESSAGE', 'a message over 4096 characters')
    t.equal((await p.ask('/nick ' + 'n'.repeat(40), 'error')).code, 'ERR_INVALID_MESSAGE', 'a nick over 32 characters')
    t.equal((await p.ask('M'.repeat(1024 * 1024), 'error')).code, 'ERR_INVALID_MESSAGE', 'a 1 MB line is refused, not written')
    t.equal((await p.ask('/nick bad\x1b[31mnick', 'error')).code, 'ERR_INVALID_MESSAGE', 'a nick with an escape code is refused')
    const sent = await p.ask('still here', 'sent')
    t.ok(sent.id, 'and it still sends')
    await p.ask('/quit', 'bye')
    t.equal((await p.exited).code, 0, 'clean exit')
  } finally {
    p.kill()
  }
})

test('without a terminal and without --headless: a clear message, exit 2, nothing created', (t) => {
  const root = tmpDir(t)
  const r = spawnSync(process.execPath, [BIN, '--storage', path.join(root, 'x'), '--offline'], { input: '', encoding: 'utf8' })
  t.equal(r.status, 2, 'exit code 2')
  t.match(r.stderr, /needs a terminal; use --headless/, 'says why and what to use')
  t.notOk(fs.existsSync(path.join(root, 'x')), 'no storage created')
  t.end()
})

test('a plain restart reopens the chat opened last, with its key and history; --new starts another; --offline never joins', async (t) => {
  const home = tmpDir(t)
  const env = { KAPPA_CHAT_HOME: home }
  const procs: Headless[] = []
  const start = async (label: string, args: string[]): Promise<{ p: Headless; ready: Msg }> => {
    const p = new Headless(label, ['--offline', ...args], env)
    procs.push(p)
    return { p, ready: await p.wait((m) => m.type === 'ready', `${label} ready`) }
  }
  const quit = async (p: Headless): Promise<void> => {
    await p.ask('/quit', 'bye')
    t.equal((await p.exited).code, 0, `${p.label} quit cleanly`)
  }
  try {
    const first = await start('first', [])
    const key = first.ready.key as string
    t.match(key, /^[0-9a-f]{128}$/, 'the first start creates a chat')
    await first.p.ask('written before the restart', 'sent')
    await quit(first.p)
    t.notOk(first.p.messages.some((m) => m.type === 'joined-swarm'), '--offline: no joined-swarm line')

    const second = await start('second', [])
    t.equal(second.ready.key, key, 'a plain restart reopens the same chat (same key)')
    t.equal(second.ready.me, first.ready.me, 'as the same author (same storage)')
    t.ok(second.p.messages.some((m) => m.type === 'message' && m.history === true && m.text === 'written before the restart'), 'and shows its history')
    await quit(second.p)

    const fresh = await start('fresh', ['--new'])
    t.notEqual(fresh.ready.key, key, '--new creates another chat')
    await quit(fresh.p)
    const after = await start('after', [])
    t.equal(after.ready.key, fresh.ready.key, 'which the next plain start reopens')
    await quit(after.p)

    const both = spawnSync(process.execPath, [BIN, key, '--new', '--headless', '--offline'], { input: '', encoding: 'utf8', env: { ...process.env, ...env } })
    t.equal(both.status, 2, 'a KEY and --new together: usage error, exit 2')
    t.match(both.stderr, /pass a KEY or --new, not both/, 'saying why')
  } finally {
    for (const p of procs) p.kill()
  }
})
