// One fan-out run: a local DHT bootstrap node (in this process), one writer
// process, and reader hosts (processes of many readers each) whose readers join
// in waves while the writer appends live. Collects what each reader reports and
// what each process costs; kills every process it started, whatever happens.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDhtNode } from '@kappa-ts/swarm'
import type { Figures } from '../scenario.js'
import { now, percentile, round } from '../stats.js'
import type { FromReaderHost, FromWriter, ReaderHostConfig, ReaderMemory, ToReaderHost, ToWriter, WriterConfig } from './messages.js'
import { ProcSampler, memInfo, openFilesLimit, processStats, udpDropsByPort, udpRcvbufErrors } from './proc.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const WRITER_ENTRY = path.join(here, 'writer-process.js')
const READER_HOST_ENTRY = path.join(here, 'reader-host.js')

export interface FanoutRunOptions {
  readers: number
  /** Records the writer holds before the first reader joins. */
  records: number
  /** Live appends, entries per second. */
  rate: number
  /** The writer appends what is due every this many ms (one append call each). */
  appendEveryMs: number
  /** Readers started per wave, and the time between waves. */
  waveSize: number
  waveMs: number
  /** Readers per reader-host process. */
  perProcess: number
  readerTimeoutMs: number
  /** Live appends go on this long after every reader has indexed the first records. */
  liveTailMs: number
  memory: ReaderMemory
  /** CPU niceness of the reader processes (0: the same as the writer's). */
  readerNice: number
  /** join({ handshakeTimeout }) of the writer and the readers; null: kappa's default. */
  handshakeTimeoutMs: number | null
  /** Stop the run at the first reader that fails or reconnects (it is not clean then). */
  abortOnFailure: boolean
  nodeArgs: string[]
  /** Write a CPU profile of the writer and of each reader host here (node --cpu-prof). */
  profileDir: string | null
}

interface ReaderState {
  host: number
  startedAt: number | null
  connectMs: number | null
  caughtUp: boolean
  caughtUpMs: number | null
  doneMs: number | null
  doneAt: number | null
  failed: { kind: 'error' | 'timeout'; reason: string } | null
  reconnects: number
  /** Entries its kv view had indexed when it was done or failed. */
  indexed: number
}

type Log = (msg: string) => void

/**
 * Messages from a child: `next(type)` waits for one of the types in `awaited` (one
 * that came before anyone waited is kept for the next call); others go to `onOther`.
 */
class Inbox<M extends { type: string }> {
  private readonly waiters: Array<{ type: string; resolve: (m: M) => void }> = []
  private readonly kept: M[] = []
  constructor (child: ChildProcess, private readonly awaited: ReadonlySet<M['type']>, private readonly onOther: (m: M) => void) {
    child.on('message', (m: M) => {
      if (!this.awaited.has(m.type)) return this.onOther(m)
      const i = this.waiters.findIndex((w) => w.type === m.type)
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m)
      else this.kept.push(m)
    })
  }

  next<T extends M['type']> (type: T): Promise<Extract<M, { type: T }>> {
    const i = this.kept.findIndex((m) => m.type === type)
    if (i >= 0) return Promise.resolve(this.kept.splice(i, 1)[0] as Extract<M, { type: T }>)
    return new Promise((resolve) => this.waiters.push({ type, resolve: resolve as (m: M) => void }))
  }
}

function spawnChild (entry: string, cfg: unknown, nodeArgs: string[], profile: string | null, profileDir: string | null): ChildProcess {
  const execArgv = [...nodeArgs]
  if (profileDir !== null && profile !== null) execArgv.push('--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir), '--cpu-prof-name', `${profile}.cpuprofile`)
  return fork(entry, [JSON.stringify(cfg)], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
}

/** How long children told to stop may take to exit before they are killed. */
const EXIT_GRACE_MS = 30_000

function exited (child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    child.once('exit', () => { clearTimeout(timer); resolve() })
  })
}

/** How long a child may take to answer the coordinator (open, append the marker, report) before the run fails. */
const ANSWER_TIMEOUT_MS = 120_000

