// Networking across OS processes: a kappa-dht bootstrap, a writer and readers,
// each its own process, talking JSON lines over stdio. Every child is killed in
// teardown, whatever happened.
import test from 'tape'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { defer, LineProcess, tmpDir } from '@kappa-ts/test-helpers'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.join(here, '..', '..')
const KAPPA_DHT = path.join(root, 'packages', 'swarm', 'dist', 'src', 'bin', 'kappa-dht.js')
const PEER = path.join(here, 'fixtures', 'swarm-peer.js')
const ENTRIES = 10_000
const LIVE = 100

type Msg = Record<string, any> & { type: string }

/** A child speaking JSON lines; a 'fatal' line is echoed at once (the test would only see a timeout). */
function proc (label: string, args: string[]): LineProcess<Msg> {
  return new LineProcess<Msg>(label, spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }), {
    quietTypes: ['indexed'],
    onMessage: (m) => { if (m.type === 'fatal') process.stderr.write(`# ${label} fatal: ${m.error}\n`) }
  })
}

const peer = (label: string, args: string[]): LineProcess<Msg> => proc(label, [PEER, ...args])

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

test('three processes: reader joins by key, survives a SIGKILLed writer without re-downloading, syncs 10,000, sees live appends; another key never connects', async (t) => {
  const tmp = (): string => tmpDir(t, 'kappa-swarm-proc-')
  const t0 = Date.now()
  const phase = (what: string): void => { t.comment(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`) }
  // Every child is SIGKILLed (if still running) and waited for when the test ends, whatever
  // happened, before the folder it was given (made before it) is removed.
  const track = (p: LineProcess<Msg>): LineProcess<Msg> => {
    defer(t, async () => { p.kill('SIGKILL'); await p.exited })
    return p
  }
  // The bootstrap: the kappa-dht bin on 127.0.0.1, any free port.
  const dht = track(proc('kappa-dht', [KAPPA_DHT, '--port', '0']))
  const addr = (await dht.wait((m) => m.type === 'line', 'kappa-dht address')).text as string
  t.match(addr, /^127\.0\.0\.1:\d+$/, `bootstrap at ${addr}`)

  // Writer: 10,000 entries, then on the network.
  const writerDir = tmp()
  const w1 = track(peer('writer', ['--role', 'writer', '--dir', writerDir, '--bootstrap', addr, '--fill', String(ENTRIES)]))
  const ready = await w1.wait((m) => m.type === 'ready', 'writer ready')
  t.equal(ready.length, ENTRIES, 'writer holds 10,000 entries')
  const key = ready.key as string
  await w1.wait((m) => m.type === 'joined', 'writer joined')
  phase('writer filled and joined')

  // Reader: only the key. Kill the writer once the reader is partway through.
  const reader = track(peer('reader', ['--role', 'reader', '--dir', tmp(), '--bootstrap', addr, '--key', key]))
  await reader.wait((m) => m.type === 'downloaded' && m.count >= 1000, 'reader to download 1000 blocks')
  w1.kill('SIGKILL')
  phase('writer killed')
  t.equal((await w1.exited).signal, 'SIGKILL', 'writer SIGKILLed mid-sync')
  const atKill = await reader.ask({ cmd: 'status' }, 'status')
  t.ok(atKill.downloads >= 1000 && atKill.downloads < ENTRIES, `reader had ${atKill.downloads} of ${ENTRIES} when the writer died`)
  t.equal(atKill.unique, atKill.downloads, 'no duplicate downloads so far')

  // The writer comes back on the same storage; the reader finishes.
  const w2 = track(peer('writer-2', ['--role', 'writer', '--dir', writerDir, '--bootstrap', addr]))
  await w2.wait((m) => m.type === 'joined', 'restarted writer joined')
  phase('writer restarted and joined')
  await reader.wait((m) => m.type === 'indexed' && m.count >= ENTRIES, 'reader to index 10,000')
  phase('reader indexed all')
  const done = await reader.ask({ cmd: 'status' }, 'status')
  t.equal(done.indexed, ENTRIES, 'reader indexed all 10,000 entries')
  t.equal(done.downloads, ENTRIES, `10,000 downloads in all: ${atKill.downloads} before the kill + ${done.downloads - atKill.downloads} after, none again`)
  t.equal(done.unique, ENTRIES, 'every block downloaded exactly once')
  const firstWriter = reader.messages.find((m) => m.type === 'peer-add')?.peer as string
  t.ok(reader.messages.some((m) => m.type === 'peer-add' && m.peer !== firstWriter), 'the reader connected to the restarted writer')
  await reader.ask({ cmd: 'exit' }, 'closed')

  // A peer with another key, on the same DHT: never connects to us.
  const stranger = track(peer('stranger', ['--role', 'writer', '--dir', tmp(), '--bootstrap', addr, '--fill', '5']))

  // A fresh reader: time to full sync, connection time.
  const fresh = track(peer('reader-2', ['--role', 'reader', '--dir', tmp(), '--bootstrap', addr, '--key', key]))
  const freshReady = await fresh.wait((m) => m.type === 'ready', 'fresh reader ready')
  const firstPeer = await fresh.wait((m) => m.type === 'peer-add', 'fresh reader connects')
  const full = await fresh.wait((m) => m.type === 'indexed' && m.count >= ENTRIES, 'fresh reader to index 10,000')
  phase('fresh reader indexed all')
  t.equal(full.count, ENTRIES, 'fresh reader indexed 10,000 entries')
  t.comment(`connection time (join to first peer): ${(firstPeer.ms - freshReady.ms).toFixed(1)} ms`)
  t.comment(`time to full sync of ${ENTRIES} entries, downloaded and indexed (join to last indexed): ${(full.ms - freshReady.ms).toFixed(0)} ms`)

  // Live: 100 appends, one at a time, append-to-indexed latency on the reader.
  const latencies: number[] = []
  for (let n = 0; n < LIVE; n++) {
    const from = fresh.messages.length
    w2.send({ cmd: 'append', n: ENTRIES + n })
    const live = await fresh.wait((m) => m.type === 'live' && m.n === ENTRIES + n, `live entry ${n}`, from)
    latencies.push(live.latency)
  }
  t.equal(latencies.length, LIVE, `reader saw all ${LIVE} live appends`)
  const sorted = [...latencies].sort((a, b) => a - b)
  t.comment(`append-to-indexed latency over ${LIVE} appends: median ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`)

  phase('live appends done')
  await stranger.wait((m) => m.type === 'joined', 'stranger joined')
  const s = await stranger.ask({ cmd: 'status' }, 'status')
  const r = await fresh.ask({ cmd: 'status' }, 'status')
  const ws = await w2.ask({ cmd: 'status' }, 'status')
  t.deepEqual(s.peers, [], 'the other-key peer has no peers')
  t.equal(s.feeds.length, 1, 'and only its own feed')
  t.equal(r.feeds.length, 1, 'the reader never got the stranger\'s feed')
  t.equal(ws.peers.length, 1, 'the writer is connected to the reader only')
  t.equal(r.peers.length, 1, 'the reader is connected to the writer only')

  for (const p of [w2, fresh, stranger]) p.send({ cmd: 'exit' })
  for (const p of [w2, fresh, stranger]) t.equal((await p.exited).code, 0, `${p.label} exited cleanly`)
  dht.kill('SIGTERM')
  t.equal((await dht.exited).code, 0, 'kappa-dht exited cleanly on SIGTERM')
})
