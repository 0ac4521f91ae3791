// Reads and writes the packed blocks of a multifeed's feeds for one or several
// indexes, so that each block leaves storage once and is decoded once:
//   - the local writer appends through here (append/appendEncoded): entries are
//     packed into blocks, and the decoded blocks go into the cache before the
//     append lands, so no index reads its own appends back;
//   - reads in flight are shared, and recent blocks stay in a cache bounded by bytes;
//   - a block that is not a well-formed packed block is reported as invalid, with
//     the reason, and never partly read.
// The reader also learns from every block it decodes how many entries a feed holds
// (each block carries the count before it), which indexes turn into progress.
import {
  compressBlockSync, decodeBlock, decodeEntry, encodeEntry, entrySize, packBlocks, EntryValueError,
  MAX_ENTRY_BYTES, TARGET_BLOCK_BYTES, type DecodedBlock, type EncodedEntry, type ValueEncoding
} from '@kappa-ts/multifeed'
import type { Address, Feed, MultifeedLike } from './types.js'

export type BlockRead =
  | { status: 'ok'; block: DecodedBlock }
  | { status: 'missing' } // not local (yet): skip now, index when it arrives
  | { status: 'invalid'; error: Error } // stored but not a readable packed block: skip for good

export type EntryRead =
  | { status: 'ok'; value: unknown }
  | { status: 'missing' }
  | { status: 'invalid'; error: Error }

export interface EntryReaderOptions {
  /** Bytes of decoded blocks the cache keeps (appended and read). Default 16 MiB. */
  cacheBytes?: number
  /** Where append() closes a block: entries are packed up to about this many bytes. Default TARGET_BLOCK_BYTES. */
  blockBytes?: number
}

export interface EntryReaderStats {
  cacheHits: number // blocks served from the cache
  storageReads: number // blocks read from storage
  sharedReads: number // reads that joined one already in flight
  invalid: number // blocks found malformed
}

export interface AppendResult {
  /** Block length of the feed after the append. */
  length: number
  /** Block index of the first new block. */
  firstBlock: number
  /** Entries in each new block, in order. */
  counts: number[]
}

interface FeedCache { fork: number; blocks: Map<number, DecodedBlock> }
interface Cached { cache: FeedCache; block: number; bytes: number }
/** The furthest block of a feed decoded so far, and the entries up to its end. */
interface Known { fork: number; block: number; end: number }

const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024

export class EntryReader {
  readonly cacheBytes: number
  readonly blockBytes: number
  readonly encoding: ValueEncoding
  readonly stats: EntryReaderStats = { cacheHits: 0, storageReads: 0, sharedReads: 0, invalid: 0 }
  private readonly multifeed: MultifeedLike
  private readonly caches = new Map<string, FeedCache>()
  // FIFO of cached blocks, oldest first, for eviction (head index avoids O(n) shift)
  private order: Cached[] = []
  private head = 0
  private cachedBytes = 0
  private readonly inflight = new Map<string, Promise<BlockRead>>()
  /** Per feed: block length and entry count once the appends in flight have landed. */
  private readonly pending = new Map<string, { blocks: number; entries: number }>()
  private readonly known = new Map<string, Known>()
  /** Per feed: the last hypercore append in flight; blocks are compressed in parallel but appended in order. */
  private readonly appending = new Map<string, Promise<unknown>>()

  constructor (multifeed: MultifeedLike, opts: EntryReaderOptions = {}) {
    const size = opts.cacheBytes ?? DEFAULT_CACHE_BYTES
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('cacheBytes must be a non-negative integer')
    const blockBytes = opts.blockBytes ?? TARGET_BLOCK_BYTES
    if (!Number.isSafeInteger(blockBytes) || blockBytes < 1 || blockBytes > MAX_ENTRY_BYTES) throw new TypeError(`blockBytes must be an integer in 1..${MAX_ENTRY_BYTES}`)
    this.multifeed = multifeed
    this.encoding = multifeed.valueEncoding ?? 'json'
    this.cacheBytes = size
    this.blockBytes = blockBytes
  }

