// 4. Fan-out, the seed's peers-per-writer test: one writer process serves N
//    readers in other processes over real sockets on 127.0.0.1 (the swarm, with a
//    local DHT node), readers joining in waves while the writer appends live.
//    Each N runs in its own process; within it, live rates are tried in turn up
//    to the first that is not clean (see bench/README.md).
import { rmSync } from 'node:fs'
import path from 'node:path'
import type { FanoutSettings } from '../config.js'
import { runFanout, type FanoutRunOptions } from '../fanout/coordinator.js'
import type { ReaderMemory } from '../fanout/messages.js'
import type { Figures, Scenario } from '../scenario.js'
import { now } from '../stats.js'

const MiB = 1024 * 1024

/**
 * How each reader is sized. 'default' is what the libraries pick for one kappa per
 * process; 'small' is the bench's, for hundreds of readers per machine (README,
 * scenario 4, says what each costs).
 */
export const READER_MEMORY: Record<FanoutSettings['readerMemory'], ReaderMemory> = {
  default: { coreWriteBufferBytes: 16 * MiB, viewWriteBufferBytes: 4 * MiB, viewCacheBytes: 8 * MiB, entryCacheBytes: 16 * MiB },
  small: { coreWriteBufferBytes: 1 * MiB, viewWriteBufferBytes: 1 * MiB, viewCacheBytes: 1 * MiB, entryCacheBytes: 1 * MiB }
}

/** The aim (issue 16): this many readers, zero failures, the writer under 1 GB, every reader done within 2 minutes. */
const AIM = { readers: 1000, writerRssMB: 1000, readerMs: 120_000 }

/** Figures of a run kept in the list of attempts (the full figures are those of the reported run). */
const ATTEMPT_FIELDS = ['rate', 'clean', 'stoppedEarly', 'done', 'failures', 'timeouts', 'errors', 'reconnects', 'ms', 'readerMaxMs', 'achievedRate', 'writerCpuCores', 'peakRssMB', 'bound'] as const

