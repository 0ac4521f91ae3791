// The log format: how entries are packed into hypercore blocks.
//
// Every per-block cost of Hypercore (a merkle node and hash, a storage write, a
// request and a proof on the wire, a verify on the reader) is paid once per block,
// so a writer packs many entries into one block. Format v1, byte for byte:
//
//   u8       format tag: 1
//   varint   offset: how many entries the feed holds before this block
//   varint   count: entries in this block, 1..MAX_ENTRIES_PER_BLOCK
//   count x  varint: byte length of each entry
//   bytes    the entries, one after another
//
// Lengths come first so a reader finds entry i without touching the others: a
// view reading one entry of a 64 KB block decodes only that entry. The offset
// gives every feed an exact entry count from its last block alone (progress).
// A block that does not follow this exactly (another tag, a count or length that
// does not add up to the block's size) is rejected whole with a reason; it is never
// partly read. Varints are compact-encoding's `uint` (1, 3, 5 or 9 bytes).
//
// Compressed, format tag 2:
//
//   u8       format tag: 2
//   varint   length of the format-1 block once decompressed
//   bytes    that format-1 block (tag included), Brotli-compressed
//
// JSON records repeat their field names: a 64 KB block of the bench's records
// compresses to about 15% at Brotli's fastest quality, in ~0.1 ms (and back in
// ~0.15 ms), on the calling thread: node's async zlib costs more than that per call
// (a new stream each time). Less to store, less to send. A writer compresses a block only when it
// is at least COMPRESS_MIN_BYTES and shrinks by an eighth (a single chat message is
// stored as it is). A reader refuses a declared length over MAX_DECODED_BLOCK_BYTES
// and stops decompressing at the declared length, so a small block from a peer can
// never expand into a large allocation.
import zlib from 'node:zlib'
import { promisify } from 'node:util'
import { MultifeedError } from './errors.js'

/** The format tag of packed blocks written by this version. */
export const BLOCK_FORMAT = 1
/** The format tag of a packed block stored Brotli-compressed. */
export const BLOCK_FORMAT_COMPRESSED = 2
/** Smallest block a writer tries to compress. */
export const COMPRESS_MIN_BYTES = 1024
/** Largest block, decompressed, a reader accepts (above hypercore's 15 MiB block limit). */
export const MAX_DECODED_BLOCK_BYTES = 16 * 1024 * 1024
/** A writer closes a block once its entries reach this many bytes (one larger entry gets a block of its own). */
export const TARGET_BLOCK_BYTES = 64 * 1024
/** Most entries one block may hold: bounds the work and memory of decoding a block a peer wrote. */
export const MAX_ENTRIES_PER_BLOCK = 16_384
/**
 * Largest entry a writer accepts, in bytes. Hypercore refuses blocks over 15 MiB
 * (`MAX_SUGGESTED_BLOCK_SIZE`); this leaves room for the header and encryption.
 */
export const MAX_ENTRY_BYTES = 15 * 1024 * 1024 - 64

export type BlockFormatReason =
  | 'empty' // a zero-length block
  | 'unknown-format' // the leading tag is not one this version reads
  | 'truncated' // the header or an entry ends past the block
  | 'bad-count' // zero entries, or more than MAX_ENTRIES_PER_BLOCK
  | 'trailing-bytes' // bytes left after the last entry
  | 'out-of-range' // a number in the header is larger than any real count
  | 'bad-compression' // a compressed block that does not decompress to its declared length

/** Why a block cannot be read; `reason` is stable, the message says more. */
export class BlockFormatError extends MultifeedError {
  readonly reason: BlockFormatReason
  constructor (reason: BlockFormatReason, message: string) {
    super('ERR_BLOCK_FORMAT', message)
    this.name = 'BlockFormatError'
    this.reason = reason
  }
}

/**
 * One block, decoded: entry i is `buffer[starts[i], starts[i + 1])`. Entries are
 * not copied or parsed here; `entryText` / `entryBytes` read one when asked. A block
 * the writer packed keeps the texts it was made from; a block read from storage
 * decodes an entry's text each time it is asked (a few hundred ns), so a cached
 * block costs only its bytes.
 */
export class DecodedBlock {
  /** Texts the writer packed, by entry index (null for a block read from storage). */
  private readonly texts: Array<string | undefined> | null

  constructor (
    readonly buffer: Buffer,
    /** Entries of the feed before this block. */
    readonly offset: number,
    readonly starts: Uint32Array,
    texts: Array<string | undefined> | null = null
  ) {
    this.texts = texts
  }

  get count (): number { return this.starts.length - 1 }
  /** Entries of the feed up to and including this block. */
  get end (): number { return this.offset + this.count }
  /** Bytes of entry data. */
  get byteLength (): number { return this.buffer.byteLength }
  /** About what holding this block costs in memory: its bytes, and its texts when it keeps them. */
  get memoryBytes (): number { return this.texts === null ? this.buffer.byteLength : this.buffer.byteLength * 2 }

