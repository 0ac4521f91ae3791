// The log entry KappaLevel writes: the writes of one batch (or one put/del), in
// binary (Level keys and values are bytes; the log keeps them as they are).
//
//   'k' 'l' <version 1> <varint op count> op*
//   op: <flags> <varint clock> <varint link count> <link id>* <u32 key length> <key>
//       [<u32 value length> <value>]   (puts only; lengths little-endian)
//   flags: 1 = a delete, 2 = the key is a string (its UTF-8 bytes), 4 = so is the value
//   clock: 1 + the highest clock of the writes it replaces (the conflict rule's rank)
//   link id: a write of the same key this one replaces (binary op id, positions.ts)
//
// Entries come from peers: decodeEntry checks everything and refuses the whole entry
// (a batch is all or nothing) if any part is malformed.
import { normalize, type Stored } from './keys.js'
import { opIdByteLength, readOpId, writeOpId } from './positions.js'
import { readVarint, varintLength, writeVarint } from './varint.js'

export const FORMAT_VERSION = 1
const MAGIC_0 = 0x6b // 'k'
const MAGIC_1 = 0x6c // 'l'
const HEADER = 3

export interface PutOp { del: false; key: Stored; value: Stored; clock: number; links: string[] }
export interface DelOp { del: true; key: Stored; value?: undefined; clock: number; links: string[] }
export type WriteOp = PutOp | DelOp

const FLAG_DEL = 1
const FLAG_KEY_STRING = 2
const FLAG_VALUE_STRING = 4
const ALL_FLAGS = FLAG_DEL | FLAG_KEY_STRING | FLAG_VALUE_STRING

/** The highest clock a write may carry (a safe integer, so ranks compare exactly). */
export const MAX_CLOCK = Number.MAX_SAFE_INTEGER

const EMPTY_LINKS: string[] = []

/** Bytes an encoded op may take at most (UTF-8 takes at most 3 bytes per UTF-16 code unit). */
function maxSize (op: WriteOp): number {
  let n = 1 + 9 + 9 + 8 + maxDataSize(op.key)
  for (const link of op.links) n += opIdByteLength(link)
  if (!op.del) n += maxDataSize(op.value)
  return n
}

function maxDataSize (data: Stored): number {
  return typeof data === 'string' ? data.length * 3 : data.byteLength
}

/** Where encodeEntries writes: reused across calls, grown when a batch needs more. */
let scratch = Buffer.allocUnsafe(1 << 20)

/**
 * The entries holding `ops`, in order, each at most `maxBytes` (a batch that does
 * not fit in one is cut between ops). One pass: each key and value is written once.
 * Throws `tooLarge(size)` for an op that alone exceeds `maxBytes`.
 */
export function encodeEntries (ops: WriteOp[], maxBytes: number, tooLarge: (size: number) => Error): Array<{ entry: Buffer; count: number }> {
  let bound = 0
  for (const op of ops) bound += maxSize(op)
  if (scratch.length < bound) scratch = Buffer.allocUnsafe(Math.max(bound, scratch.length * 2))
  const buf = scratch
  const out: Array<{ entry: Buffer; count: number }> = []
  let entryStart = 0
  let count = 0
  let at = 0
  for (const op of ops) {
    const opStart = at
    let flags = op.del ? FLAG_DEL : 0
    if (typeof op.key === 'string') flags |= FLAG_KEY_STRING
    if (!op.del && typeof op.value === 'string') flags |= FLAG_VALUE_STRING
    buf[at++] = flags
    at = writeVarint(buf, at, op.clock)
    at = writeVarint(buf, at, op.links.length)
    for (const link of op.links) at = writeOpId(link, buf, at)
    at = writeData(buf, at, op.key)
    if (!op.del) at = writeData(buf, at, op.value)
    if (at - opStart + HEADER + 9 > maxBytes) throw tooLarge(at - opStart)
    if (at - entryStart + HEADER + 9 > maxBytes) {
      out.push({ entry: entryOf(buf, entryStart, opStart, count), count })
      entryStart = opStart
      count = 0
    }
    count++
  }
  if (count > 0) out.push({ entry: entryOf(buf, entryStart, at, count), count })
  return out
}

/** The entry holding `ops`, whatever its size (tests build entries by hand with it). */
export function encodeEntry (ops: WriteOp[]): Buffer {
  return encodeEntries(ops, Infinity, () => new Error('unreachable'))[0]!.entry
}

