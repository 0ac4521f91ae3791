// A local writer that coalesces concurrent appends into one hypercore append.
//
// Many small appends issued at once (a busy app) would otherwise each pay for a
// signature and a storage write. Here every append() made while one is in
// flight waits for it, then all of them go out as ONE hypercore append. The
// values are also handed to the shared entry cache, so the views index them
// without reading the blocks back from storage.
//
// What the views get must be what the log holds, or a view would differ from a
// rebuild of it. On a json feed each value is serialized once, when append() is
// called: those bytes are the block, and the cache gets the same text, which each
// view's read parses (a Date becomes its ISO string, undefined fields are gone, a
// caller changing the object afterwards changes nothing, and views cannot change
// each other's copies). A value JSON cannot encode is refused before anything is
// queued.
import type { Feed } from '@kappa-ts/multifeed'
import { JsonText } from '@kappa-ts/multifeed-index'
import { closedError, KappaError } from './errors.js'

/** The shared EntryReader: appends and keeps the values for the views (no read-back). */
export interface AppendCache {
  /** `blocks`, when given, are appended instead of `values` (the same entries; values may be JsonText). */
  append(feed: Feed, values: unknown[], blocks?: unknown[]): Promise<{ length: number }>
}

interface PendingAppend {
  values: unknown[]
  /** The encoded blocks of `values` (json feeds), or null to let the feed encode them. */
  blocks: Uint8Array[] | null
  resolve(firstSeq: number): void
  reject(err: unknown): void
}

/** Most values put into one hypercore append; bigger queues go out in several. */
const MAX_COALESCED = 16_384

export class Writer {
  readonly key: string
  readonly feed: Feed
  private readonly cache: () => AppendCache | null
  /** The feed decodes blocks as JSON: values are serialized here, once. */
  private readonly json: boolean
  /** The feed stores blocks as given (no encryption padding), so pre-encoded bytes can be appended. */
  private readonly rawBlocks: boolean
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
    this.json = decodesJson(feed)
    this.rawBlocks = this.json && (feed as { encryption?: unknown }).encryption == null
  }

  /** Entries in the feed, including appends still in flight once they land. */
  get length (): number { return this.feed.length }

  /**
   * Append one value, or each value of an array as its own entry.
   * Resolves with the seq of the first appended entry. On a json feed, a value
   * JSON cannot encode (undefined, a function, a BigInt, a cycle) rejects with
   * KappaError ERR_INVALID_VALUE and nothing of the call is appended.
   */
  append (value: unknown): Promise<number> {
    if (this.closed) return Promise.reject(closedError('append'))
    const input = Array.isArray(value) ? value : [value]
    if (input.length === 0) return Promise.resolve(this.feed.length)
    let values = input
    let blocks: Uint8Array[] | null = null
    if (this.json) {
      try {
        ({ values, blocks } = this.serialize(input))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ values, blocks, resolve, reject })
      this.queued += values.length
      this.flushing ??= this.flush()
    })
  }

  /** Waits for every queued append, then refuses new ones. */
  async close (): Promise<void> {
    this.closed = true
    if (this.flushing !== null) await this.flushing
  }

  /**
   * Each value as the log will hold it: its JSON text, appended as the block, and
   * handed to the cache as that text (each index parses its own copy of it).
   */
  private serialize (input: unknown[]): { values: unknown[]; blocks: Uint8Array[] | null } {
    const values = new Array<unknown>(input.length)
    const blocks = this.rawBlocks ? new Array<Uint8Array>(input.length) : null
    for (let i = 0; i < input.length; i++) {
      let text: string | undefined
      try {
        text = JSON.stringify(input[i])
      } catch (err) {
        throw invalidValue(input.length > 1 ? i : null, err instanceof Error ? err.message : String(err), err)
      }
      // undefined, a function or a symbol have no JSON text at all
      if (text === undefined) throw invalidValue(input.length > 1 ? i : null, `${typeof input[i]} has no JSON form`)
      values[i] = new JsonText(text)
      if (blocks !== null) blocks[i] = Buffer.from(text)
    }
    return { values, blocks }
  }

  private async flush (): Promise<void> {
    // Let the rest of the current tick queue its appends so they join this one.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const jobs = this.takeJobs()
      const values = jobs.length === 1 ? jobs[0]!.values : jobs.flatMap((j) => j.values)
      const blocks = jobs[0]!.blocks === null ? null : jobs.length === 1 ? jobs[0]!.blocks : jobs.flatMap((j) => j.blocks as Uint8Array[])
      let length: number
      try {
        // The reader caches the values before the append event wakes the indexes.
        const cache = this.cache()
        // Without raw blocks (an encrypted feed) the feed encodes parsed copies: the same text.
        const appended = blocks ?? (this.json ? values.map(parseText) : values)
        if (cache !== null) {
          length = (await (this.json ? cache.append(this.feed, values, appended) : cache.append(this.feed, values))).length
        } else {
          length = (await this.feed.append(appended)).length
        }
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

function parseText (value: unknown): unknown {
  return JSON.parse((value as JsonText).text)
}

function invalidValue (index: number | null, why: string, cause?: unknown): KappaError {
  const which = index === null ? 'the value' : `value ${index}`
  return new KappaError('ERR_INVALID_VALUE', `append: ${which} cannot be stored as JSON (${why}); nothing was appended`,
    cause === undefined ? {} : { cause })
}

// Whether the feed's value encoding turns JSON text into a JS value. Asked of the
// encoding itself, so a feed opened as 'binary' or 'utf-8' keeps its values as given.
const PROBE = Buffer.from('{"kappa":[1]}')
function decodesJson (feed: Feed): boolean {
  const enc = (feed as { valueEncoding?: unknown }).valueEncoding as { decode?: (state: { start: number; end: number; buffer: Uint8Array }) => unknown } | null | undefined
  if (enc === null || enc === undefined || typeof enc.decode !== 'function') return false
  try {
    const v = enc.decode({ start: 0, end: PROBE.length, buffer: PROBE }) as { kappa?: unknown } | null
    return v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && Array.isArray(v.kappa)
  } catch {
    return false
  }
}