  /**
   * Appends values to a local feed, packed into blocks, and hands the blocks to the
   * cache first so no index reads them back. Throws EntryValueError (nothing
   * appended) for a value the multifeed's encoding cannot store.
   */
  async append (feed: Feed, values: unknown[]): Promise<AppendResult> {
    const encoded = new Array<EncodedEntry>(values.length)
    for (let i = 0; i < values.length; i++) {
      try {
        encoded[i] = encodeEntry(this.encoding, values[i])
      } catch (err) {
        throw values.length > 1 && err instanceof EntryValueError
          ? new EntryValueError(`value ${i}: ${err.message}`, { cause: err })
          : err
      }
    }
    return await this.appendEncoded(feed, encoded)
  }

  /**
   * Appends entries already encoded (encodeEntry): packed into blocks of about
   * 64 KB, in one hypercore append (atomic, one signature). Every append to a feed
   * must go through one reader for block offsets and counts to be right.
   */
  async appendEncoded (feed: Feed, entries: EncodedEntry[]): Promise<AppendResult> {
    if (feed.key === null) await feed.ready()
    const key = toHex(feed.key as Buffer)
    const sizes = new Array<number>(entries.length)
    for (let i = 0; i < entries.length; i++) {
      const size = entrySize(entries[i]!)
      if (size > MAX_ENTRY_BYTES) {
        throw new EntryValueError(`${entries.length > 1 ? `value ${i}` : 'the value'} is ${size} bytes; an entry holds at most ${MAX_ENTRY_BYTES}`)
      }
      sizes[i] = size
    }
    if (entries.length === 0) return { length: feed.length, firstBlock: feed.length, counts: [] }
    // where this append starts: after what the feed holds and what is in flight
    let at = this.pending.get(key)
    if (at === undefined) {
      const entriesBefore = await this.entryCount(feed, key)
      at = this.pending.get(key) ?? { blocks: feed.length, entries: entriesBefore }
    }
    const packed = packBlocks(entries, sizes, at.entries, this.blockBytes)
    const firstBlock = at.blocks
    const after = { blocks: at.blocks + packed.length, entries: at.entries + entries.length }
    this.pending.set(key, after)
    const fork = feed.fork
    for (let i = 0; i < packed.length; i++) {
      this.learn(key, fork, firstBlock + i, packed[i]!.decoded)
      this.cacheBlock(key, fork, firstBlock + i, packed[i]!.decoded)
    }
    // Compressed here, on this thread: Brotli's fastest quality takes ~0.1 ms per 64 KB
    // block, and node's async zlib costs more than that per call in stream setup.
    // Appends go out in the order their blocks were numbered.
    const stored = packed.map((p) => compressBlockSync(p.block))
    const previous = this.appending.get(key) ?? Promise.resolve()
    const appended = previous.then(async () => await feed.append(stored), async () => await feed.append(stored))
    this.appending.set(key, appended)
    try {
      const result = await appended
      if (result.length !== after.blocks) {
        // someone else appended in between: our offsets and cached blocks are wrong
        this.forget(key)
        this.pending.delete(key)
      }
      return { length: result.length, firstBlock: result.length - packed.length, counts: packed.map((p) => p.decoded.count) }
    } catch (err) {
      this.forget(key)
      this.pending.delete(key)
      throw err
    } finally {
      if (this.pending.get(key) === after) this.pending.delete(key)
      if (this.appending.get(key) === appended) this.appending.delete(key)
    }
  }

  /** Entries a feed holds (from its last block's header), reading that block if needed. */
  async entryCount (feed: Feed, key = toHex(feed.key as Buffer)): Promise<number> {
    const length = feed.length
    if (length === 0) return 0
    const known = this.known.get(key)
    if (known !== undefined && known.fork === feed.fork && known.block === length - 1) return known.end
    const read = await this.readBlock(feed, key, length - 1)
    if (read.status === 'ok') return read.block.end
    if (read.status === 'missing') throw new Error(`cannot count the entries of feed ${key.slice(0, 8)}: its last block is not local`)
    // a malformed last block (written around us): count on from a lower bound, the
    // offsets only feed progress
    return this.knownEntries(feed, key).entries
  }

