// Every use of WHERE an entry sits in its feed, in one place.
//
// Today an entry is one hypercore block and its position is `entry.seq`. The log
// format is about to change to packed blocks (many entries per block), where an
// entry carries a block address (block + index within the block) instead. Op ids,
// the links between writes, the conflict tie-break and the tracking of this peer's
// own writes all go through this module, so that switch is a change here only.
import type { Entry } from '@kappa-ts/kappa-core'
import { readVarint, varintLength, writeVarint } from './varint.js'
import { TAG_BYTES, feedTag, tagOf, writeTag } from './writer-tag.js'

/** Where an entry sits in its feed (today: its seq). */
export type Position = number

/** The position of an entry handed to a view. */
export function positionOf (entry: Entry): Position {
  return entry.seq
}

/**
 * The positions of the `count` entries of one `Writer.append([...])` call, from what
 * it resolved with (today: the seq of the first).
 */
export function appendedPositions (appendResult: number, count: number): Position[] {
  const out = new Array<Position>(count)
  for (let i = 0; i < count; i++) out[i] = appendResult + i
  return out
}

/** Orders two positions of one feed: negative if `a` comes first. */
export function comparePositions (a: Position, b: Position): number {
  return a - b
}

/** A key for maps of entries, unique across feeds. */
export function entryKey (feed: string, position: Position): string {
  return feed + '@' + String(position)
}

/** The feed and the position (as text) of an entry key, for reports such as skipped entries. */
export function splitEntryKey (key: string): { feed: string; at: string } {
  const i = key.indexOf('@')
  return { feed: key.slice(0, i), at: key.slice(i + 1) }
}

// An op id: `<writer tag>@<seq>/<op index within the entry>` (writer-tag.ts).
const OP_ID = /^([-0-9A-Za-z_]{21}[-FVk])@(0|[1-9][0-9]{0,15})\/(0|[1-9][0-9]{0,8})$/

export interface ParsedOpId {
  /** The writer's tag (writer-tag.ts). */
  writer: string
  position: Position
  op: number
}

/** The id of the `op`-th write of an entry of `feed` (hex key): what later writes of the same key link to replace it. */
export function opId (feed: string, position: Position, op: number): string {
  return feedTag(feed) + '@' + String(position) + '/' + String(op)
}

/** The parts of a well-formed op id, or null (a link a peer made up). */
export function parseOpId (id: string): ParsedOpId | null {
  const m = OP_ID.exec(id)
  if (m === null) return null
  const position = Number(m[2])
  if (!Number.isSafeInteger(position)) return null
  return { writer: m[1]!, position, op: Number(m[3]) }
}

// In a binary entry: the writer tag's 16 bytes, then the position and the op index as varints.

/** Bytes the binary form of a well-formed op id takes. */
export function opIdByteLength (id: string): number {
  const p = parseOpId(id) as ParsedOpId
  return TAG_BYTES + varintLength(p.position) + varintLength(p.op)
}

/** Writes the binary form of a well-formed op id at `offset`; returns the offset after it. */
export function writeOpId (id: string, buf: Buffer, offset: number): number {
  const p = parseOpId(id) as ParsedOpId
  offset = writeTag(p.writer, buf, offset)
  offset = writeVarint(buf, offset, p.position)
  return writeVarint(buf, offset, p.op)
}

/** Reads the binary form of an op id at `offset`, or null if it is cut short or out of range. */
export function readOpId (buf: Buffer, offset: number): { id: string; next: number } | null {
  if (offset + TAG_BYTES > buf.length) return null
  const writer = tagOf(buf, offset)
  const position = readVarint(buf, offset + TAG_BYTES)
  if (position === null) return null
  const op = readVarint(buf, position.next)
  if (op === null || op.value > MAX_OP_INDEX) return null
  return { id: writer + '@' + String(position.value) + '/' + String(op.value), next: op.next }
}

const MAX_OP_INDEX = 999_999_999

/**
 * The tie-break between two writes of equal clock, total over well-formed ids:
 * by writer key (bytewise, by its first 128 bits), then by where the write sits in that
 * writer's log. Positive if `a` ranks higher.
 */
export function compareOpIds (a: string, b: string): number {
  if (a === b) return 0
  const pa = parseOpId(a)
  const pb = parseOpId(b)
  // ids are validated before they are stored; a malformed one ranks lowest
  if (pa === null || pb === null) return pa === null ? (pb === null ? (a < b ? -1 : 1) : -1) : 1
  // tags compare as strings in the order of the key bytes they stand for
  if (pa.writer !== pb.writer) return pa.writer < pb.writer ? -1 : 1
  const byPosition = comparePositions(pa.position, pb.position)
  if (byPosition !== 0) return byPosition
  return pa.op - pb.op
}
