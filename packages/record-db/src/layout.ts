// Key layout of the records view (string keys, JSON values, one sublevel).
//
// Components are joined with \x00. None can contain \x00: ids and schema names exclude
// control characters (envelope schema), feed keys are hex, terms are letters and digits,
// and indexed values are escaped. None starts with \x01 either. So every key under a
// prefix p lies in the range (p + \x00, p + \x01).
import { entryId, parseEntryId, type Address } from '@kappa-ts/kappa-core'

export const SEP = '\x00'
const END = '\x01'

/** The iterator bounds of every key that starts with `parts` followed by the separator. */
export function under (...parts: string[]): { gt: string; lt: string } {
  const p = parts.join(SEP)
  return { gt: p + SEP, lt: p + END }
}

/** A version's ref: the entry id `<feed>@<block>.<index>` of the entry that holds it. */
export const ref = (feed: string, address: Address): string => entryId(feed, address)
export function parseRef (r: string): { feed: string; address: Address } {
  const parsed = parseEntryId(r)
  // refs come from the view itself; a malformed one (a hostile link) names no entry
  return parsed === null ? { feed: '', address: { block: -1, index: -1 } } : { feed: parsed.key, address: parsed.address }
}

/** One version of a record: `v|schema|id|ref`. */
export const versionKey = (schema: string, id: string, r: string): string => ['v', schema, id, r].join(SEP)
/** Heads (refs no version links to) of a record, over every version whatever its author: `h|schema|id`. */
export const headsKey = (schema: string, id: string): string => ['h', schema, id].join(SEP)
/** Marks a version some other version links to (so it can never be a head): `k|schema|id|ref`. */
export const linkedKey = (schema: string, id: string, r: string): string => ['k', schema, id, r].join(SEP)
/** Secondary index entry: `i|schema|field|encoded value|id|ref`. */
export const indexKey = (schema: string, field: string, enc: string, id: string, r: string): string =>
  ['i', schema, field, enc, id, r].join(SEP)
/**
 * Compound index entry: `c|schema|name|values|id|ref`, the name being the index's fields
 * as JSON, and `values` each field's encoded value followed by JOIN. So the keys of one
 * first value form one range, in the order of the second value, and so on.
 */
export const compoundKey = (schema: string, name: string, encs: string[], id: string, r: string): string =>
  ['c', schema, name, encs.map((e) => e + JOIN).join(''), id, r].join(SEP)
/**
 * Ends each value of a compound index entry. It never occurs inside an encoded value
 * (whose only \x01s start the escapes \x01\x02 and \x01\x03) and sorts below whatever
 * can follow a value's encoding in another value, so keys sort by value, then next value.
 * Every key whose value at some position is v starts with `enc(v) + JOIN` there, and lies
 * below `enc(v) + AFTER_JOIN`.
 */
export const JOIN = '\x01\x01'
export const AFTER_JOIN = '\x01\x02'
/** Full-text posting: `t|term|schema|id|ref` -> term frequency. */
export const postingKey = (term: string, schema: string, id: string, r: string): string => ['t', term, schema, id, r].join(SEP)
/** Full-text statistics of a schema: `n|schema` -> { docs, length }. */
export const statsKey = (schema: string): string => ['n', schema].join(SEP)
/** The fields of a schema the indexes cover (union over every version of its definition): `f|schema`. */
export const fieldsKey = (schema: string): string => ['f', schema].join(SEP)
/** An authorization op: `a|target feed|author feed|block.index` -> { op, length? }. */
export const authKey = (target: string, author: string, address: Address): string =>
  ['a', target, author, `${address.block}.${address.index}`].join(SEP)

export function splitKey (key: string): string[] {
  return key.split(SEP)
}

// ---- order-preserving encoding of indexed values -------------------------------
// A type tag keeps types apart (null < false < true < numbers < strings), numbers
// become 16 hex digits of their float64 bits with the order fixed up for negatives.

export type IndexValue = null | boolean | number | string
const MAX_INDEXED_STRING = 512

export function isIndexValue (v: unknown): v is IndexValue {
  return v === null || typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
}

export function encodeValue (v: IndexValue): string {
  if (v === null) return 'a'
  if (v === false) return 'b'
  if (v === true) return 'c'
  if (typeof v === 'number') return 'd' + encodeNumber(v)
  // \x00 and \x01 are escaped order-preservingly; very long strings are cut (a prefix still sorts right).
  // a cut between the two halves of a surrogate pair would leave a lone one (stored as U+FFFD): cut before it
  const end = v.length > MAX_INDEXED_STRING && isHighSurrogate(v.charCodeAt(MAX_INDEXED_STRING - 1)) ? MAX_INDEXED_STRING - 1 : MAX_INDEXED_STRING
  return 'e' + v.slice(0, end).replace(/[\x00\x01]/g, (c) => (c === '\x00' ? '\x01\x02' : '\x01\x03'))
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff

/** No lone surrogate: the text survives UTF-8 (LevelDB keys) unchanged, so two strings never become one key. */
export function wellFormed (s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed()
}

/** The value an encoding stands for (a string cut at MAX_INDEXED_STRING stays cut). */
export function decodeValue (enc: string): IndexValue {
  const tag = enc[0]
  if (tag === 'a') return null
  if (tag === 'b') return false
  if (tag === 'c') return true
  if (tag === 'd') return decodeNumber(enc.slice(1))
  return enc.slice(1).replace(/\x01[\x02\x03]/g, (e) => (e === '\x01\x02' ? '\x00' : '\x01'))
}

/**
 * Whether other values may share v's encoding: strings are cut at MAX_INDEXED_STRING, so a
 * string that long stands for every string starting with it.
 */
export function sharesEncoding (v: IndexValue): boolean {
  return typeof v === 'string' && v.length >= MAX_INDEXED_STRING
}

function decodeNumber (hex: string): number {
  const buf = Buffer.from(hex, 'hex')
  if ((buf[0] as number) & 0x80) {
    buf[0] = (buf[0] as number) & 0x7f
  } else {
    for (let i = 0; i < 8; i++) buf[i] = ~(buf[i] as number) & 0xff
  }
  return buf.readDoubleBE(0)
}

function encodeNumber (n: number): string {
  const buf = Buffer.alloc(8)
  buf.writeDoubleBE(n === 0 ? 0 : n) // -0 and 0 index alike
  if ((buf[0] as number) & 0x80) {
    for (let i = 0; i < 8; i++) buf[i] = ~(buf[i] as number) & 0xff
  } else {
    buf[0] = (buf[0] as number) | 0x80
  }
  return buf.toString('hex')
}

/** The first tag after every value of v's type (the end of its range). */
export function typeEnd (v: IndexValue): string {
  if (typeof v === 'number') return 'e'
  if (typeof v === 'string') return 'f'
  return encodeValue(v) + SEP
}
export function typeStart (v: IndexValue): string {
  if (typeof v === 'number') return 'd'
  if (typeof v === 'string') return 'e'
  return encodeValue(v)
}
