// What the fan-out's processes cost the machine, read from Linux's /proc: each
// process's RSS (now and its kernel high-water mark) and open file descriptors,
// the machine's CPU busy time and available memory. Elsewhere (no /proc) the
// figures are null and the bench runs without them.
import { readFileSync, readdirSync } from 'node:fs'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { ProcessStats } from './messages.js'

let heapPeak = 0
let buffersPeak = 0
let loopDelay: IntervalHistogram | null = null
/** Starts sampling this process's V8 heap each second and its event-loop delay (for processStats). */
export function watchHeap (): void {
  const sample = (): void => {
    const m = process.memoryUsage()
    heapPeak = Math.max(heapPeak, m.heapUsed)
    buffersPeak = Math.max(buffersPeak, m.arrayBuffers)
  }
  sample()
  setInterval(sample, 1000).unref()
  loopDelay = monitorEventLoopDelay({ resolution: 20 })
  loopDelay.enable()
}

/** This process's CPU time and peak RSS (what each child reports when it stops). */
export function processStats (): ProcessStats {
  const cpu = process.cpuUsage()
  const m = process.memoryUsage()
  heapPeak = Math.max(heapPeak, m.heapUsed)
  buffersPeak = Math.max(buffersPeak, m.arrayBuffers)
  return {
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    maxRssMB: process.resourceUsage().maxRSS * 1024 / 1e6,
    heapPeakMB: heapPeak / 1e6,
    buffersPeakMB: buffersPeak / 1e6,
    loopDelayP99Ms: loopDelay === null ? null : loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay === null ? null : loopDelay.max / 1e6
  }
}

export interface ProcSample { rssMB: number; hwmMB: number; fds: number; threads: number }

/** RSS, peak RSS, open fds and threads of `pid`, or null once it is gone (or without /proc). */
export function sampleProcess (pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf-8')
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return {
      rssMB: kb('VmRSS') * 1024 / 1e6,
      hwmMB: kb('VmHWM') * 1024 / 1e6,
      threads: kb('Threads'),
      fds: readdirSync(`/proc/${pid}/fd`).length
    }
  } catch {
    return null
  }
}

/** Jiffies the machine's CPUs spent busy and in total, summed over all CPUs. */
function cpuTimes (): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf-8').split('\n')[0] ?? ''
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    const idle = (f[3] ?? 0) + (f[4] ?? 0) // idle + iowait
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** MemAvailable and MemTotal in MB, or null. */
export function memInfo (): { availableMB: number; totalMB: number } | null {
  try {
    const text = readFileSync('/proc/meminfo', 'utf-8')
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN)
    const out = { availableMB: kb('MemAvailable') * 1024 / 1e6, totalMB: kb('MemTotal') * 1024 / 1e6 }
    return Number.isFinite(out.availableMB) ? out : null
  } catch {
    return null
  }
}

/** The machine's count of UDP datagrams dropped because a socket's receive buffer was full (all processes), or null. */
export function udpRcvbufErrors (): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf-8').split('\n').filter((l) => l.startsWith('Udp:'))
    const names = (lines[0] ?? '').trim().split(/\s+/)
    const values = (lines[1] ?? '').trim().split(/\s+/)
    const i = names.indexOf('RcvbufErrors')
    return i < 0 ? null : Number(values[i])
  } catch {
    return null
  }
}

/** Datagrams each open IPv4 UDP socket dropped so far, by local port (/proc/net/udp), or null. */
export function udpDropsByPort (): Map<number, number> | null {
  try {
    const out = new Map<number, number>()
    for (const line of readFileSync('/proc/net/udp', 'utf-8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 13) continue
      const port = parseInt((f[1] ?? '').split(':')[1] ?? '', 16)
      out.set(port, (out.get(port) ?? 0) + Number(f[f.length - 1]))
    }
    return out
  } catch {
    return null
  }
}

/** The soft limit on open files of this process (children inherit it), or null. */
export function openFilesLimit (): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf-8'))
    return m === null ? null : Number(m[1])
  } catch {
    return null
  }
}

export interface GroupFigures {
  /** Highest sum of the group's RSS in one sample, MB. */
  peakRssMB: number
  /** Sum over the group's processes of each one's peak RSS (kernel high-water mark), MB. */
  sumOfPeaksMB: number
  /** Most open fds one process of the group had in one sample. */
  fdsPeak: number
  /** Most threads one process of the group had in one sample. */
  threadsPeak: number
}

/**
 * Samples named groups of processes (e.g. the writer, the reader hosts) every
 * `intervalMs`, and the machine's CPU and memory over the same time.
 */
export class ProcSampler {
  private readonly groups = new Map<string, { pids: Set<number>; peakRss: number; hwm: Map<number, number>; fdsPeak: number; threadsPeak: number }>()
  private timer: NodeJS.Timeout | null = null
  private cpuStart: { busy: number; total: number } | null = null
  private minAvailable = Infinity
  private peakTotalRss = 0

  constructor (private readonly intervalMs = 500) {}

  add (group: string, pid: number): void {
    let g = this.groups.get(group)
    if (g === undefined) {
      g = { pids: new Set(), peakRss: 0, hwm: new Map(), fdsPeak: 0, threadsPeak: 0 }
      this.groups.set(group, g)
    }
    g.pids.add(pid)
  }

  start (): this {
    this.cpuStart = cpuTimes()
    this.sample()
    this.timer = setInterval(() => this.sample(), this.intervalMs)
    this.timer.unref()
    return this
  }

  /** Takes a last sample (call it before the processes exit) and stops. */
  stop (): void {
    this.sample()
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  group (name: string): GroupFigures {
    const g = this.groups.get(name)
    if (g === undefined) return { peakRssMB: 0, sumOfPeaksMB: 0, fdsPeak: 0, threadsPeak: 0 }
    return { peakRssMB: g.peakRss, sumOfPeaksMB: [...g.hwm.values()].reduce((a, b) => a + b, 0), fdsPeak: g.fdsPeak, threadsPeak: g.threadsPeak }
  }

  /** Highest RSS of every sampled process together in one sample, MB. */
  get peakTotalRssMB (): number { return this.peakTotalRss }

  /** Lowest MemAvailable seen, MB (null without /proc). */
  get minAvailableMB (): number | null { return Number.isFinite(this.minAvailable) ? this.minAvailable : null }

  /** Share of the machine's CPU time that was busy since start() (all processes, ours and others'), 0..1. */
  machineBusy (): number | null {
    const end = cpuTimes()
    if (this.cpuStart === null || end === null || end.total === this.cpuStart.total) return null
    return (end.busy - this.cpuStart.busy) / (end.total - this.cpuStart.total)
  }

  private sample (): void {
    let total = 0
    for (const g of this.groups.values()) {
      let sum = 0
      for (const pid of g.pids) {
        const s = sampleProcess(pid)
        if (s === null) continue
        sum += s.rssMB
        g.hwm.set(pid, Math.max(g.hwm.get(pid) ?? 0, s.hwmMB, s.rssMB))
        g.fdsPeak = Math.max(g.fdsPeak, s.fds)
        g.threadsPeak = Math.max(g.threadsPeak, s.threads)
      }
      g.peakRss = Math.max(g.peakRss, sum)
      total += sum
    }
    this.peakTotalRss = Math.max(this.peakTotalRss, total)
    const mem = memInfo()
    if (mem !== null) this.minAvailable = Math.min(this.minAvailable, mem.availableMB)
  }
}
