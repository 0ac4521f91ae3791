import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { Duplex } from 'node:stream'
import { EventEmitter } from 'node:events'
import { spawn } from 'node:child_process'
import { closeAtEnd, connect, defer, eventually, firstEvents, killWhenPrinted, LineProcess, makeTmpDir, nextEvent, opened, openPair, tmpDir, untilEvent } from '../src/index.js'

let kept = ''
test('tmpDir: a fresh folder that exists during the test', (t) => {
  kept = tmpDir(t, 'kappa-helpers-')
  t.ok(fs.statSync(kept).isDirectory(), 'the folder exists')
  t.notEqual(tmpDir(t), kept, 'each call makes another folder')
  fs.writeFileSync(`${kept}/file`, 'x')
  const inside = tmpDir(t, 'nested-', kept)
  t.equal(path.dirname(inside), kept, 'made under the parent given')
  t.end()
})

test('tmpDir: removed, with its contents, once the test has ended', (t) => {
  t.equal(fs.existsSync(kept), false)
  const { dir, cleanup } = makeTmpDir('kappa-helpers-')
  t.ok(fs.existsSync(dir), 'makeTmpDir: made')
  cleanup()
  t.equal(fs.existsSync(dir), false, 'makeTmpDir: removed by its cleanup')
  t.end()
})

test('eventually: resolves once the check holds; rejects naming what it waited for', async (t) => {
  let n = 0
  await eventually(() => ++n >= 3, 'three looks', { intervalMs: 1 })
  t.equal(n, 3, 'asked until it held')
  await eventually(async () => true, 'an async check')
  try {
    await eventually(() => false, 'what never happens', { timeoutMs: 0, intervalMs: 1 })
    t.fail('should have rejected')
  } catch (err) {
    t.equal((err as Error).message, 'timed out waiting for: what never happens')
  }
})

/** An object whose replication stream is one end of a pair that echoes what is written to it. */
function peer (): { replicate (initiator: boolean): Duplex; streams: Duplex[]; got: string[] } {
  const p = {
    streams: [] as Duplex[],
    got: [] as string[],
    replicate (initiator: boolean): Duplex {
      const s = new Duplex({
        read () {},
        write (chunk: Buffer, _enc, cb) { p.got.push(chunk.toString()); cb() }
      })
      if (initiator) s.push('hello from a')
      else s.push('hello from b')
      p.streams.push(s)
      return s
    }
  }
  return p
}

test('connect: each side hears the other; the returned function ends both streams', async (t) => {
  const a = peer()
  const b = peer()
  const end = connect(a, b)
  await eventually(() => a.got.length > 0 && b.got.length > 0, 'both sides to hear')
  t.deepEqual(a.got, ['hello from b'])
  t.deepEqual(b.got, ['hello from a'])
  end()
  t.ok(a.streams[0]?.destroyed && b.streams[0]?.destroyed, 'both streams ended')
})

let ended: Duplex[] = []
test('connect with t: the streams end when the test ends', (t) => {
  const a = peer()
  const b = peer()
  connect(a, b, t)
  ended = [...a.streams, ...b.streams]
  t.notOk(ended.some((s) => s.destroyed), 'open during the test')
  t.end()
})

test('connect with t: ended', (t) => {
  t.ok(ended.every((s) => s.destroyed))
  t.end()
})

test('killWhenPrinted: the child is killed once it prints the marker; what it printed comes back', async (t) => {
  // without the kill this child would never exit (its interval keeps it alive)
  const out = await killWhenPrinted('-e', ["process.stdout.write('working\\ndone\\n'); setInterval(() => {}, 1000)"])
  t.equal(out, 'working\ndone\n')
  const custom = await killWhenPrinted('-e', ["process.stdout.write('ready ' + process.argv[1] + '\\n'); setInterval(() => {}, 1000)", 'x'], 'ready x')
  t.equal(custom, 'ready x\n', 'another marker, and the arguments reach the child')
})

test('firstEvents: keeps the first description per event; seen() waits for one, or resolves at once', async (t) => {
  const events = firstEvents<'a' | 'b'>()
  const waitingTwice = Promise.all([events.seen('a'), events.seen('a')])
  events.record('a', 'first')
  events.record('a', 'second')
  await waitingTwice
  t.equal(events.got.get('a'), 'first', 'the first call counts')
  t.equal(events.got.has('b'), false, 'nothing for an event not recorded')
  await events.seen('a')
  t.pass('seen() of a recorded event resolves at once')
})