  /**
   * What is known of a feed's entry count without reading: the exact count when
   * its last block has been decoded, else a lower bound (at least one entry per
   * block), and whether it is exact.
   */
  knownEntries (feed: Feed, key: string): { entries: number; exact: boolean } {
    const length = feed.length
    const known = this.known.get(key)
    if (known === undefined || known.fork !== feed.fork || known.block >= length) return { entries: length, exact: length === 0 }
    return { entries: known.end + (length - 1 - known.block), exact: known.block === length - 1 }
  }

  /** Drops every cached block of a feed (e.g. after it was truncated). */
  forget (feedKey: string): void {
    this.caches.delete(feedKey)
    this.known.delete(feedKey)
  }

  /** Reads one block without waiting for the network. */
  async readBlock (feed: Feed, feedKey: string, block: number, opts: { wait?: boolean } = {}): Promise<BlockRead> {
    if (opts.wait === true) {
      const cached = this.cached(feedKey, feed.fork, block)
      if (cached !== undefined) return { status: 'ok', block: cached }
      const raw = await getBlock(feed, block, true)
      return await this.decoded(feed, feedKey, feed.fork, block, raw)
    }
    return (await this.readBlocks(feed, feedKey, [block]))[0]!
  }

  /**
   * The value at `address`: one block read at most (none when cached). With
   * `wait`, a block that is not local is requested from peers.
   */
  async readEntry (feed: Feed, feedKey: string, address: Address, opts: { wait?: boolean } = {}): Promise<EntryRead> {
    const read = await this.readBlock(feed, feedKey, address.block, opts)
    if (read.status !== 'ok') return read
    if (!Number.isSafeInteger(address.index) || address.index < 0 || address.index >= read.block.count) return { status: 'missing' }
    try {
      return { status: 'ok', value: decodeEntry(this.encoding, read.block, address.index) }
    } catch (err) {
      return { status: 'invalid', error: err as Error }
    }
  }

  /**
   * Reads several blocks of one feed at once: cached ones from memory, ones being
   * read by another index from that read, the rest from storage together.
   */
  readBlocks (feed: Feed, feedKey: string, blocks: number[]): Promise<BlockRead[]> {
    const fork = feed.fork
    const out: Array<BlockRead | Promise<BlockRead>> = new Array(blocks.length)
    const toRead: number[] = []
    const slots: number[] = []
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!
      const cached = this.cached(feedKey, fork, block)
      if (cached !== undefined) {
        this.stats.cacheHits++
        out[i] = { status: 'ok', block: cached }
        continue
      }
      const pending = this.inflight.get(feedKey + '/' + fork + '/' + block)
      if (pending !== undefined) {
        this.stats.sharedReads++
        out[i] = pending
        continue
      }
      toRead.push(block)
      slots.push(i)
    }
    if (toRead.length > 0) {
      this.stats.storageReads += toRead.length
      const reads = readRaw(feed, toRead)
      for (let j = 0; j < toRead.length; j++) {
        const block = toRead[j]!
        const id = feedKey + '/' + fork + '/' + block
        const p = reads[j]!.then(async (raw) => {
          try {
            return await this.decoded(feed, feedKey, fork, block, raw)
          } finally {
            this.inflight.delete(id)
          }
        }, (err: unknown) => {
          this.inflight.delete(id)
          throw err
        })
        this.inflight.set(id, p)
        out[slots[j]!] = p
      }
    }
    return Promise.all(out)
  }

  private async decoded (feed: Feed, feedKey: string, fork: number, block: number, raw: RawRead): Promise<BlockRead> {
    if (raw.status !== 'ok') return raw
    let decoded: DecodedBlock
    try {
      decoded = decodeBlock(raw.bytes)
    } catch (err) {
      this.stats.invalid++
      return { status: 'invalid', error: err as Error }
    }
    if (feed.fork === fork) {
      this.learn(feedKey, fork, block, decoded)
      this.cacheBlock(feedKey, fork, block, decoded)
    }
    return { status: 'ok', block: decoded }
  }

  private learn (feedKey: string, fork: number, block: number, decoded: DecodedBlock): void {
    const known = this.known.get(feedKey)
    if (known === undefined || known.fork !== fork || block > known.block) {
      this.known.set(feedKey, { fork, block, end: decoded.end })
    }
  }

  private cached (feedKey: string, fork: number, block: number): DecodedBlock | undefined {
    const cache = this.caches.get(feedKey)
    return cache !== undefined && cache.fork === fork ? cache.blocks.get(block) : undefined
  }

  private cacheBlock (feedKey: string, fork: number, block: number, decoded: DecodedBlock): void {
    const bytes = decoded.memoryBytes
    if (this.cacheBytes === 0 || bytes > this.cacheBytes) return
    let cache = this.caches.get(feedKey)
    if (cache === undefined || cache.fork !== fork) {
      // a new fork invalidates everything cached for the old one
      cache = { fork, blocks: new Map() }
      this.caches.set(feedKey, cache)
    }
    if (cache.blocks.has(block)) return
    cache.blocks.set(block, decoded)
    this.order.push({ cache, block, bytes })
    this.cachedBytes += bytes
    while (this.cachedBytes > this.cacheBytes && this.head < this.order.length) {
      const old = this.order[this.head++]!
      old.cache.blocks.delete(old.block)
      this.cachedBytes -= old.bytes
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head)
      this.head = 0
    }
  }
}

