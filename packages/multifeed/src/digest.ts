// A summary of a feed list with lengths, so two peers that hold the same feeds at
// the same lengths learn it from ~2 KB instead of listing every feed.
//
// Feeds fall into 256 buckets by the first byte of their key. A bucket's digest
// is the XOR of a 64-bit BLAKE2b hash of each of its feeds' (key, fork, length,
// contiguousLength): order-independent, and updated in O(1) when one feed changes
// (XOR the old hash out, the new one in). On connecting, each side sends its
// digest; each then sends the feeds of every bucket whose digest differs from the
// other's. With 10,000 feeds a bucket holds about 40, so one changed feed costs
// one bucket's entries instead of the whole list.
//
// A peer controls only its own digest, which decides only what we send to it: a
// forged digest can make us send it less, never make us or a third peer miss
// anything.
import c from 'compact-encoding'
import sodium from 'sodium-universal'
import { MultifeedError } from './errors.js'

export const BUCKETS = 256
const BITMAP_BYTES = BUCKETS / 8
const HASH_BYTES = 8
const MAX_UINT_BYTES = 9
/** Largest digest message: count, bitmap, a hash per bucket. */
export const MAX_DIGEST_BYTES = MAX_UINT_BYTES + BITMAP_BYTES + BUCKETS * HASH_BYTES

/** What a feed contributes to its bucket. */
export interface FeedHash { hi: number; lo: number }

const scratchIn = Buffer.alloc(32 + 3 * 8)
// BLAKE2b gives at least 16 bytes; the first 8 are the hash
const scratchOut = Buffer.alloc(16)

/** The bucket of a feed key (hex): its first byte. */
export function bucketOf (key: string): number {
  return parseInt(key.slice(0, 2), 16)
}

/** The 64-bit hash of one feed at one state. */
export function feedHash (key: string, fork: number, length: number, contiguousLength: number): FeedHash {
  scratchIn.write(key, 0, 'hex')
  scratchIn.writeBigUInt64BE(BigInt(fork), 32)
  scratchIn.writeBigUInt64BE(BigInt(length), 40)
  scratchIn.writeBigUInt64BE(BigInt(contiguousLength), 48)
  sodium.crypto_generichash(scratchOut, scratchIn)
  return { hi: scratchOut.readUInt32BE(0), lo: scratchOut.readUInt32BE(4) }
}

export interface Digest {
  feeds: number
  /** Per bucket: null when empty, else its 64-bit XOR as [hi, lo]. */
  buckets: Array<FeedHash | null>
}

/** The digest of our own feed list, kept current one feed at a time. */
export class FeedDigest {
  private readonly hi = new Uint32Array(BUCKETS)
  private readonly lo = new Uint32Array(BUCKETS)
  private readonly counts = new Uint32Array(BUCKETS)
  private total = 0

  add (key: string, h: FeedHash): void {
    const b = bucketOf(key)
    this.hi[b] = (this.hi[b]! ^ h.hi) >>> 0
    this.lo[b] = (this.lo[b]! ^ h.lo) >>> 0
    this.counts[b]!++
    this.total++
  }

  remove (key: string, h: FeedHash): void {
    const b = bucketOf(key)
    this.hi[b] = (this.hi[b]! ^ h.hi) >>> 0
    this.lo[b] = (this.lo[b]! ^ h.lo) >>> 0
    this.counts[b]!--
    this.total--
  }

  get feeds (): number { return this.total }

  snapshot (): Digest {
    const buckets: Array<FeedHash | null> = []
    for (let b = 0; b < BUCKETS; b++) buckets.push(this.counts[b] === 0 ? null : { hi: this.hi[b]!, lo: this.lo[b]! })
    return { feeds: this.total, buckets }
  }

  /** Buckets where `remote` differs from ours now. */
  differing (remote: Digest): number[] {
    const out: number[] = []
    for (let b = 0; b < BUCKETS; b++) {
      const theirs = remote.buckets[b] ?? null
      const empty = this.counts[b] === 0
      if (theirs === null ? !empty : empty || theirs.hi !== this.hi[b] || theirs.lo !== this.lo[b]) out.push(b)
    }
    return out
  }
}

export function encodeDigest (d: Digest): Buffer {
  let nonEmpty = 0
  for (const h of d.buckets) if (h !== null) nonEmpty++
  const state = c.state()
  c.uint.preencode(state, d.feeds)
  state.end += BITMAP_BYTES + nonEmpty * HASH_BYTES
  const out = Buffer.alloc(state.end)
  state.buffer = out
  c.uint.encode(state, d.feeds)
  const bitmap = state.start
  let pos = bitmap + BITMAP_BYTES
  for (let b = 0; b < BUCKETS; b++) {
    const h = d.buckets[b] ?? null
    if (h === null) continue
    out[bitmap + (b >> 3)]! |= 1 << (b & 7)
    out.writeUInt32BE(h.hi, pos)
    out.writeUInt32BE(h.lo, pos + 4)
    pos += HASH_BYTES
  }
  return out
}

export function decodeDigest (buf: Uint8Array): Digest {
  if (buf.byteLength > MAX_DIGEST_BYTES) throw new MultifeedError('ERR_BAD_MESSAGE', `digest of ${buf.byteLength} bytes exceeds ${MAX_DIGEST_BYTES}`)
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const state = c.state(0, b.byteLength, b)
  let feeds: number
  try {
    feeds = c.uint.decode(state)
  } catch {
    throw new MultifeedError('ERR_BAD_MESSAGE', 'digest count is malformed')
  }
  const bitmap = state.start
  if (b.byteLength < bitmap + BITMAP_BYTES) throw new MultifeedError('ERR_BAD_MESSAGE', 'digest bitmap is truncated')
  const buckets: Array<FeedHash | null> = []
  let pos = bitmap + BITMAP_BYTES
  for (let i = 0; i < BUCKETS; i++) {
    if ((b[bitmap + (i >> 3)]! & (1 << (i & 7))) === 0) { buckets.push(null); continue }
    if (b.byteLength < pos + HASH_BYTES) throw new MultifeedError('ERR_BAD_MESSAGE', 'digest hashes are truncated')
    buckets.push({ hi: b.readUInt32BE(pos), lo: b.readUInt32BE(pos + 4) })
    pos += HASH_BYTES
  }
  if (pos !== b.byteLength) throw new MultifeedError('ERR_BAD_MESSAGE', 'digest has trailing bytes')
  return { feeds, buckets }
}
