// A local writer that coalesces concurrent appends into one hypercore append.
//
// Many small appends issued at once (a busy app) would otherwise each pay for a
// signature and a storage write. Here every append() made while one is in
// flight waits for it, then all of them go out as ONE hypercore append. The
// values are also handed to the shared entry cache, so the views index them
// without reading the blocks back from storage.
import type { Feed } from '@kappa-ts/multifeed'
import { closedError } from './errors.js'

/** The shared EntryReader: appends and keeps the values for the views (no read-back). */
export interface AppendCache {
  append(feed: Feed, values: unknown[]): Promise<{ length: number }>
}

interface PendingAppend {
  values: unknown[]
  resolve(firstSeq: number): void
  reject(err: unknown): void
}

/** Most values put into one hypercore append; bigger queues go out in several. */
const MAX_COALESCED = 16_384

export class Writer {
  readonly key: string
  readonly feed: Feed
  private readonly cache: () => AppendCache | null
  private queue: PendingAppend[] = []
  private queued = 0
  private flushing: Promise<void> | null = null
  private closed = false

  /** `cache` gives the entry cache to append through, or null when no view would read it. */
  constructor (feed: Feed, cache: () => AppendCache | null) {
    if (feed.key === null) throw new TypeError('writer feed is not ready')
    this.feed = feed
    this.key = feed.key.toString('hex')
    this.cache = cache
  }

  /** Entries in the feed, including appends still in flight once they land. */
  get length (): number { return this.feed.length }

  /**
   * Append one value, or each value of an array as its own entry.
   * Resolves with the seq of the first appended entry.
   */
  append (value: unknown): Promise<number> {
    if (this.closed) return Promise.reject(closedError('append'))
    const values = Array.isArray(value) ? value : [value]
    if (values.length === 0) return Promise.resolve(this.feed.length)
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ values, resolve, reject })
      this.queued += values.length
      this.flushing ??= this.flush()
    })
  }

  /** Waits for every queued append, then refuses new ones. */
  async close (): Promise<void> {
    this.closed = true
    if (this.flushing !== null) await this.flushing
  }

  private async flush (): Promise<void> {
    // Let the rest of the current tick queue its appends so they join this one.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const jobs = this.takeJobs()
      const values = jobs.length === 1 ? jobs[0]!.values : jobs.flatMap((j) => j.values)
      let length: number
      try {
        // The reader caches the values before the append event wakes the indexes.
        const cache = this.cache()
        length = cache !== null ? (await cache.append(this.feed, values)).length : (await this.feed.append(values)).length
      } catch (err) {
        for (const job of jobs) job.reject(err)
        continue
      }
      let seq = length - values.length
      for (const job of jobs) {
        job.resolve(seq)
        seq += job.values.length
      }
    }
    this.flushing = null
  }

  private takeJobs (): PendingAppend[] {
    if (this.queued <= MAX_COALESCED) {
      const all = this.queue
      this.queue = []
      this.queued = 0
      return all
    }
    const jobs: PendingAppend[] = []
    let n = 0
    while (this.queue.length > 0 && (n === 0 || n + this.queue[0]!.values.length <= MAX_COALESCED)) {
      const job = this.queue.shift()!
      n += job.values.length
      jobs.push(job)
    }
    this.queued -= n
    return jobs
  }
}