function entryOf (buf: Buffer, start: number, end: number, count: number): Buffer {
  const entry = Buffer.allocUnsafe(HEADER + varintLength(count) + end - start)
  entry[0] = MAGIC_0
  entry[1] = MAGIC_1
  entry[2] = FORMAT_VERSION
  const body = writeVarint(entry, HEADER, count)
  buf.copy(entry, body, start, end)
  return entry
}

/** A key or value: its byte length (uint32, little-endian), then its bytes. */
function writeData (buf: Buffer, at: number, data: Stored): number {
  const n = typeof data === 'string' ? buf.write(data, at + 4, 'utf8') : (buf.set(data, at + 4), data.byteLength)
  buf.writeUInt32LE(n, at)
  return at + 4 + n
}

export type Decoded = { ok: true; ops: WriteOp[] } | { ok: false; reason: string }

/** The writes of an entry, or why it is not a KappaLevel entry. Never throws. */
export function decodeEntry (value: unknown): Decoded {
  if (!(value instanceof Uint8Array)) return bad('not a KappaLevel entry (not bytes)')
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (buf.length < HEADER || buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1) return bad('not a KappaLevel entry')
  if (buf[2] !== FORMAT_VERSION) return bad(`KappaLevel entry of format ${buf[2]!}, this reads format ${FORMAT_VERSION}`)
  const count = readVarint(buf, HEADER)
  if (count === null || count.value === 0) return bad('bad op count')
  // every op takes at least 7 bytes: a count beyond that is a lie, not an allocation
  if (count.value > (buf.length - count.next) / 7) return bad('op count larger than the entry')
  const ops = new Array<WriteOp>(count.value)
  let at = count.next
  for (let i = 0; i < count.value; i++) {
    const r = decodeOp(buf, at)
    if (typeof r === 'string') return bad(`op ${i}: ${r}`)
    ops[i] = r.op
    at = r.next
  }
  if (at !== buf.length) return bad('bytes after the last op')
  return { ok: true, ops }
}

function decodeOp (buf: Buffer, at: number): { op: WriteOp; next: number } | string {
  if (at >= buf.length) return 'cut short'
  const flags = buf[at++]!
  if ((flags & ~ALL_FLAGS) !== 0) return 'bad flags'
  const del = (flags & FLAG_DEL) !== 0
  if (del && (flags & FLAG_VALUE_STRING) !== 0) return 'a delete has no value'
  const clock = readVarint(buf, at)
  if (clock === null || clock.value < 1) return 'clock must be a positive safe integer'
  const linkCount = readVarint(buf, clock.next)
  // a link takes at least 18 bytes (writer tag, two varints)
  if (linkCount === null || linkCount.value > (buf.length - linkCount.next) / 18) return 'bad link count'
  at = linkCount.next
  let links = EMPTY_LINKS
  if (linkCount.value > 0) {
    links = new Array<string>(linkCount.value)
    for (let j = 0; j < linkCount.value; j++) {
      const link = readOpId(buf, at)
      if (link === null) return 'bad link'
      links[j] = link.id
      at = link.next
    }
  }
  const key = readData(buf, at, (flags & FLAG_KEY_STRING) !== 0)
  if (key === null) return 'bad key'
  if (del) return { op: { del: true, key: key.data, clock: clock.value, links }, next: key.next }
  const value = readData(buf, key.next, (flags & FLAG_VALUE_STRING) !== 0)
  if (value === null) return 'bad value'
  return { op: { del: false, key: key.data, value: value.data, clock: clock.value, links }, next: value.next }
}

function readData (buf: Buffer, at: number, isString: boolean): { data: Stored; next: number } | null {
  if (at + 4 > buf.length) return null
  const start = at + 4
  const end = start + buf.readUInt32LE(at)
  if (end > buf.length) return null
  // a string is decoded as UTF-8 (what is not becomes U+FFFD, the same on every peer);
  // bytes are copied out of the block (the block is not kept) and, if they are UTF-8, held as their string
  const data = isString ? buf.toString('utf8', start, end) : normalize(Uint8Array.prototype.slice.call(buf, start, end))
  return { data, next: end }
}

function bad (reason: string): Decoded {
  return { ok: false, reason }
}
