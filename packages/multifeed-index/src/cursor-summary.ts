// Every cursor of one generation in one value, written when the index closes cleanly
// and read (then deleted) when it opens: reopening an index of 10,000 feeds reads one
// value instead of iterating 10,000 JSON records, a quarter of the reopen.
//
// The cursor records stay the truth. The summary is a copy of them, made from the
// stored records after the last batch was committed, and trusted only for the
// generation it names. open() deletes it before anything can be indexed, so after a
// crash there is none, and the records are read one by one.
//
//   uint version | uint generation | uint count | uint keyFormat | keys |
//   count x (uint fork | uint entries | uint skipped | uint ranges | ranges x (uint start | uint length))
// where keys are count x 32 bytes when every key is a 64-digit lowercase hex key (keyFormat 1,
// a multifeed's feeds: hexed in one call when read), else count x string (keyFormat 0).
import c from 'compact-encoding'
import type { CursorRecord } from './store.js'

const SUMMARY_VERSION = 1
const STRING_KEYS = 0
const HEX_KEYS = 1
const HEX_KEY = /^[0-9a-f]{64}$/

type Write<T> = (state: c.State, value: T) => void

/** Walks the summary's fields in order: once to measure them (preencode), once to write them. */
function walk (state: c.State, generation: number, cursors: ReadonlyMap<string, CursorRecord>, keyFormat: number, uint: Write<number>, key: Write<string>): void {
  uint(state, SUMMARY_VERSION)
  uint(state, generation)
  uint(state, cursors.size)
  uint(state, keyFormat)
  for (const k of cursors.keys()) key(state, k)
  for (const r of cursors.values()) {
    uint(state, r.fork)
    uint(state, r.entries)
    uint(state, r.skipped)
    uint(state, r.ranges.length)
    for (const [start, end] of r.ranges) {
      uint(state, start)
      uint(state, end - start)
    }
  }
}

export function encodeSummary (generation: number, cursors: ReadonlyMap<string, CursorRecord>): Uint8Array {
  let keyFormat = HEX_KEYS
  for (const key of cursors.keys()) if (!HEX_KEY.test(key)) keyFormat = STRING_KEYS
  const hex = keyFormat === HEX_KEYS
  const state = c.state()
  walk(state, generation, cursors, keyFormat, c.uint.preencode, hex ? (s) => { s.end += 32 } : c.string.preencode)
  state.buffer = Buffer.allocUnsafe(state.end)
  walk(state, generation, cursors, keyFormat, c.uint.encode, hex ? (s, k) => c.fixed32.encode(s, Buffer.from(k, 'hex')) : c.string.encode)
  return state.buffer
}

/**
 * The cursors of `generation`, or null when the summary is of another generation or
 * unreadable (then the caller reads the records themselves).
 */
export function decodeSummary (buf: Uint8Array, generation: number): Map<string, CursorRecord> | null {
  try {
    const state = c.state(0, buf.byteLength, buf)
    if (c.uint.decode(state) !== SUMMARY_VERSION || c.uint.decode(state) !== generation) return null
    const count = c.uint.decode(state)
    const keyFormat = c.uint.decode(state)
    if (keyFormat !== HEX_KEYS && keyFormat !== STRING_KEYS) return null
    // every record takes at least 6 bytes: a count that cannot fit is corruption
    if (count * 6 > state.end - state.start) return null
    const keys: string[] = new Array(count)
    if (keyFormat === HEX_KEYS) {
      if (state.start + 32 * count > state.end) return null
      // every key in hex at once, then each a slice of that string
      const hex = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex', state.start, state.start + 32 * count)
      for (let i = 0; i < count; i++) keys[i] = hex.slice(64 * i, 64 * i + 64)
      state.start += 32 * count
    } else {
      for (let i = 0; i < count; i++) keys[i] = c.string.decode(state)
    }
    const out = new Map<string, CursorRecord>()
    for (let i = 0; i < count; i++) {
      const key = keys[i] as string
      const fork = c.uint.decode(state)
      const entries = c.uint.decode(state)
      const skipped = c.uint.decode(state)
      const n = c.uint.decode(state)
      if (n > state.end - state.start) return null
      const ranges: Array<[number, number]> = new Array(n)
      let last = -1
      for (let j = 0; j < n; j++) {
        const start = c.uint.decode(state)
        const length = c.uint.decode(state)
        // sorted, disjoint, non-empty, as a RangeSet stores them
        if (length === 0 || start < last) return null
        last = start + length
        ranges[j] = [start, last]
      }
      out.set(key, { fork, ranges, entries, skipped })
    }
    return state.start === state.end ? out : null
  } catch {
    return null
  }
}
