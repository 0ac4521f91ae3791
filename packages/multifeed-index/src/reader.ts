// Reads entries for one or several indexes so that each block leaves storage once:
// reads in flight are shared, recent blocks are kept in a bounded cache, and the
// local writer can hand over values it has just appended (remember) so the
// indexer never reads its own appends back.
import type { Feed, MultifeedLike } from './types.js'

export type ReadResult =
  | { status: 'ok'; value: unknown }
  | { status: 'missing' } // not local (yet): skip now, index when it arrives
  | { status: 'invalid'; error: Error } // stored but cannot be decoded: skip for good

export interface EntryReaderOptions {
  /** How many entries the cache keeps (remembered and read). Default 20,000. */
  cacheSize?: number
}

export interface EntryReaderStats {
  cacheHits: number
  storageReads: number
  sharedReads: number // reads that joined one already in flight
  invalid: number
}

interface FeedCache { fork: number; values: Map<number, unknown> }
interface Chunk { cache: FeedCache; start: number; count: number }

const DEFAULT_CACHE_SIZE = 20_000

/**
 * A value handed to the cache as its JSON text (the exact text of the block): every
 * read parses it, so each index gets its own copy, equal to a read from storage, and
 * the cache holds one flat string per entry instead of an object graph.
 */
export class JsonText {
  constructor (readonly text: string) {}
}

export class EntryReader {
  readonly cacheSize: number
  readonly stats: EntryReaderStats = { cacheHits: 0, storageReads: 0, sharedReads: 0, invalid: 0 }
  private readonly multifeed: MultifeedLike
  private readonly caches = new Map<string, FeedCache>()
  // FIFO of what was cached, oldest first, for eviction (head index avoids O(n) shift)
  private chunks: Chunk[] = []
  private head = 0
  private cached = 0
  private readonly inflight = new Map<string, Promise<ReadResult>>()
  private readonly pendingEnd = new Map<string, number>() // per feed: end of appends in flight

  constructor (multifeed: MultifeedLike, opts: EntryReaderOptions = {}) {
    const size = opts.cacheSize ?? DEFAULT_CACHE_SIZE
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('cacheSize must be a non-negative integer')
    this.multifeed = multifeed
    this.cacheSize = size
  }

  /**
   * Values the local writer appended (or is appending) at seqs start, start+1, ...
   * They must equal what the feed's encoding returns on read (e.g. plain JSON).
   * Call it before the append resolves (see append()): an index may start reading
   * as soon as the feed emits 'append', which is before append() resolves.
   */
  remember (feedKey: string, start: number, values: unknown[]): void {
    this.rememberAt(feedKey, this.multifeed.feed(feedKey)?.fork ?? 0, start, values)
  }

  /**
   * Appends `values` to a local feed and hands them to the cache first, so no index
   * reads them back. Appends to one feed must all go through here for the seqs to
   * be right; a failed or unexpected append drops what was remembered.
   * `blocks`, when given, is what goes into the feed instead of `values` (the same
   * entries already encoded, one block per value): `values` must equal what a read
   * of those blocks returns.
   */
  async append (feed: Feed, values: unknown[], blocks?: unknown[]): Promise<{ length: number; byteLength: number }> {
    if (blocks !== undefined && blocks.length !== values.length) throw new TypeError('append: one block per value')
    if (feed.key === null) await feed.ready()
    const key = toHex(feed.key as Buffer)
    const start = Math.max(feed.length, this.pendingEnd.get(key) ?? 0)
    const end = start + values.length
    this.pendingEnd.set(key, end)
    this.rememberAt(key, feed.fork, start, values)
    try {
      const result = await feed.append(blocks ?? values)
      if (result.length !== end) this.forget(key) // someone else appended in between
      return result
    } catch (err) {
      this.forget(key)
      throw err
    } finally {
      if (this.pendingEnd.get(key) === end) this.pendingEnd.delete(key)
    }
  }

  private rememberAt (feedKey: string, fork: number, start: number, values: unknown[]): void {
    if (this.cacheSize === 0 || values.length === 0) return
    const cache = this.cacheFor(feedKey, fork)
    // keep only the newest cacheSize values of a huge append
    const skip = Math.max(0, values.length - this.cacheSize)
    for (let i = skip; i < values.length; i++) cache.values.set(start + i, values[i])
    this.push({ cache, start: start + skip, count: values.length - skip })
  }

  /** Drops every cached value of a feed (e.g. after it was truncated). */
  forget (feedKey: string): void {
    this.caches.delete(feedKey)
  }

  /** Reads seq of feed without waiting for the network. */
  async read (feed: Feed, feedKey: string, seq: number): Promise<ReadResult> {
    return (await this.readMany(feed, feedKey, [seq]))[0]
  }