  /** Entry i as UTF-8 text. */
  entryText (i: number): string {
    return this.texts?.[i] ?? this.buffer.toString('utf8', this.starts[i], this.starts[i + 1])
  }

  /** Entry i's bytes (a view of the block: copy before handing it to code that may write to it). */
  entryBytes (i: number): Buffer {
    return this.buffer.subarray(this.starts[i], this.starts[i + 1])
  }
}

const BROTLI_FAST = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }
const brotliCompress = promisify(zlib.brotliCompress)
const brotliDecompress = promisify(zlib.brotliDecompress)

/** The block as it is stored: compressed (format 2) when that pays, else as it is. */
export async function compressBlock (block: Buffer): Promise<Buffer> {
  if (block.byteLength < COMPRESS_MIN_BYTES) return block
  return storedForm(block, await brotliCompress(block, BROTLI_FAST))
}

/** compressBlock, on this thread: what the writer uses (Brotli's fastest quality costs less per 64 KB block than an async call's setup). */
export function compressBlockSync (block: Buffer): Buffer {
  if (block.byteLength < COMPRESS_MIN_BYTES) return block
  return storedForm(block, zlib.brotliCompressSync(block, BROTLI_FAST))
}

function storedForm (block: Buffer, compressed: Buffer): Buffer {
  const header = 1 + uintLength(block.byteLength)
  if (header + compressed.byteLength > block.byteLength - (block.byteLength >> 3)) return block
  const out = Buffer.allocUnsafe(header + compressed.byteLength)
  out[0] = BLOCK_FORMAT_COMPRESSED
  writeUint(out, 1, block.byteLength)
  out.set(compressed, header)
  return out
}

/** Reads the header and the entry boundaries of a block (decompressing it first if it is); throws BlockFormatError. */
export function decodeBlock (block: Uint8Array): DecodedBlock {
  const buf = asBuffer(block)
  if (buf.byteLength > 0 && buf[0] === BLOCK_FORMAT_COMPRESSED) {
    const { length, body } = compressedParts(buf)
    let raw: Buffer
    try {
      raw = zlib.brotliDecompressSync(body, { maxOutputLength: length })
    } catch (err) {
      throw badCompression(length, err)
    }
    return decodePacked(checkDecompressed(raw, length))
  }
  return decodePacked(buf)
}

/** decodeBlock, decompressing off the main thread. */
export async function decodeBlockAsync (block: Uint8Array): Promise<DecodedBlock> {
  const buf = asBuffer(block)
  if (buf.byteLength > 0 && buf[0] === BLOCK_FORMAT_COMPRESSED) {
    const { length, body } = compressedParts(buf)
    let raw: Buffer
    try {
      raw = await brotliDecompress(body, { maxOutputLength: length })
    } catch (err) {
      throw badCompression(length, err)
    }
    return decodePacked(checkDecompressed(raw, length))
  }
  return decodePacked(buf)
}

function asBuffer (block: Uint8Array): Buffer {
  return Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength)
}

function compressedParts (buf: Buffer): { length: number; body: Buffer } {
  const pos = { at: 1 }
  const length = readUint(buf, pos)
  if (length < 1 || length > MAX_DECODED_BLOCK_BYTES) {
    throw new BlockFormatError('out-of-range', `a compressed block declares ${length} bytes (at most ${MAX_DECODED_BLOCK_BYTES})`)
  }
  return { length, body: buf.subarray(pos.at) }
}

function checkDecompressed (raw: Buffer, length: number): Buffer {
  if (raw.byteLength !== length) throw new BlockFormatError('bad-compression', `a compressed block decompressed to ${raw.byteLength} bytes, not the ${length} it declares`)
  if (raw[0] !== BLOCK_FORMAT) throw new BlockFormatError('bad-compression', `a compressed block holds format ${raw[0]}, not a packed block (${BLOCK_FORMAT})`)
  return raw
}

function badCompression (length: number, err: unknown): BlockFormatError {
  return new BlockFormatError('bad-compression', `a compressed block does not decompress to its declared ${length} bytes (${err instanceof Error ? err.message : String(err)})`)
}

/** Parses a format-1 block. */
function decodePacked (buf: Buffer): DecodedBlock {
  const end = buf.byteLength
  if (end === 0) throw new BlockFormatError('empty', 'block is empty')
  const tag = buf[0]!
  if (tag !== BLOCK_FORMAT) {
    throw new BlockFormatError('unknown-format', `block format ${tag} is not one this version reads (it reads ${BLOCK_FORMAT} and ${BLOCK_FORMAT_COMPRESSED})`)
  }
  const pos = { at: 1 }
  const offset = readUint(buf, pos)
  const count = readUint(buf, pos)
  if (count < 1 || count > MAX_ENTRIES_PER_BLOCK) {
    throw new BlockFormatError('bad-count', `block says it holds ${count} entries (1..${MAX_ENTRIES_PER_BLOCK})`)
  }
  const starts = new Uint32Array(count + 1)
  // lengths first, then the data: the first entry starts after the last length
  const lengths = new Array<number>(count)
  for (let i = 0; i < count; i++) lengths[i] = readUint(buf, pos)
  let at = pos.at
  for (let i = 0; i < count; i++) {
    starts[i] = at
    at += lengths[i]!
    if (at > end) throw new BlockFormatError('truncated', `entry ${i} ends at byte ${at}, past the block's ${end}`)
  }
  starts[count] = at
  if (at !== end) throw new BlockFormatError('trailing-bytes', `${end - at} bytes after the last entry`)
  return new DecodedBlock(buf, offset, starts)
}

