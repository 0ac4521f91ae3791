// Measuring helpers: monotonic timing, percentiles, peak RSS, size on disk.
import { readdirSync, lstatSync } from 'node:fs'
import { join } from 'node:path'

/** Milliseconds since some fixed point, from the monotonic clock. */
export function now (): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/** Runs `fn` and returns its result with the elapsed milliseconds. */
export async function timed<T> (fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = now()
  const value = await fn()
  return { ms: now() - start, value }
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile (samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

/** Times `n` sequential calls of `fn(i)`; returns p50/p99 in milliseconds. */
export async function latencies (n: number, fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; samples: number[] }> {
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const start = now()
    await fn(i)
    samples.push(now() - start)
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples }
}

/**
 * Samples this process's RSS on an interval and reports the highest seen.
 * The kernel's own high-water mark (resourceUsage().maxRSS) is folded in too,
 * so a spike between two samples still counts.
 */
export class RssSampler {
  private peak = 0
  private timer: NodeJS.Timeout | null = null

  constructor (private readonly intervalMs = 50) {}

  start (): this {
    this.sample()
    this.timer = setInterval(() => this.sample(), this.intervalMs)
    this.timer.unref()
    return this
  }

  /** Stops sampling; returns the peak in bytes. */
  stop (): number {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.sample()
    return this.peak
  }

  /** The peak so far, in bytes. */
  get peakBytes (): number {
    this.sample()
    return this.peak
  }

  private sample (): void {
    const rss = process.memoryUsage.rss()
    if (rss > this.peak) this.peak = rss
  }
}

/** The process's peak RSS since it started (kernel high-water mark), in bytes. */
export function processPeakRss (): number {
  return process.resourceUsage().maxRSS * 1024
}

/** Apparent size of a folder: the sum of its files' sizes (not blocks used). */
export function dirSize (dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = lstatSync(p)
    if (st.isDirectory()) total += dirSize(p)
    else if (st.isFile()) total += st.size
  }
  return total
}

/** Megabytes as the issue counts them (10^6 bytes). */
export const MB = 1_000_000

/** Rounds to a few significant decimals for the JSON lines. */
export function round (x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Milliseconds as seconds for the markdown table, e.g. `1.23 s`. */
export function fmtS (ms: unknown): string {
  return `${((ms as number) / 1000).toFixed(2)} s`
}
