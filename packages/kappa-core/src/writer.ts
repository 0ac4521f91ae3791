// A local writer: packs entries into blocks and coalesces concurrent appends.
//
// Every hypercore block costs a signature, a merkle node, a storage write, and on
// the wire a request and a proof, so entries are packed many to a block (about
// 64 KB each, see @kappa-ts/multifeed's block format). Every append() made while
// one is in flight waits for it, then all of them go out as ONE hypercore append
// of as few blocks as they fill. A single small append with nothing in flight is
// one block at once: a chat message waits for nothing.
//
// What the views get must be what the log holds, or a view would differ from a
// rebuild of it. Each value is encoded once, when append() is called (JSON text on
// a json feed): those bytes go into the block, and the shared entry reader caches
// the block with that text, which each view's read parses (a Date becomes its ISO
// string, undefined fields are gone, a caller changing the object afterwards changes
// nothing, and views cannot change each other's copies). A value the encoding
// cannot store is refused before anything is queued.
import { encodeEntry, entrySize, EntryValueError, MAX_ENTRY_BYTES, type EncodedEntry, type Feed, type ValueEncoding } from '@kappa-ts/multifeed'
import type { Address, AppendResult } from '@kappa-ts/multifeed-index'
import { closedError, KappaError } from './errors.js'

/** Where appends go: the shared entry reader packs them and caches the blocks for the views. */
export interface BlockAppender {
  readonly encoding: ValueEncoding
  appendEncoded(feed: Feed, entries: EncodedEntry[]): Promise<AppendResult>
}

interface PendingAppend {
  entries: EncodedEntry[]
  resolve(first: number, result: AppendResult): void
  reject(err: unknown): void
}

/** Most entries put into one hypercore append; bigger queues go out in several. */
const MAX_COALESCED = 16_384

export class Writer {
  readonly key: string
  readonly feed: Feed
  private readonly log: BlockAppender
  private queue: PendingAppend[] = []
  private queued = 0
  private flushing: Promise<void> | null = null
  private closed = false

  constructor (feed: Feed, log: BlockAppender) {
    if (feed.key === null) throw new TypeError('writer feed is not ready')
    this.feed = feed
    this.key = feed.key.toString('hex')
    this.log = log
  }

  /** Blocks in the feed (entries are packed: a block holds one or more). */
  get length (): number { return this.feed.length }

  /**
   * Appends each value of an array as its own entry, in order; resolves with their
   * addresses. Nothing of the call is appended if one value cannot be stored
   * (KappaError ERR_INVALID_VALUE names it).
   */
  append (values: unknown[]): Promise<Address[]>
  /** Appends one value; resolves with its address (block, index in the block). */
  append (value: unknown): Promise<Address>
  append (value: unknown): Promise<Address | Address[]> {
    if (this.closed) return Promise.reject(closedError('append'))
    const many = Array.isArray(value)
    const input: unknown[] = many ? value : [value]
    if (input.length === 0) return Promise.resolve([])
    let entries: EncodedEntry[]
    try {
      entries = this.encode(input, many)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<Address | Address[]>((resolve, reject) => {
      this.queue.push({
        entries,
        resolve: (first, result) => {
          const addresses = addressesOf(result, first, entries.length)
          resolve(many ? addresses : addresses[0]!)
        },
        reject
      })
      this.queued += entries.length
      this.flushing ??= this.flush()
    })
  }

  /** Waits for every queued append, then refuses new ones. */
  async close (): Promise<void> {
    this.closed = true
    if (this.flushing !== null) await this.flushing
  }

  private encode (input: unknown[], many: boolean): EncodedEntry[] {
    const entries = new Array<EncodedEntry>(input.length)
    for (let i = 0; i < input.length; i++) {
      try {
        const entry = encodeEntry(this.log.encoding, input[i])
        const size = entrySize(entry)
        if (size > MAX_ENTRY_BYTES) throw new EntryValueError(`it is ${size} bytes; an entry holds at most ${MAX_ENTRY_BYTES}`)
        entries[i] = entry
      } catch (err) {
        const which = many ? `value ${i}` : 'the value'
        const why = err instanceof Error ? err.message : String(err)
        throw new KappaError('ERR_INVALID_VALUE', `append: ${which} cannot be stored as ${this.log.encoding} (${why}); nothing was appended`, { cause: err })
      }
    }
    return entries
  }

  private async flush (): Promise<void> {
    // Let the rest of the current tick queue its appends so they join this one.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const jobs = this.takeJobs()
      const entries = jobs.length === 1 ? jobs[0]!.entries : jobs.flatMap((j) => j.entries)
      let result: AppendResult
      try {
        result = await this.log.appendEncoded(this.feed, entries)
      } catch (err) {
        for (const job of jobs) job.reject(err)
        continue
      }
      let first = 0
      for (const job of jobs) {
        job.resolve(first, result)
        first += job.entries.length
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
    while (this.queue.length > 0 && (n === 0 || n + this.queue[0]!.entries.length <= MAX_COALESCED)) {
      const job = this.queue.shift()!
      n += job.entries.length
      jobs.push(job)
    }
    this.queued -= n
    return jobs
  }
}

/** Addresses of `count` entries starting at the `first`-th entry of an append. */
function addressesOf (result: AppendResult, first: number, count: number): Address[] {
  const out = new Array<Address>(count)
  let block = result.firstBlock
  let skip = first
  let j = 0
  // find the block holding entry `first`
  while (skip >= result.counts[j]!) { skip -= result.counts[j]!; j++; block++ }
  let index = skip
  for (let i = 0; i < count; i++) {
    out[i] = { block, index }
    if (++index === result.counts[j]) { j++; block++; index = 0 }
  }
  return out
}