/** An encoded entry: its UTF-8 text (json, utf-8 feeds) or its bytes (binary feeds). */
export type EncodedEntry = string | Uint8Array

/**
 * Packs encoded entries into blocks of about TARGET_BLOCK_BYTES, in order. Every
 * entry goes in exactly one block; an entry over the target gets a block of its own.
 * Text entries stay known on the decoded blocks, so a reader of the writer's cache
 * never decodes them again. `sizes[i]` is entry i's byte length (see entrySize).
 */
export function packBlocks (entries: EncodedEntry[], sizes: number[], offset: number,
  target = TARGET_BLOCK_BYTES): Array<{ block: Buffer; decoded: DecodedBlock }> {
  const out: Array<{ block: Buffer; decoded: DecodedBlock }> = []
  let first = 0
  while (first < entries.length) {
    let bytes = sizes[first]!
    let last = first + 1
    while (last < entries.length && last - first < MAX_ENTRIES_PER_BLOCK && bytes + sizes[last]! <= target) {
      bytes += sizes[last]!
      last++
    }
    out.push(encodeBlock(entries, sizes, first, last, offset + first))
    first = last
  }
  return out
}

/** Byte length of an encoded entry in a block. */
export function entrySize (entry: EncodedEntry): number {
  return typeof entry === 'string' ? Buffer.byteLength(entry, 'utf8') : entry.byteLength
}

function encodeBlock (entries: EncodedEntry[], sizes: number[], first: number, last: number,
  offset: number): { block: Buffer; decoded: DecodedBlock } {
  const count = last - first
  let header = 1 + uintLength(offset) + uintLength(count)
  let data = 0
  for (let i = first; i < last; i++) {
    header += uintLength(sizes[i]!)
    data += sizes[i]!
  }
  const buf = Buffer.allocUnsafe(header + data)
  buf[0] = BLOCK_FORMAT
  let at = writeUint(buf, 1, offset)
  at = writeUint(buf, at, count)
  for (let i = first; i < last; i++) at = writeUint(buf, at, sizes[i]!)
  const starts = new Uint32Array(count + 1)
  let texts: Array<string | undefined> | null = null
  for (let i = first; i < last; i++) {
    const entry = entries[i]!
    starts[i - first] = at
    if (typeof entry === 'string') {
      buf.write(entry, at, sizes[i]!, 'utf8')
      ;(texts ??= new Array<string | undefined>(count))[i - first] = entry
    } else {
      buf.set(entry, at)
    }
    at += sizes[i]!
  }
  starts[count] = at
  return { block: buf, decoded: new DecodedBlock(buf, offset, starts, texts) }
}

// compact-encoding's `uint`: < 0xfd in one byte, else a marker and 2, 4 or 8 bytes LE.
function uintLength (n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9
}

function writeUint (buf: Buffer, at: number, n: number): number {
  if (n < 0xfd) {
    buf[at] = n
    return at + 1
  }
  if (n <= 0xffff) {
    buf[at] = 0xfd
    buf.writeUInt16LE(n, at + 1)
    return at + 3
  }
  if (n <= 0xffffffff) {
    buf[at] = 0xfe
    buf.writeUInt32LE(n, at + 1)
    return at + 5
  }
  buf[at] = 0xff
  buf.writeUInt32LE(n % 0x100000000, at + 1)
  buf.writeUInt32LE(Math.floor(n / 0x100000000), at + 5)
  return at + 9
}

function readUint (buf: Buffer, pos: { at: number }): number {
  const at = pos.at
  if (at >= buf.byteLength) throw new BlockFormatError('truncated', 'block header ends early')
  const a = buf[at]!
  if (a < 0xfd) {
    pos.at = at + 1
    return a
  }
  const size = a === 0xfd ? 2 : a === 0xfe ? 4 : 8
  if (at + 1 + size > buf.byteLength) throw new BlockFormatError('truncated', 'block header ends early')
  pos.at = at + 1 + size
  if (size === 2) return buf.readUInt16LE(at + 1)
  if (size === 4) return buf.readUInt32LE(at + 1)
  const hi = buf.readUInt32LE(at + 5)
  // an offset past 2^53 cannot be a real count of entries
  if (hi >= 0x200000) throw new BlockFormatError('out-of-range', 'a number in the block header is out of range')
  return hi * 0x100000000 + buf.readUInt32LE(at + 1)
}