const order: string[] = []
test('defer: steps run when the test ends, last registered first, after the folder\'s contents are closed', (t) => {
  const dir = tmpDir(t, 'kappa-helpers-')
  defer(t, () => { order.push('first registered') })
  closeAtEnd(t, { close: async () => { order.push(`closed while the folder exists: ${fs.existsSync(dir)}`) } })
  t.deepEqual(order, [], 'nothing ran during the test')
  t.end()
})

let openedLog: string[] = []
test('opened: the resource is ready when it resolves, and closed when the test ends', async (t) => {
  const r = { ready: async () => { openedLog.push('ready') }, close: () => { openedLog.push('close') } }
  t.equal(await opened(t, r), r, 'resolves with the resource')
  t.deepEqual(openedLog, ['ready'], 'ready, not closed yet')
})

test('opened: closed', (t) => {
  t.deepEqual(openedLog, ['ready', 'close'])
  openedLog = []
  t.end()
})

test('defer: ran in reverse order, the tmpDir removal (registered first) last', (t) => {
  t.deepEqual(order, ['closed while the folder exists: true', 'first registered'])
  t.end()
})

test('defer: a step that throws is reported with t.fail, and the others still run', async (t) => {
  const failures: string[] = []
  const teardowns: Array<() => unknown> = []
  const fake = { teardown: (fn: () => unknown) => { teardowns.push(fn) }, fail: (m: string) => { failures.push(m) } }
  const ran: string[] = []
  defer(fake, () => { ran.push('a') })
  defer(fake, () => { throw new Error('boom') })
  defer(fake, async () => { ran.push('c'); throw new Error('async boom') })
  t.equal(teardowns.length, 1, 'one t.teardown for all the steps')
  await teardowns[0]!()
  t.deepEqual(ran, ['c', 'a'], 'every step ran, newest first')
  t.deepEqual(failures, ['teardown: async boom', 'teardown: boom'], 'each failure reported')
})

test('untilEvent: resolves once the check holds, looking again on each event', async (t) => {
  const emitter = new EventEmitter()
  let n = 0
  let checks = 0
  const waiting = untilEvent(emitter, ['tick', 'tock'], async () => { checks++; return n >= 3 }, 'n to reach 3')
  for (let i = 0; i < 3; i++) {
    n++
    emitter.emit(i % 2 === 0 ? 'tick' : 'tock')
    await new Promise((resolve) => setImmediate(resolve))
  }
  await waiting
  t.equal(n, 3)
  t.ok(checks >= 2 && checks <= 4, `checked at the start and on the events (${checks} checks)`)
  t.equal(emitter.listenerCount('tick') + emitter.listenerCount('tock'), 0, 'its listeners removed')
  await untilEvent(emitter, 'tick', () => true)
  t.pass('a condition that already holds resolves without an event')
  try {
    await untilEvent(emitter, 'tick', () => { throw new Error('bad check') })
    t.fail('should have rejected')
  } catch (err) {
    t.equal((err as Error).message, 'bad check', 'a throwing check rejects')
  }
  try {
    await untilEvent(emitter, 'tick', () => false, 'what never happens', 10)
    t.fail('should have rejected')
  } catch (err) {
    t.equal((err as Error).message, 'timed out waiting for: what never happens')
  }
  t.equal(emitter.listenerCount('tick'), 0, 'no listener left behind')

  const other = new EventEmitter()
  let ready = false
  const both = untilEvent([emitter, other], ['tick', 'tock'], () => ready, 'either emitter')
  ready = true
  other.emit('tock')
  await both
  t.pass('several emitters: an event of any of them checks again')
  t.equal(emitter.listenerCount('tick') + other.listenerCount('tock'), 0, 'listeners removed from each')
})

let pairDirs: string[] = []
const pairLog: string[] = []
test('openPair: the second peer is opened with the first; both closed at the end, second first, then their folders removed', async (t) => {
  const open = async (dir: string, first?: { dir: string; key: string }) => {
    const key = first?.key ?? `key-of-${path.basename(dir)}`
    return { dir, key, close: () => { pairLog.push(`close ${key === first?.key ? 'second' : 'first'} (folder there: ${fs.existsSync(dir)})`) } }
  }
  const [a, b] = await openPair(t, open, 'kappa-pair-')
  pairDirs = [a.dir, b.dir]
  t.notEqual(a.dir, b.dir, 'a folder each')
  t.ok(path.basename(a.dir).startsWith('kappa-pair-'), 'named with the prefix')
  t.equal(b.key, a.key, 'the second was given the first (and took its key)')
  t.deepEqual(pairLog, [], 'open during the test')
})