type RawRead = { status: 'ok'; bytes: Uint8Array } | { status: 'missing' } | { status: 'invalid'; error: Error }

// What readRaw uses of hypercore's internals (read in hypercore 11.37's source):
// a read transaction of its storage takes many block reads and flushes them in one
// RocksDB batch, about twice as fast as as many parallel get()s.
interface BlockReadTx { getBlock(index: number): Promise<Uint8Array | null>; tryFlush(): void }
/** Hypercore's block encryption (lib/default-encryption.js): a fixed padding, decrypted in place. */
interface BlockEncryption {
  padding(core: unknown, index: number): number
  decrypt(index: number, block: Uint8Array, core: unknown): void | Promise<void>
}
interface FeedInternals {
  state?: { storage?: { read?: () => BlockReadTx } } | null
  encryption?: BlockEncryption | null
  core?: unknown
}

/**
 * Reads raw blocks of one feed together when hypercore's storage allows it, one
 * get() each otherwise. A block the batch does not find goes through get(), which
 * decides between "not local" and a race with a session change.
 */
function readRaw (feed: Feed, blocks: number[]): Array<Promise<RawRead>> {
  const internal = feed as unknown as FeedInternals
  const storage = internal.state?.storage
  const encryption = internal.encryption ?? null
  if (blocks.length < 2 || storage?.read === undefined || feed.closing !== null ||
    (encryption !== null && (typeof encryption.decrypt !== 'function' || typeof encryption.padding !== 'function'))) {
    return blocks.map((block) => getBlock(feed, block, false))
  }
  let tx: BlockReadTx
  try {
    tx = storage.read()
  } catch {
    return blocks.map((block) => getBlock(feed, block, false))
  }
  const reads = blocks.map((block) => tx.getBlock(block))
  tx.tryFlush()
  return reads.map(async (pending, i): Promise<RawRead> => {
    let bytes: Uint8Array | null
    try {
      bytes = await pending
    } catch {
      return await getBlock(feed, blocks[i]!, false)
    }
    if (bytes === null) return await getBlock(feed, blocks[i]!, false)
    if (encryption === null) return { status: 'ok', bytes }
    // as hypercore's get() does: decrypt a copy (the stored bytes may be shared), drop the padding
    const copy = Buffer.from(bytes)
    await encryption.decrypt(blocks[i]!, copy, internal.core)
    return { status: 'ok', bytes: copy.subarray(encryption.padding(internal.core, blocks[i]!)) }
  })
}

async function getBlock (feed: Feed, block: number, wait: boolean): Promise<RawRead> {
  const bytes = await feed.get(block, { wait }) as Uint8Array | null
  return bytes === null ? { status: 'missing' } : { status: 'ok', bytes }
}

export function toHex (key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
}
