// An in-memory Bloom filter of the keys the view holds a record of, so that writes
// of new keys (an import) skip the heads lookups that would find nothing. LevelDB
// answers a lookup of an absent key in ~3-5 us (memtable, every level-0 file),
// which for batches of new keys was the largest cost of a write; this answers in
// ~0.1 us. A "no" is certain, a "maybe" (about 1 in 100 for absent keys) means look.
//
// It only ever has to over-approximate: the view adds every key of a batch before
// committing it, and the filter is built from a scan of the tables that runs while
// those adds go on, so it always holds every key with a committed record. Until the
// first scan is done it answers "maybe" for everything. Stale keys (a rebuilt view)
// only cost a lookup. When it fills up, a bigger one is built the same way.
import type { Stored } from './keys.js'

const BITS_PER_KEY = 12
const PROBES = 7
const MIN_BITS = 1 << 20

export interface KeyScan {
  /** Every key with a record, as bytes, in chunks; ends when done. */
  (): AsyncIterable<Uint8Array[]>
}

export class KeyFilter {
  private bits: Uint32Array | null = null
  private mask = 0
  private count = 0
  private capacity = 0
  /** Hashes added while a (re)build scan is running, folded in when it ends. */
  private during: number[] | null = null
  private building: Promise<void> | null = null
  private closed = false

  constructor (private readonly scan: KeyScan) {}

  /** Starts the first build in the background. */
  start (): void {
    this.rebuild()
  }

  /** Stops any build (the session is closing). */
  async close (): Promise<void> {
    this.closed = true
    await this.building?.catch(() => {})
  }

  /** False only if the view certainly holds no record of `key`. */
  mayHave (key: Stored): boolean {
    const bits = this.bits
    if (bits === null) return true
    const h = typeof key === 'string' ? hashString(key) : hashBytes(key)
    return probe(bits, this.mask, h)
  }

  /** The view is about to commit a record of `key`. */
  add (key: Stored): void {
    const h = typeof key === 'string' ? hashString(key) : hashBytes(key)
    if (this.during !== null) this.during.push(h)
    if (this.bits !== null) {
      set(this.bits, this.mask, h)
      if (++this.count > this.capacity && this.building === null) this.rebuild()
    }
  }

  private rebuild (): void {
    if (this.closed) return
    this.during = []
    const run = (async () => {
      const hashes: number[] = []
      for await (const chunk of this.scan()) {
        if (this.closed) return
        for (const key of chunk) hashes.push(hashBytes(key))
      }
      const all = hashes.length + (this.during?.length ?? 0)
      let size = MIN_BITS
      while (size < all * BITS_PER_KEY * 2) size *= 2
      const bits = new Uint32Array(size / 32)
      const mask = size - 1
      for (const h of hashes) set(bits, mask, h)
      for (const h of this.during ?? []) set(bits, mask, h)
      this.bits = bits
      this.mask = mask
      this.count = all
      this.capacity = Math.floor(size / BITS_PER_KEY)
    })()
    this.building = run
    // A scan cut short (the database closing) leaves the filter as it was: still an
    // over-approximation, or none (every key is looked up). Only speed is at stake.
    run.catch(() => {})
      .finally(() => {
        this.during = null
        this.building = null
      })
  }
}

function set (bits: Uint32Array, mask: number, h: number): void {
  const h2 = mix(h) | 1
  let x = h
  for (let i = 0; i < PROBES; i++) {
    const b = x & mask
    bits[b >>> 5]! |= 1 << (b & 31)
    x = (x + h2) | 0
  }
}

function probe (bits: Uint32Array, mask: number, h: number): boolean {
  const h2 = mix(h) | 1
  let x = h
  for (let i = 0; i < PROBES; i++) {
    const b = x & mask
    if ((bits[b >>> 5]! & (1 << (b & 31))) === 0) return false
    x = (x + h2) | 0
  }
  return true
}

// murmur3's finalizer: a second, independent-looking hash for double hashing
function mix (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a over bytes. */
export function hashBytes (bytes: Uint8Array): number {
  let h = FNV_OFFSET
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME)
  return h
}

/** FNV-1a over the UTF-8 bytes of a well-formed string (equal to hashBytes of them), without encoding it. */
export function hashString (s: string): number {
  let h = FNV_OFFSET
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME)
    } else if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME)
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME)
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00)
      h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV_PRIME)
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), FNV_PRIME)
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME)
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME)
    } else {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME)
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME)
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME)
    }
  }
  return h
}