test('openPair: closed and removed', (t) => {
  t.deepEqual(pairLog, ['close second (folder there: true)', 'close first (folder there: true)'])
  t.ok(pairDirs.every((d) => !fs.existsSync(d)), 'both folders removed')
  t.end()
})

test('nextEvent: the arguments of the next event that passes the predicate; listener removed; rejects on timeout', async (t) => {
  const emitter = new EventEmitter()
  const first = nextEvent<[number, string]>(emitter, 'n')
  const big = nextEvent<[number, string]>(emitter, 'n', (n) => n > 1, 'n above 1')
  emitter.emit('n', 1, 'one')
  emitter.emit('n', 2, 'two')
  t.deepEqual(await first, [1, 'one'], 'the next one, with all its arguments')
  t.deepEqual(await big, [2, 'two'], 'the first one the predicate accepts')
  t.equal(emitter.listenerCount('n'), 0, 'its listeners removed')
  const throwing = nextEvent(emitter, 'n', () => { throw new Error('bad predicate') })
  emitter.emit('n', 3)
  await throwing.then(() => t.fail('resolved'), (err: Error) => t.equal(err.message, 'bad predicate', 'a throwing predicate rejects'))
  await nextEvent(emitter, 'never', () => true, 'what never happens', 10).then(() => t.fail('resolved'), (err: Error) => t.equal(err.message, 'timed out waiting for: what never happens'))
  t.equal(emitter.listenerCount('n') + emitter.listenerCount('never'), 0, 'no listener left behind')
})

const echo = `
const rl = require('node:readline').createInterface({ input: process.stdin })
console.log(JSON.stringify({ type: 'hello', n: 1 }))
console.log('not json')
rl.on('line', (line) => {
  const cmd = JSON.parse(line)
  if (cmd.cmd === 'exit') { console.error('bye'); process.exit(3) }
  console.log(JSON.stringify({ type: 'echo', got: cmd }))
})`

test('LineProcess: keeps the lines, waits for past and future ones, asks and gets the reply after the question', async (t) => {
  const p = new LineProcess('echo', spawn(process.execPath, ['-e', echo], { stdio: ['pipe', 'pipe', 'pipe'] }), { waitMs: 20_000 })
  const hello = await p.wait((m) => m.type === 'hello', 'hello')
  t.equal(hello.n, 1, 'a JSON line, parsed')
  const line = await p.wait((m) => m.type === 'line', 'the plain line')
  t.equal(line.text, 'not json', 'a line that is not JSON: { type: line, text }')
  t.equal((await p.wait((m) => m.type === 'hello', 'hello again')).n, 1, 'wait finds a line printed before it was called')
  const first = await p.ask({ cmd: 'say', n: 1 }, 'echo')
  t.deepEqual(first.got, { cmd: 'say', n: 1 }, 'an object is sent as JSON')
  const second = await p.ask('{"cmd":"say","n":2}', 'echo')
  t.deepEqual(second.got, { cmd: 'say', n: 2 }, 'ask waits for the reply after its own line, not an earlier one')
  const gone = p.wait((m) => m.type === 'never', 'a line that never comes')
  p.send({ cmd: 'exit' })
  await gone.then(() => t.fail('resolved'), (err: Error) => t.match(err.message, /echo exited while waiting for a line that never comes; stderr: bye/, 'the child exiting rejects a wait, quoting its stderr'))
  t.deepEqual(await p.exited, { code: 3, signal: null }, 'exited: code and signal')
})

test('LineProcess: kill() ends a child that would not exit; a wait times out naming what it waited for', async (t) => {
  const p = new LineProcess('idle', spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: ['pipe', 'pipe', 'pipe'] }), { waitMs: 20 })
  await p.wait(() => true, 'anything').then(() => t.fail('resolved'), (err: Error) => t.equal(err.message, 'idle: timed out waiting for anything'))
  p.kill()
  t.deepEqual(await p.exited, { code: null, signal: 'SIGKILL' }, 'killed with SIGKILL')
  p.kill()
  t.pass('kill() after the exit does nothing')
})
