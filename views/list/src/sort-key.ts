// Order-preserving encoding of sort keys into LevelDB keys.
//
// Stored key: <sort key> \x00 <feed key hex> \x00 <block, 14 hex digits><index, 4 hex digits>
// so entries with equal sort keys never overwrite each other and come out in
// (feed, address) order, which is log order within a feed. Numbers sort before strings; numbers in numeric order
// (negatives and fractions included); strings by code point.
//
//   number: 'n' + 16 hex digits of the IEEE-754 bits, sign flipped for
//           positives and all bits flipped for negatives (the classic trick
//           that makes byte order match numeric order)
//   string: 's' + the string with \x00 -> \x01\x01 and \x01 -> \x01\x02, so
//           the \x00 terminator is below every character of a longer string

import type { Address } from '@kappa-ts/kappa-core'

export type SortKey = string | number

export class ListKeyError extends TypeError {
  readonly code = 'ERR_INVALID_SORT_KEY'
}

const SEP = '\x00'
const BLOCK_DIGITS = 14 // 2^53 fits in 14 hex digits
const INDEX_DIGITS = 4 // MAX_ENTRIES_PER_BLOCK (16,384) fits in 4 hex digits
const ADDRESS_DIGITS = BLOCK_DIGITS + INDEX_DIGITS

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
// Float64Array shares the platform's byte order; pick the high word accordingly.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0
const LO = 1 - HI

function hex8 (n: number): string {
  return n.toString(16).padStart(8, '0')
}

export function encodeNumber (n: number): string {
  if (Number.isNaN(n)) throw new ListKeyError('a sort key cannot be NaN')
  f64[0] = n === 0 ? 0 : n // -0 sorts as 0
  let hi = u32[HI]!
  let lo = u32[LO]!
  if (hi & 0x80000000) {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
  } else {
    hi = (hi | 0x80000000) >>> 0
  }
  return 'n' + hex8(hi) + hex8(lo)
}

export function decodeNumber (s: string): number {
  let hi = parseInt(s.slice(1, 9), 16)
  let lo = parseInt(s.slice(9, 17), 16)
  if (hi & 0x80000000) {
    hi = (hi & 0x7fffffff) >>> 0
  } else {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
  }
  u32[HI] = hi
  u32[LO] = lo
  return f64[0]!
}

function escapeString (s: string): string {
  if (!/[\x00\x01]/.test(s)) return s
  return s.replace(/\x01/g, '\x01\x02').replace(/\x00/g, '\x01\x01')
}

function unescapeString (s: string): string {
  if (!s.includes('\x01')) return s
  return s.replace(/\x01([\x01\x02])/g, (_m, c: string) => (c === '\x01' ? '\x00' : '\x01'))
}

/** The encoded sort key alone: a prefix of every stored key with this sort key. */
export function encodeSortKey (key: SortKey): string {
  if (typeof key === 'number') return encodeNumber(key)
  if (typeof key === 'string') return 's' + escapeString(key)
  throw new ListKeyError(`a sort key must be a string or a number, not ${key === null ? 'null' : typeof key}`)
}

export function storedKey (sortKey: SortKey, feed: string, address: Address): string {
  return encodeSortKey(sortKey) + SEP + feed + SEP +
    address.block.toString(16).padStart(BLOCK_DIGITS, '0') + address.index.toString(16).padStart(INDEX_DIGITS, '0')
}

export interface DecodedKey { sortKey: SortKey; feed: string; address: Address }

export function decodeStoredKey (stored: string): DecodedKey {
  const addressStart = stored.length - ADDRESS_DIGITS
  const feedEnd = addressStart - 1
  const feedStart = stored.lastIndexOf(SEP, feedEnd - 1) + 1
  const sk = stored.slice(0, feedStart - 1)
  return {
    sortKey: sk[0] === 'n' ? decodeNumber(sk) : unescapeString(sk.slice(1)),
    feed: stored.slice(feedStart, feedEnd),
    address: {
      block: parseInt(stored.slice(addressStart, addressStart + BLOCK_DIGITS), 16),
      index: parseInt(stored.slice(addressStart + BLOCK_DIGITS), 16)
    }
  }
}

/** LevelDB range bounds for a range of sort keys. */
export interface SortRange { gt?: SortKey; gte?: SortKey; lt?: SortKey; lte?: SortKey }
export interface KeyRange { gt?: string; gte?: string; lt?: string; lte?: string }

export function toKeyRange (r: SortRange): KeyRange {
  const out: KeyRange = {}
  // Every stored key of sort key k lies strictly between enc(k) and enc(k)+'\x01'.
  if (r.gte !== undefined) out.gte = encodeSortKey(r.gte)
  if (r.gt !== undefined) out.gte = maxStr(out.gte, encodeSortKey(r.gt) + '\x01')
  if (r.lt !== undefined) out.lt = encodeSortKey(r.lt)
  if (r.lte !== undefined) out.lt = minStr(out.lt, encodeSortKey(r.lte) + '\x01')
  return out
}

function maxStr (a: string | undefined, b: string): string { return a === undefined || b > a ? b : a }
function minStr (a: string | undefined, b: string): string { return a === undefined || b < a ? b : a }
