// Every use of WHERE an entry sits in its feed, in one place.
//
// Entries are packed many to a hypercore block, and an entry's position is its
// address: the block that holds it and its index among the block's entries. Op ids,
// the links between writes, the conflict tie-break and the tracking of this peer's
// own writes all go through this module.
import type { Address, Entry } from '@kappa-ts/kappa-core'
import { readVarint, varintLength, writeVarint } from './varint.js'
import { TAG_BYTES, feedTag, tagOf, writeTag } from './writer-tag.js'

/** Where an entry sits in its feed: its block and its index in the block. */
export type Position = Address

/** The position of an entry handed to a view. */
export function positionOf (entry: Entry): Position {
  return entry.address
}

/** The positions of the entries of one `Writer.append([...])` call: what it resolved with. */
export function appendedPositions (appendResult: Address[], count: number): Position[] {
  if (appendResult.length !== count) throw new Error(`append resolved with ${appendResult.length} addresses for ${count} entries`)
  return appendResult
}

/** Orders two positions of one feed: negative if `a` comes first. */
export function comparePositions (a: Position, b: Position): number {
  return a.block - b.block || a.index - b.index
}

/** A position as text: `<block>.<index>`. */
function positionText (p: Position): string {
  return String(p.block) + '.' + String(p.index)
}

/** A key for maps of entries, unique across feeds. */
export function entryKey (feed: string, position: Position): string {
  return feed + '@' + positionText(position)
}

// An op id: `<writer tag>@<block>.<index>/<op index within the entry>` (writer-tag.ts).
const OP_ID = /^([-0-9A-Za-z_]{21}[-FVk])@(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,4})\/(0|[1-9][0-9]{0,8})$/

export interface ParsedOpId {
  /** The writer's tag (writer-tag.ts). */
  writer: string
  position: Position
  op: number
}

/** The id of the `op`-th write of an entry of `feed` (hex key): what later writes of the same key link to replace it. */
export function opId (feed: string, position: Position, op: number): string {
  return feedTag(feed) + '@' + positionText(position) + '/' + String(op)
}

/** The parts of a well-formed op id, or null (a link a peer made up). */
export function parseOpId (id: string): ParsedOpId | null {
  const m = OP_ID.exec(id)
  if (m === null) return null
  const block = Number(m[2])
  if (!Number.isSafeInteger(block)) return null
  return { writer: m[1]!, position: { block, index: Number(m[3]) }, op: Number(m[4]) }
}

// In a binary entry: the writer tag's 16 bytes, then the block, the index and the op index as varints.

/** Bytes the binary form of a well-formed op id takes. */
export function opIdByteLength (id: string): number {
  const p = parseOpId(id) as ParsedOpId
  return TAG_BYTES + varintLength(p.position.block) + varintLength(p.position.index) + varintLength(p.op)
}

/** Writes the binary form of a well-formed op id at `offset`; returns the offset after it. */
export function writeOpId (id: string, buf: Buffer, offset: number): number {
  const p = parseOpId(id) as ParsedOpId
  offset = writeTag(p.writer, buf, offset)
  offset = writeVarint(buf, offset, p.position.block)
  offset = writeVarint(buf, offset, p.position.index)
  return writeVarint(buf, offset, p.op)
}

/** Reads the binary form of an op id at `offset`, or null if it is cut short or out of range. */
export function readOpId (buf: Buffer, offset: number): { id: string; next: number } | null {
  if (offset + TAG_BYTES > buf.length) return null
  const writer = tagOf(buf, offset)
  const block = readVarint(buf, offset + TAG_BYTES)
  if (block === null) return null
  const index = readVarint(buf, block.next)
  if (index === null || index.value > MAX_INDEX) return null
  const op = readVarint(buf, index.next)
  if (op === null || op.value > MAX_OP_INDEX) return null
  return { id: writer + '@' + String(block.value) + '.' + String(index.value) + '/' + String(op.value), next: op.next }
}

const MAX_OP_INDEX = 999_999_999
const MAX_INDEX = 99_999 // what the op id's index field holds (a block holds at most 16,384 entries)

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