  /**
   * Reads several seqs of one feed at once: cached ones from memory, ones already
   * being read by another index from that read, the rest from storage together.
   */
  readMany (feed: Feed, feedKey: string, seqs: number[]): Promise<ReadResult[]> {
    const fork = feed.fork
    const cache = this.caches.get(feedKey)
    const usable = cache !== undefined && cache.fork === fork ? cache : null
    const out: Array<ReadResult | Promise<ReadResult>> = new Array(seqs.length)
    const toRead: number[] = []
    const slots: number[] = []
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]
      if (usable !== null && usable.values.has(seq)) {
        this.stats.cacheHits++
        const value = usable.values.get(seq)
        out[i] = { status: 'ok', value: value instanceof JsonText ? JSON.parse(value.text) : value }
        continue
      }
      const pending = this.inflight.get(feedKey + '/' + fork + '/' + seq)
      if (pending !== undefined) {
        this.stats.sharedReads++
        out[i] = pending
        continue
      }
      toRead.push(seq)
      slots.push(i)
    }
    if (toRead.length > 0) {
      this.stats.storageReads += toRead.length
      const reads = readBlocks(feed, toRead)
      for (let j = 0; j < toRead.length; j++) {
        const seq = toRead[j]
        const id = feedKey + '/' + fork + '/' + seq
        const p = reads[j].then((result) => {
          this.inflight.delete(id)
          if (result.status === 'ok' && this.cacheSize > 0 && feed.fork === fork) {
            const c = this.cacheFor(feedKey, fork)
            if (!c.values.has(seq)) {
              c.values.set(seq, result.value)
              this.push({ cache: c, start: seq, count: 1 })
            }
          }
          if (result.status === 'invalid') this.stats.invalid++
          return result
        }, (err: unknown) => {
          this.inflight.delete(id)
          throw err
        })
        this.inflight.set(id, p)
        out[slots[j]] = p
      }
    }
    return Promise.all(out)
  }

  private cacheFor (feedKey: string, fork: number): FeedCache {
    let cache = this.caches.get(feedKey)
    if (cache === undefined || cache.fork !== fork) {
      // a new fork invalidates everything cached for the old one
      cache = { fork, values: new Map() }
      this.caches.set(feedKey, cache)
    }
    return cache
  }

  private push (chunk: Chunk): void {
    this.chunks.push(chunk)
    this.cached += chunk.count
    while (this.cached > this.cacheSize && this.head < this.chunks.length) {
      const old = this.chunks[this.head++]
      for (let i = 0; i < old.count; i++) old.cache.values.delete(old.start + i)
      this.cached -= old.count
    }
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }
}

// What readBlocks uses of hypercore's internals (read in hypercore 11.37's source):
// a read transaction of its storage takes many block reads and flushes them in one
// RocksDB batch, about twice as fast as as many parallel get()s.
interface BlockReadTx { getBlock(index: number): Promise<Uint8Array | null>; tryFlush(): void }
interface FeedInternals {
  state?: { storage?: { read?: () => BlockReadTx } } | null
  encryption?: unknown
  valueEncoding?: unknown
  _decode?: (encoding: unknown, block: Uint8Array, index: number) => unknown
}

/**
 * Reads blocks of one feed together when hypercore's storage allows it, one get()
 * each otherwise. A block the batch does not find goes through get(), which
 * decides between "not local" and a race with a session change.
 */
function readBlocks (feed: Feed, seqs: number[]): Array<Promise<ReadResult>> {
  const internal = feed as unknown as FeedInternals
  const storage = internal.state?.storage
  const decode = internal._decode
  if (seqs.length < 2 || storage?.read === undefined || internal.encryption != null ||
    typeof decode !== 'function' || feed.closing !== null) {
    return seqs.map((seq) => readBlock(feed, seq))
  }
  let tx: BlockReadTx
  try {
    tx = storage.read()
  } catch {
    return seqs.map((seq) => readBlock(feed, seq))
  }
  const blocks = seqs.map((seq) => tx.getBlock(seq))
  tx.tryFlush()
  return blocks.map(async (pending, i): Promise<ReadResult> => {
    let block: Uint8Array | null
    try {
      block = await pending
    } catch {
      return await readBlock(feed, seqs[i])
    }
    if (block === null) return await readBlock(feed, seqs[i])
    try {
      return { status: 'ok', value: decode.call(feed, internal.valueEncoding, block, seqs[i]) }
    } catch (err) {
      if (isDecodingError(err)) return { status: 'invalid', error: err as Error }
      throw err
    }
  })
}

async function readBlock (feed: Feed, seq: number): Promise<ReadResult> {
  let value: unknown
  try {
    value = await feed.get(seq, { wait: false })
  } catch (err) {
    if (isDecodingError(err)) return { status: 'invalid', error: err as Error }
    throw err
  }
  // a JSON block may legitimately decode to null: tell it apart from "not local"
  if (value === null && !(await feed.has(seq))) return { status: 'missing' }
  return { status: 'ok', value }
}

function isDecodingError (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = (err as { code?: unknown }).code
  return code === 'DECODING_ERROR' || err instanceof SyntaxError
}

export function toHex (key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
}