/** `p`, or a rejection naming `what` if the child exits first or does not answer within ANSWER_TIMEOUT_MS. */
function orExit<T> (child: ChildProcess, what: string, p: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const onexit = (code: number | null, signal: string | null): void => done(new Error(`${what}: process exited (${String(code ?? signal)})`))
    const timer = setTimeout(() => done(new Error(`${what}: no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS)
    const done = (err: Error | null, v?: T): void => {
      clearTimeout(timer)
      child.off('exit', onexit)
      if (err === null) resolve(v as T)
      else reject(err)
    }
    child.once('exit', onexit)
    p.then((v) => done(null, v), (err: Error) => done(err))
  })
}

export async function runFanout (cfg: { dataFile: string; workDir: string; label: string }, o: FanoutRunOptions, log: Log): Promise<Figures> {
  const children: ChildProcess[] = []
  const sampler = new ProcSampler(1000)
  const dht = await startDhtNode()
  try {
    return await run(cfg, o, log, dht.address, children, sampler)
  } finally {
    sampler.stop()
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await dht.close().catch(() => {})
  }
}

/** Counts of what went wrong, by message (reader ids left out, so alike failures add up). */
class Tally {
  private readonly counts = new Map<string, number>()
  add (what: string, n = 1): void { this.counts.set(what, (this.counts.get(what) ?? 0) + n) }
  top (k: number): Array<{ what: string; count: number }> {
    return [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, k).map(([what, count]) => ({ what, count }))
  }
}

/** Resolves with 'aborted' once `abort` fires, whichever comes first. */
function unlessAborted<T> (p: Promise<T>, abort: Promise<void>): Promise<T | 'aborted'> {
  return Promise.race([p, abort.then(() => 'aborted' as const)])
}

async function run (cfg: { dataFile: string; workDir: string; label: string }, o: FanoutRunOptions, log: Log, bootstrap: string, children: ChildProcess[], sampler: ProcSampler): Promise<Figures> {
  const n = o.readers
  const hostsCount = Math.ceil(n / o.perProcess)
  const problems = new Tally()
  // The first failure of a reader (when o.abortOnFailure): the run is not clean, stop it there.
  let abortReason: string | null = null
  let abortAt = 0
  let fireAbort: () => void = () => {}
  const abort = new Promise<void>((resolve) => { fireAbort = resolve })
  const failedEarly = (why: string): void => {
    if (!o.abortOnFailure || abortReason !== null) return
    abortReason = why
    abortAt = now()
    fireAbort()
  }

  // The writer: its records appended and indexed, joined to the DHT.
  const writerCfg: WriterConfig = { dir: path.join(cfg.workDir, 'writer'), dataFile: cfg.dataFile, records: o.records, bootstrap, maxPeers: n + 64, handshakeTimeoutMs: o.handshakeTimeoutMs }
  const writer = spawnChild(WRITER_ENTRY, writerCfg, o.nodeArgs, `fanout-${n}-${o.rate}-writer`, o.profileDir)
  children.push(writer)
  sampler.add('writer', writer.pid!)
  sampler.add('coordinator', process.pid)
  const fromWriter = new Inbox<FromWriter>(writer, new Set(['ready', 'final', 'stats'] as const), (m) => { if (m.type === 'error') problems.add(`writer: ${m.message}`) })
  const ready = await orExit(writer, 'writer', fromWriter.next('ready'))
  const toWriter = (m: ToWriter): void => { writer.send(m) }

  // The reader hosts, each with a base RSS measured before it opens any reader.
  const state: ReaderState[] = Array.from({ length: n }, (_, id) => ({
    host: id % hostsCount, startedAt: null, connectMs: null, caughtUp: false, caughtUpMs: null, doneMs: null, doneAt: null, failed: null, reconnects: 0, indexed: 0
  }))
  let terminal = 0
  let caughtUp = 0
  let onProgress: () => void = () => {}
  const settle = (s: ReaderState): void => {
    terminal++
    if (!s.caughtUp) { s.caughtUp = true; caughtUp++ }
    onProgress()
  }
  const hostBase: number[] = []
  const hosts: Array<{ child: ChildProcess; inbox: Inbox<FromReaderHost> }> = []
  const hostExited = new Set<number>()
  let stopping = false
  for (let h = 0; h < hostsCount; h++) {
    const hostDir = path.join(cfg.workDir, `h${h}`)
    mkdirSync(hostDir, { recursive: true })
    const hostCfg: ReaderHostConfig = { index: h, dir: hostDir, key: ready.key, bootstrap, timeoutMs: o.readerTimeoutMs, initial: o.records, memory: o.memory, handshakeTimeoutMs: o.handshakeTimeoutMs }
    const child = spawnChild(READER_HOST_ENTRY, hostCfg, o.nodeArgs, `fanout-${n}-${o.rate}-readers-${h}`, o.profileDir)
    children.push(child)
    // The readers stand for peers on other machines: on this one they run at a lower CPU
    // priority, so that N of them cannot starve the writer (or the DHT node) they test.
    if (o.readerNice > 0) {
      try { os.setPriority(child.pid!, o.readerNice) } catch { problems.add('could not lower the reader processes\' priority') }
    }
    sampler.add('readers', child.pid!)
    const inbox = new Inbox<FromReaderHost>(child, new Set(['hello', 'stats'] as const), (m) => {
      if (stopping && m.type !== 'error') return // the run is over: readers leaving is not part of it
      switch (m.type) {
        case 'connected': state[m.id]!.connectMs = m.ms; break
        case 'caught-up': {
          const s = state[m.id]!
          s.caughtUpMs = m.ms
          if (!s.caughtUp) { s.caughtUp = true; caughtUp++; onProgress() }
          break
        }
        case 'reconnect':
          state[m.id]!.reconnects++
          problems.add(`reader: ${m.reason}`)
          failedEarly(`reader ${m.id}: ${m.reason}`)
          break
        case 'done': {
          const s = state[m.id]!
          if (s.doneMs !== null || s.failed !== null) break
          s.doneMs = m.ms
          s.doneAt = now()
          s.indexed = m.entries
          settle(s)
          break
        }
        case 'failed': {
          const s = state[m.id]!
          if (s.doneMs !== null || s.failed !== null) break
          s.failed = { kind: m.kind, reason: m.reason }
          s.indexed = m.indexed
          problems.add(`reader ${m.kind}: ${m.kind === 'timeout' ? `not done within ${o.readerTimeoutMs / 1000} s` : m.reason}`)
          failedEarly(`reader ${m.id}: ${m.reason}`)
          settle(s)
          break
        }
        case 'error': problems.add(`reader host: ${m.message}`); break
        default: break
      }
    })
    child.once('exit', (code, signal) => {
      hostExited.add(h)
      if (stopping && code === 0) return
      problems.add(`reader host exited (${String(code ?? signal)})`)
      failedEarly(`reader host ${h} exited (${String(code ?? signal)})`)
      // Its readers that had not finished never will.
      for (const s of state) {
        if (s.host !== h || s.doneMs !== null || s.failed !== null) continue
        s.failed = { kind: 'error', reason: `reader host exited (${String(code ?? signal)})` }
        settle(s)
      }
    })
    hosts.push({ child, inbox })
  }
  for (const [h, { child, inbox }] of hosts.entries()) hostBase[h] = (await orExit(child, `reader host ${h}`, inbox.next('hello'))).rssMB
  log(`${cfg.label}: writer ready (${o.records} records), ${hostsCount} reader processes up; ${n} readers join ${o.waveSize} every ${o.waveMs} ms, live appends at ${o.rate}/s`)

  // Waves of readers while the writer appends live.
  sampler.start()
  const rcvbufErrorsAtStart = udpRcvbufErrors()
  const cpuStart = process.cpuUsage()
  const t0 = now()
  toWriter({ type: 'live', rate: o.rate, everyMs: o.appendEveryMs })
  let next = 0
  // (abortReason is set by the readers' messages, between the waves' awaits)
  const aborted = (): boolean => abortReason !== null
  while (next < n && !aborted()) {
    const wave = new Map<number, number[]>()
    for (let i = 0; i < o.waveSize && next < n; i++, next++) {
      const s = state[next]!
      s.startedAt = now()
      const ids = wave.get(s.host) ?? []
      ids.push(next)
      wave.set(s.host, ids)
    }
    for (const [h, ids] of wave) if (!hostExited.has(h)) hosts[h]!.child.send({ type: 'start', ids } satisfies ToReaderHost)
    if (next < n) await unlessAborted(sleep(o.waveMs), abort)
  }
  const started = next
  const joinSpanMs = now() - t0
  const lastStartAt = now()

  // Live appends go on until every reader has indexed the first records (or failed), then
  // liveTail more; but at the latest half a reader timeout after the last reader started, so
  // that one reader stuck behind cannot hold the marker back until every reader times out
  // (each reader's outcome is then its own: those behind still have half their time).
  let caughtUpMs: number | null = null
  let caughtUpAtFinal = 0
  let finalAt = 0
  let final: Extract<FromWriter, { type: 'final' }> | null = null
  const finalDeadline = new Promise<void>((resolve) => { setTimeout(resolve, Math.max(0, lastStartAt + o.readerTimeoutMs / 2 - now())).unref() })
  if (abortReason === null) {
    await unlessAborted(Promise.race([finalDeadline, new Promise<void>((resolve) => {
      onProgress = () => { if (caughtUp >= n) resolve() }
      onProgress()
    })]), abort)
    onProgress = () => {}
  }
  if (abortReason === null && caughtUp >= n) {
    caughtUpMs = now() - t0
    await unlessAborted(Promise.race([sleep(o.liveTailMs), finalDeadline]), abort)
  }
  if (abortReason === null) {
    caughtUpAtFinal = caughtUp
    toWriter({ type: 'final' })
    const f = await orExit(writer, 'writer', fromWriter.next('final'))
    final = f
    finalAt = now()
    const who = caughtUpMs === null ? `${caughtUpAtFinal} of ${n} readers past the first ${o.records} records at half the reader timeout` : `every reader past the first ${o.records} records at ${(caughtUpMs / 1000).toFixed(1)} s`
    log(`${cfg.label}: ${who}; final marker after ${f.live} live entries (${(f.live / (f.liveMs / 1000)).toFixed(0)}/s), ${f.total} in all`)
    // Until every reader is done or failed (each host enforces the per-reader timeout).
    let lastReport = now()
    await unlessAborted(new Promise<void>((resolve) => {
      onProgress = () => {
        if (now() - lastReport > 5000) {
          lastReport = now()
          log(`${cfg.label}: ${state.filter((s) => s.doneMs !== null).length} of ${n} readers done`)
        }
        if (terminal >= n) resolve()
      }
      onProgress()
    }), abort)
  }
  if (abortReason !== null) log(`${cfg.label}: not clean, stopped at ${((abortAt - t0) / 1000).toFixed(1)} s: ${String(abortReason)}`)
  const runMs = now() - t0
  // UDP datagrams dropped on full receive buffers: the writer's sockets, and every other socket (the readers') on the machine.
  const drops = udpDropsByPort()
  const writerUdpDrops = drops === null ? null : ready.udpPorts.reduce((a, port) => a + (drops.get(port) ?? 0), 0)
  const otherUdpDrops = drops === null || writerUdpDrops === null ? null : [...drops.values()].reduce((a, b) => a + b, 0) - writerUdpDrops
  const rcvbufErrors = udpRcvbufErrors()
  const ms = Math.max(0, ...state.map((s) => (s.doneAt ?? 0) - t0))
  const machineBusy = sampler.machineBusy()
  const coordinatorCpu = process.cpuUsage(cpuStart)
  sampler.stop()

  // Figures from the processes, then let them go: the readers first (what they see
  // of the writer leaving is not part of the run), then the writer.
  stopping = true
  const writerStats = orExit(writer, 'writer', fromWriter.next('stats'))
  toWriter({ type: 'report' })
  const w = await writerStats
  const hostStats = await Promise.all(hosts.map(async ({ child, inbox }, h) => {
    if (hostExited.has(h)) return null
    const stats = orExit(child, `reader host ${h}`, inbox.next('stats')).catch(() => null)
    child.send({ type: 'stop' } satisfies ToReaderHost)
    return await stats
  }))
  toWriter({ type: 'stop' })
  // Told to stop, they exit on their own (writing their CPU profiles); what is left after a while is killed.
  await Promise.all(children.map((c) => exited(c, EXIT_GRACE_MS)))
  for (const [what, count] of Object.entries(w.problems)) problems.add(`writer: ${what}`, count)
  for (const s of hostStats) if (s !== null && s.closeErrors > 0) problems.add('reader host: error while closing (after the run)', s.closeErrors)

  const done = state.filter((s) => s.doneMs !== null && s.failed === null)
  const times = done.map((s) => s.doneMs as number)
  // How long each reader took to index the first records, and how far behind the marker it finished.
  const catchUps = state.filter((s) => s.caughtUpMs !== null).map((s) => s.caughtUpMs as number)
  const lags = done.map((s) => Math.max(0, (s.doneAt as number) - finalAt))
  const connects = state.filter((s) => s.connectMs !== null).map((s) => s.connectMs as number)
  const reconnects = state.reduce((a, s) => a + s.reconnects, 0)
  const readersReconnected = state.filter((s) => s.reconnects > 0).length
  const timeouts = state.filter((s) => s.failed?.kind === 'timeout').length
  const errored = state.filter((s) => s.failed?.kind === 'error').length
  // A reader that errors, times out or reconnects is a failure.
  const failures = state.filter((s) => s.failed !== null || s.reconnects > 0).length
  const readerGroup = sampler.group('readers')
  const writerGroup = sampler.group('writer')
  const readerPeaks = hostStats.reduce((a, s) => a + (s?.stats.maxRssMB ?? 0), 0)
  const readerHeapPeaks = hostStats.reduce((a, s) => a + (s?.stats.heapPeakMB ?? 0), 0)
  const readerCpuMs = hostStats.reduce((a, s) => a + (s === null ? 0 : s.stats.cpuUserMs + s.stats.cpuSystemMs), 0)
  const baseSum = hostBase.reduce((a, b) => a + b, 0)
  const indexedInAll = state.reduce((a, s) => a + s.indexed, 0)
  const mem = memInfo()
  const fdLimit = openFilesLimit()
  const cores = os.cpus().length
  const ourCpuMs = w.cpuLiveMs + readerCpuMs + (coordinatorCpu.user + coordinatorCpu.system) / 1000
  const achievedRate = final === null || final.liveMs === 0 ? null : final.live / (final.liveMs / 1000)
  const limits = {
    cores,
    machineBusy: machineBusy === null ? null : round(machineBusy, 3),
    // cores our processes kept busy on average (reader hosts count their whole life, setup included)
    ourCoresBusy: round(ourCpuMs / runMs, 2),
    memTotalMB: mem === null ? null : Math.round(mem.totalMB),
    minAvailableMB: sampler.minAvailableMB === null ? null : Math.round(sampler.minAvailableMB),
    openFilesLimit: fdLimit,
    writerFdsPeak: writerGroup.fdsPeak,
    readerProcessFdsPeak: readerGroup.fdsPeak,
    readerProcessThreadsPeak: readerGroup.threadsPeak,
    // UDP datagrams dropped because a receive buffer was full: every connection rides on UDP (UDX)
    udpDropsWriter: writerUdpDrops,
    udpDropsReaders: otherUdpDrops,
    udpRcvbufErrorsMachine: rcvbufErrors === null || rcvbufErrorsAtStart === null ? null : rcvbufErrors - rcvbufErrorsAtStart
  }
  const bound: string[] = []
  if (machineBusy !== null && machineBusy > 0.9) bound.push(`CPU (machine ${Math.round(machineBusy * 100)}% busy over the run, ${limits.ourCoresBusy} of ${cores} cores ours)`)
  if (mem !== null && sampler.minAvailableMB !== null && sampler.minAvailableMB < mem.totalMB * 0.1) bound.push(`memory (${Math.round(sampler.minAvailableMB)} MB left available)`)
  if (fdLimit !== null && Math.max(writerGroup.fdsPeak, readerGroup.fdsPeak) > fdLimit * 0.8) bound.push(`file descriptors (${Math.max(writerGroup.fdsPeak, readerGroup.fdsPeak)} of ${fdLimit} in one process)`)
  const clean = abortReason === null && done.length === n && failures === 0 && achievedRate !== null && achievedRate >= o.rate * 0.9

  return {
    readers: n,
    rate: o.rate,
    clean,
    stoppedEarly: abortReason === null ? null : { atMs: round(abortAt - t0, 1), why: abortReason, readersStarted: started },
    done: done.length,
    failures,
    timeouts,
    errors: errored,
    reconnects,
    readersReconnected,
    ms: round(ms, 1),
    records: o.records,
    liveEntries: final?.live ?? null,
    achievedRate: achievedRate === null ? null : Math.round(achievedRate),
    entriesPerReader: final?.total ?? null,
    joinSpanMs: round(joinSpanMs, 1),
    caughtUpMs: caughtUpMs === null ? null : round(caughtUpMs, 1),
    // readers past the first records (or failed) when the final marker went: n unless the deadline sent it
    caughtUpAtFinal: final === null ? null : caughtUpAtFinal,
    connectP50Ms: round(percentile(connects, 50), 1),
    connectMaxMs: round(Math.max(0, ...connects), 1),
    readerP50Ms: round(percentile(times, 50), 1),
    readerP99Ms: round(percentile(times, 99), 1),
    readerMaxMs: round(Math.max(0, ...times), 1),
    catchUpP50Ms: round(percentile(catchUps, 50), 1),
    catchUpMaxMs: round(Math.max(0, ...catchUps), 1),
    lagP50Ms: round(percentile(lags, 50), 1),
    lagMaxMs: round(Math.max(0, ...lags), 1),
    writerCpuMs: Math.round(w.cpuLiveMs),
    writerCpuCores: round(w.cpuLiveMs / runMs, 2),
    writerPeakRssMB: round(Math.max(w.stats.maxRssMB, writerGroup.sumOfPeaksMB), 1),
    writerHeapPeakMB: round(w.stats.heapPeakMB, 1),
    writerBuffersPeakMB: round(w.stats.buffersPeakMB, 1),
    writerLoopDelayMaxMs: w.stats.loopDelayMaxMs === null ? null : round(w.stats.loopDelayMaxMs, 1),
    // the worst event-loop delay of any reader process: how long a reader could not answer its peer
    readerLoopDelayMaxMs: round(Math.max(0, ...hostStats.map((s) => s?.stats.loopDelayMaxMs ?? 0)), 1),
    readerLoopDelayP99Ms: round(Math.max(0, ...hostStats.map((s) => s?.stats.loopDelayP99Ms ?? 0)), 1),
    writerAppendBehindMaxMs: final === null ? null : round(final.behindMaxMs, 1),
    writerPeersPeak: w.peersPeak,
    writerDisconnects: w.peerRemoves,
    writerSwarmStats: w.swarmStats,
    readerProcesses: hostsCount,
    readerCpuMs: Math.round(readerCpuMs),
    // What all readers indexed (kv view), in all and per second of the run: the readers'
    // throughput on this machine, and their CPU per entry (start, joins and connections
    // included). Known once every reader is done or failed: null for a run stopped early.
    readerEntriesIndexed: abortReason === null ? indexedInAll : null,
    readerEntriesPerS: abortReason === null ? Math.round(indexedInAll / (runMs / 1000)) : null,
    readerCpuUsPerEntry: abortReason === null && indexedInAll > 0 ? round(readerCpuMs * 1000 / indexedInAll, 1) : null,
    // each reader host's peak RSS, summed, per reader (a share of each process's base included)
    readerRssPerReaderMB: round(readerPeaks / n, 2),
    // the same without the processes' base (node itself, before any reader opened)
    readerRssPerReaderNetMB: round((readerPeaks - baseSum) / n, 2),
    readerHostBaseRssMB: round(baseSum / hostsCount, 1),
    // the JS heap's share: each reader host's peak V8 heap in use, summed, per reader
    readerHeapPerReaderMB: round(readerHeapPeaks / n, 2),
    readersPeakRssMB: round(readerGroup.peakRssMB, 1),
    // every process of the run together (writer, reader hosts, this one with the DHT node)
    peakRssMB: round(sampler.peakTotalRssMB, 1),
    limits,
    bound: bound.length === 0 ? 'none' : bound.join('; '),
    problems: problems.top(8),
    coordinator: processStats()
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
