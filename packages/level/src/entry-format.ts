// The log entry KappaLevel writes: the writes of one batch (or one put/del), in
// binary (Level keys and values are bytes; the log keeps them as they are).
//
//   'k' 'l' <version 1> <varint op count> op*
//   op: <flags> <varint clock> <varint link count> <link id>* <varint key length> <key>
//       [<varint value length> <value>]   (puts only)
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

function dataLength (data: Stored): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
}

/** Bytes an op takes in an entry; the lengths of its key and value are kept for encodeEntry. */
export interface SizedOp { op: WriteOp; size: number; keyBytes: number; valueBytes: number }

export function sizeOp (op: WriteOp): SizedOp {
  const keyBytes = dataLength(op.key)
  const valueBytes = op.del ? 0 : dataLength(op.value)
  let size = 1 + varintLength(op.clock) + varintLength(op.links.length) + varintLength(keyBytes) + keyBytes
  for (const link of op.links) size += opIdByteLength(link)
  if (!op.del) size += varintLength(valueBytes) + valueBytes
  return { op, size, keyBytes, valueBytes }
}

/** The entry holding `ops` (sized by sizeOp). */
export function encodeEntry (ops: SizedOp[]): Buffer {
  let total = HEADER + varintLength(ops.length)
  for (const o of ops) total += o.size
  const buf = Buffer.allocUnsafe(total)
  buf[0] = MAGIC_0
  buf[1] = MAGIC_1
  buf[2] = FORMAT_VERSION
  let at = writeVarint(buf, HEADER, ops.length)
  for (const { op, keyBytes, valueBytes } of ops) {
    let flags = op.del ? FLAG_DEL : 0
    if (typeof op.key === 'string') flags |= FLAG_KEY_STRING
    if (!op.del && typeof op.value === 'string') flags |= FLAG_VALUE_STRING
    buf[at++] = flags
    at = writeVarint(buf, at, op.clock)
    at = writeVarint(buf, at, op.links.length)
    for (const link of op.links) at = writeOpId(link, buf, at)
    at = writeVarint(buf, at, keyBytes)
    at = writeData(buf, at, op.key, keyBytes)
    if (!op.del) {
      at = writeVarint(buf, at, valueBytes)
      at = writeData(buf, at, op.value, valueBytes)
    }
  }
  return buf
}

function writeData (buf: Buffer, at: number, data: Stored, length: number): number {
  if (typeof data === 'string') buf.write(data, at, length, 'utf8')
  else buf.set(data, at)
  return at + length
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
  // every op takes at least 4 bytes: a count beyond that is a lie, not an allocation
  if (count.value > (buf.length - count.next) / 4) return bad('op count larger than the entry')
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
  if (linkCount === null || linkCount.value > (buf.length - linkCount.next) / 34) return 'bad link count'
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
  const len = readVarint(buf, at)
  if (len === null || len.next + len.value > buf.length) return null
  const end = len.next + len.value
  // a string is decoded as UTF-8 (what is not becomes U+FFFD, the same on every peer);
  // bytes are copied out of the block (the block is not kept) and, if they are UTF-8, held as their string
  const data = isString ? buf.toString('utf8', len.next, end) : normalize(Uint8Array.prototype.slice.call(buf, len.next, end))
  return { data, next: end }
}

function bad (reason: string): Decoded {
  return { ok: false, reason }
}
