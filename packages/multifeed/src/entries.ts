// Entries of one feed, without a cache: append values packed into blocks, read
// the entries of a block. For tools, tests and small programs; an app goes
// through kappa-core's Writer (which coalesces concurrent appends and hands the
// blocks to the views) or multifeed-index's EntryReader.
import type Hypercore from 'hypercore'
import { compressBlockSync, decodeBlock, entrySize, packBlocks, MAX_ENTRY_BYTES } from './block-format.js'
import { decodeEntry, encodeEntry, EntryValueError, type ValueEncoding } from './entry-encoding.js'

type Feed = Hypercore<unknown>

/** Where an append put its entries: the first new block and the entries of each new block. */
export interface AppendedBlocks {
  firstBlock: number
  counts: number[]
}

/**
 * Appends `values` to a writable feed as packed blocks (about 64 KB each, compressed
 * where that pays) in one hypercore append. Reads the feed's last block to continue its entry count, so
 * appends to one feed must not run concurrently through here (the EntryReader
 * tracks what is in flight instead).
 */
export async function appendEntries (feed: Feed, values: unknown[], encoding: ValueEncoding = 'json'): Promise<AppendedBlocks> {
  const entries = values.map((v, i) => {
    const e = encodeEntry(encoding, v)
    const size = entrySize(e)
    if (size > MAX_ENTRY_BYTES) throw new EntryValueError(`value ${i} is ${size} bytes; an entry holds at most ${MAX_ENTRY_BYTES}`)
    return e
  })
  if (entries.length === 0) return { firstBlock: feed.length, counts: [] }
  await feed.ready()
  const offset = feed.length === 0 ? 0 : decodeBlock(await feed.get(feed.length - 1) as Uint8Array).end
  const packed = packBlocks(entries, entries.map(entrySize), offset)
  const { length } = await feed.append(packed.map((p) => compressBlockSync(p.block)))
  return { firstBlock: length - packed.length, counts: packed.map((p) => p.decoded.count) }
}

/**
 * The entries of block `block`, decoded, or null when it is not local (and `wait`
 * is false). Throws BlockFormatError for a malformed block and the decoder's error
 * for a malformed entry.
 */
export async function readEntries (feed: Feed, block: number, opts: { encoding?: ValueEncoding; wait?: boolean } = {}): Promise<unknown[] | null> {
  const raw = await feed.get(block, { wait: opts.wait ?? true }) as Uint8Array | null
  if (raw === null) return null
  const decoded = decodeBlock(raw)
  const out = new Array<unknown>(decoded.count)
  for (let i = 0; i < decoded.count; i++) out[i] = decodeEntry(opts.encoding ?? 'json', decoded, i)
  return out
}