export const fanout: Scenario = {
  id: 4,
  name: 'fanout',
  title: 'Fan-out: one writer process to N readers in other processes, joining in waves, writer appending live',
  data: 'main',
  // per run (in `runs`): readers, done, failures, ms, peakRssMB, cleanRate, attempts, ...
  fields: ['runs', 'stopReason'],

  variants: {
    values: ({ readers }) => readers,
    stop (done: Figures[], next: number, limits) {
      const last = done[done.length - 1]
      if (last === undefined || last.ok !== true) return null
      // Memory grows with the readers: the readers' share scales, the writer's barely.
      const perReader = last.readerRssPerReaderMB as number
      const predicted = perReader * next + (last.writerPeakRssMB as number)
      if (predicted > limits.memoryMB) return `stopped before ${next} readers: ${perReader.toFixed(1)} MB per reader at ${String(last.readers)} readers predicts ${predicted.toFixed(0)} MB, more than the ${limits.memoryMB} MB free to use`
      return null
    }
  },

  async run (cfg, log) {
    const n = cfg.variant ?? 10
    const f = cfg.fanout
    const base: Omit<FanoutRunOptions, 'rate'> = {
      readers: n,
      records: cfg.quick ? 1000 : 10_000,
      appendEveryMs: f.appendEveryMs,
      waveSize: f.waveSize ?? Math.max(1, Math.ceil(n / 10)),
      waveMs: f.waveMs,
      perProcess: f.perProcess,
      readerTimeoutMs: f.readerTimeoutS * 1000,
      liveTailMs: f.liveTailS * 1000,
      memory: READER_MEMORY[f.readerMemory],
      abortOnFailure: !f.fullRuns,
      readerNice: f.readerNice,
      handshakeTimeoutMs: f.handshakeTimeoutMs,
      nodeArgs: cfg.nodeArgs,
      profileDir: cfg.profileDir
    }
    const started = now()
    const attempts: Figures[] = []
    let stopReason: string | null = null
    const attempt = async (rate: number): Promise<Figures> => {
      const workDir = path.join(cfg.workDir, `rate-${rate}`)
      const r = await runFanout({ dataFile: cfg.dataFile, workDir, label: `N=${n} rate=${rate}` }, { ...base, rate }, log)
      rmSync(workDir, { recursive: true, force: true })
      attempts.push(r)
      log(`N=${n} at ${rate}/s: ${r.clean === true ? 'clean' : 'NOT clean'}: ${String(r.done)}/${n} done, ${String(r.failures)} failures, ${String(r.reconnects)} reconnects, ${((r.ms as number) / 1000).toFixed(1)} s, bound: ${String(r.bound)}`)
      return r
    }
    // Another attempt must fit in what is left of this process's time limit.
    const fits = (lastMs: number): boolean => (now() - started + lastMs * 1.3) / 1000 < cfg.timeoutS * 0.95
    let rate = f.rate
    let t = now()
    const first = await attempt(rate)
    // Clean: double while clean. Not clean: halve until clean.
    const up = first.clean === true
    let last = first
    while (true) {
      const nextRate = up ? rate * 2 : Math.floor(rate / 2)
      if ((up && (last.clean !== true || nextRate > f.rateMax)) || (!up && (last.clean === true || nextRate < f.rateMin))) break
      if (!fits(now() - t)) {
        stopReason = `stopped the rate search before ${nextRate}/s: another run would not fit in the ${cfg.timeoutS} s time limit`
        break
      }
      rate = nextRate
      t = now()
      last = await attempt(rate)
    }
    const cleanRuns = attempts.filter((a) => a.clean === true).sort((a, b) => (a.rate as number) - (b.rate as number))
    const reported = cleanRuns[cleanRuns.length - 1] ?? attempts[0]!
    return {
      ...reported,
      cleanRate: cleanRuns.length === 0 ? null : cleanRuns[cleanRuns.length - 1]!.rate,
      attempts: attempts.map((a) => Object.fromEntries(ATTEMPT_FIELDS.map((k) => [k, a[k]]))),
      rateStopReason: stopReason,
      settings: { ...base, rate: f.rate, rateMax: f.rateMax, rateMin: f.rateMin, readerMemory: f.readerMemory }
    }
  },

  row (r, quick) {
    const runs = (r.runs as Figures[]) ?? []
    const parts = runs.map((x) => {
      if (x.ok !== true) return `N=${String(x.variant)}: ${String(x.error)}`
      const s = (ms: unknown): string => `${((ms as number) / 1000).toFixed(1)} s`
      const tried = ((x.attempts as Figures[] | undefined) ?? []).map((a) => `${String(a.rate)}${a.clean === true ? '' : ' (not clean)'}`).join(', ')
      const rate = x.cleanRate === null ? `no clean rate (tried ${tried}/s)` : `clean at ${String(x.cleanRate)}/s (tried ${tried}/s)`
      return `N=${String(x.readers)}: ${rate}; ${String(x.done)}/${String(x.readers)} done in ${s(x.ms)} (reader p50 ${s(x.readerP50Ms)}, max ${s(x.readerMaxMs)}), ` +
        `${String(x.failures)} failures, ${String(x.reconnects)} reconnects, writer ${String(x.writerCpuCores)} cores and ${String(x.writerPeakRssMB)} MB, ` +
        `${String(x.readerRssPerReaderMB)} MB per reader, peak RSS ${String(x.peakRssMB)} MB in all; bound: ${String(x.bound)}`
    })
    if (r.stopReason !== null && r.stopReason !== undefined) parts.push(`(${String(r.stopReason)})`)
    const aimRun = runs.find((x) => x.ok === true && (x.readers as number) >= AIM.readers)
    const met = quick || aimRun === undefined
      ? null
      : aimRun.done === aimRun.readers && aimRun.failures === 0 && (aimRun.writerPeakRssMB as number) < AIM.writerRssMB && (aimRun.readerMaxMs as number) <= AIM.readerMs
    return { figures: parts.join('; '), aim: '1,000 readers, 0 failures, writer < 1 GB, every reader done within 2 min', met }
  }
}
