// The log entry KappaLevel writes: the writes of one batch (or one put/del).
//
//   { "kl": 1, "ops": [[flags, key, clock, links, value?], ...] }
//
// flags: 1 = a delete (no value), 2 = key is base64 bytes, 4 = value is base64 bytes;
// key and value are otherwise strings (their UTF-8 bytes are the Level bytes).
// clock: 1 + the highest clock of the writes it replaces (the conflict rule's rank).
// links: ids of the writes of the same key this one replaces (see positions.ts).
//
// Entries come from peers: decodeEntry checks everything and refuses the whole entry
// (a batch is all or nothing) if any part is malformed.
import { normalize, type Stored } from './keys.js'
import { parseOpId } from './positions.js'

export const FORMAT_VERSION = 1

export interface PutOp { del: false; key: Stored; value: Stored; clock: number; links: string[] }
export interface DelOp { del: true; key: Stored; value?: undefined; clock: number; links: string[] }
export type WriteOp = PutOp | DelOp

/** What an entry holds on the log. */
export interface LevelEntry { kl: typeof FORMAT_VERSION; ops: EncodedOp[] }
export type EncodedOp = [number, string, number, string[]] | [number, string, number, string[], string]

const FLAG_DEL = 1
const FLAG_KEY_BYTES = 2
const FLAG_VALUE_BYTES = 4
const ALL_FLAGS = FLAG_DEL | FLAG_KEY_BYTES | FLAG_VALUE_BYTES

/** The highest clock a write may carry (a safe integer, so ranks compare exactly). */
export const MAX_CLOCK = Number.MAX_SAFE_INTEGER

const EMPTY_LINKS: string[] = []

export function encodeOp (op: WriteOp): EncodedOp {
  let flags = op.del ? FLAG_DEL : 0
  const key = typeof op.key === 'string' ? op.key : (flags |= FLAG_KEY_BYTES, base64(op.key))
  if (op.del) return [flags, key, op.clock, op.links]
  const value = typeof op.value === 'string' ? op.value : (flags |= FLAG_VALUE_BYTES, base64(op.value))
  return [flags, key, op.clock, op.links, value]
}

export function encodeEntry (ops: EncodedOp[]): LevelEntry {
  return { kl: FORMAT_VERSION, ops }
}

/** Bytes an encoded op takes in the entry's JSON (exact), to keep entries under the block size. */
export function encodedSize (op: EncodedOp): number {
  let n = 16 + jsonBytes(op[1]) + String(op[2]).length
  for (const link of op[3]) n += link.length + 3
  if (op.length === 5) n += jsonBytes(op[4])
  return n
}

function jsonBytes (s: string): number {
  return Buffer.byteLength(JSON.stringify(s))
}

export type Decoded = { ok: true; ops: WriteOp[] } | { ok: false; reason: string }

/** The writes of an entry, or why it is not a KappaLevel entry. Never throws. */
export function decodeEntry (value: unknown): Decoded {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('not a KappaLevel entry (not an object)')
  const { kl, ops } = value as { kl?: unknown; ops?: unknown }
  if (kl !== FORMAT_VERSION) return bad(`not a KappaLevel entry of format ${FORMAT_VERSION} (kl: ${JSON.stringify(kl) ?? 'missing'})`)
  if (!Array.isArray(ops) || ops.length === 0) return bad('ops must be a non-empty array')
  const out = new Array<WriteOp>(ops.length)
  for (let i = 0; i < ops.length; i++) {
    const op = decodeOp(ops[i])
    if (typeof op === 'string') return bad(`op ${i}: ${op}`)
    out[i] = op
  }
  return { ok: true, ops: out }
}

function decodeOp (raw: unknown): WriteOp | string {
  if (!Array.isArray(raw) || raw.length < 4 || raw.length > 5) return 'not an array of 4 or 5 items'
  const [flags, key, clock, links, value] = raw as unknown[]
  if (typeof flags !== 'number' || !Number.isInteger(flags) || (flags & ~ALL_FLAGS) !== 0) return 'bad flags'
  if (typeof key !== 'string') return 'key must be a string'
  if (typeof clock !== 'number' || !Number.isSafeInteger(clock) || clock < 1) return 'clock must be a positive safe integer'
  if (!Array.isArray(links)) return 'links must be an array'
  for (const link of links) {
    if (typeof link !== 'string' || parseOpId(link) === null) return 'links must be op ids'
  }
  const k = normalize((flags & FLAG_KEY_BYTES) !== 0 ? fromBase64(key) : key)
  const l = links.length === 0 ? EMPTY_LINKS : links as string[]
  if ((flags & FLAG_DEL) !== 0) {
    if (raw.length !== 4 || (flags & FLAG_VALUE_BYTES) !== 0) return 'a delete has no value'
    return { del: true, key: k, clock, links: l }
  }
  if (typeof value !== 'string') return 'a put needs a string value'
  const v = normalize((flags & FLAG_VALUE_BYTES) !== 0 ? fromBase64(value) : value)
  return { del: false, key: k, value: v, clock, links: l }
}

function bad (reason: string): Decoded {
  return { ok: false, reason }
}

function base64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function fromBase64 (text: string): Uint8Array {
  const buf = Buffer.from(text, 'base64')
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}
