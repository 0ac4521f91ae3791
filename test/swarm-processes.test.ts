// Networking across OS processes: a kappa-dht bootstrap, a writer and readers,
// each its own process, talking JSON lines over stdio. Every child is killed in
// teardown, whatever happened.
import test from 'tape'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.join(here, '..', '..')
const KAPPA_DHT = path.join(root, 'packages', 'swarm', 'dist', 'src', 'bin', 'kappa-dht.js')
const PEER = path.join(here, 'fixtures', 'swarm-peer.js')
const ENTRIES = 10_000
const LIVE = 100
const WAIT_MS = 45_000

type Msg = Record<string, any> & { type: string }

const children = new Set<ChildProcess>()
process.once('exit', () => { for (const c of children) c.kill('SIGKILL') })

class Proc {
  readonly messages: Msg[] = []
  private readonly waiters = new Set<() => void>()
  readonly exited: Promise<{ code: number | null; signal: string | null }>
  private stderr = ''

  constructor (readonly label: string, readonly child: ChildProcess) {
    children.add(child)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: Msg
      try { msg = JSON.parse(line) as Msg } catch { msg = { type: 'line', text: line } }
      if (msg.type === 'fatal') process.stderr.write(`# ${label} fatal: ${msg.error}\n`)
      if (process.env.KAPPA_TEST_DEBUG && msg.type !== 'indexed') process.stderr.write(`# ${Date.now() % 100000} ${label}: ${line.slice(0, 160)}\n`)
      this.messages.push(msg)
      for (const w of [...this.waiters]) w()
    })
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d })
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      children.delete(child)
      for (const w of [...this.waiters]) w()
      resolve({ code, signal })
    }))
  }

  static peer (label: string, args: string[]): Proc {
    return new Proc(label, spawn(process.execPath, [PEER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }))
  }

  /** The first message (from index `from` on, past or future) matching `pred`. */
  wait (pred: (m: Msg) => boolean, what: string, from = 0): Promise<Msg> {
    return new Promise((resolve, reject) => {
      let i = from
      const check = (): void => {
        for (; i < this.messages.length; i++) {
          const m = this.messages[i] as Msg
          if (pred(m)) { done(); resolve(m); return }
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done()
          reject(new Error(`${this.label} exited while waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`))
        }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`${this.label}: timed out waiting for ${what}`)) }, WAIT_MS)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  async ask (cmd: Record<string, unknown>, reply: string): Promise<Msg> {
    const from = this.messages.length
    this.send(cmd)
    return this.wait((m) => m.type === reply, reply, from)
  }

  send (cmd: Record<string, unknown>): void { this.child.stdin!.write(JSON.stringify(cmd) + '\n') }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

test('three processes: reader joins by key, survives a SIGKILLed writer without re-downloading, syncs 10,000, sees live appends; another key never connects', async (t) => {
  const dirs: string[] = []
  const tmp = (): string => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-swarm-proc-')); dirs.push(d); return d }
  const procs: Proc[] = []
  const t0 = Date.now()
  const phase = (what: string): void => { t.comment(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`) }
  const track = (p: Proc): Proc => { procs.push(p); return p }
  try {
    // The bootstrap: the kappa-dht bin on 127.0.0.1, any free port.
    const dht = track(new Proc('kappa-dht', spawn(process.execPath, [KAPPA_DHT, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })))
    const addr = (await dht.wait((m) => m.type === 'line', 'kappa-dht address')).text as string
    t.match(addr, /^127\.0\.0\.1:\d+$/, `bootstrap at ${addr}`)

    // Writer: 10,000 entries, then on the network.
    const writerDir = tmp()
    const w1 = track(Proc.peer('writer', ['--role', 'writer', '--dir', writerDir, '--bootstrap', addr, '--fill', String(ENTRIES)]))
    const ready = await w1.wait((m) => m.type === 'ready', 'writer ready')
    t.equal(ready.length, ENTRIES, 'writer holds 10,000 entries')
    const key = ready.key as string
    await w1.wait((m) => m.type === 'joined', 'writer joined')
    phase('writer filled and joined')

    // Reader: only the key. Kill the writer once the reader is partway through.
    const reader = track(Proc.peer('reader', ['--role', 'reader', '--dir', tmp(), '--bootstrap', addr, '--key', key]))
    await reader.wait((m) => m.type === 'downloaded' && m.count >= 1000, 'reader to download 1000 blocks')
    w1.kill('SIGKILL')
    phase('writer killed')
    t.equal((await w1.exited).signal, 'SIGKILL', 'writer SIGKILLed mid-sync')
    const atKill = await reader.ask({ cmd: 'status' }, 'status')
    t.ok(atKill.downloads >= 1000 && atKill.downloads < ENTRIES, `reader had ${atKill.downloads} of ${ENTRIES} when the writer died`)
    t.equal(atKill.unique, atKill.downloads, 'no duplicate downloads so far')

    // The writer comes back on the same storage; the reader finishes.
    const w2 = track(Proc.peer('writer-2', ['--role', 'writer', '--dir', writerDir, '--bootstrap', addr]))
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
    const stranger = track(Proc.peer('stranger', ['--role', 'writer', '--dir', tmp(), '--bootstrap', addr, '--fill', '5']))

    // A fresh reader: time to full sync, connection time.
    const fresh = track(Proc.peer('reader-2', ['--role', 'reader', '--dir', tmp(), '--bootstrap', addr, '--key', key]))
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
  } finally {
    for (const p of procs) p.kill('SIGKILL')
    await Promise.all(procs.map((p) => p.exited))
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  }
})
