// Keys and values as they are stored: the bytes Level would store, held as a
// string when those bytes are UTF-8 (the common case: keys and values of the
// 'utf8' and 'json' encodings), and as bytes otherwise.
//
// Both forms are written to LevelDB as the same bytes, so the view's tables are in
// Level's bytewise order whatever form a key came in. Strings take the fast write
// path (utf8 keys and values); only bytes that are not UTF-8 take the byte path.
import { isUtf8 } from 'node:buffer'

/** A key or value as stored: a well-formed string (its UTF-8 bytes) or bytes that are not UTF-8. */
export type Stored = string | Uint8Array

type MaybeWellFormed = string & { isWellFormed?: () => boolean; toWellFormed?: () => string }

/**
 * A key or value as the Level bytes it stands for. A string with a lone surrogate
 * becomes what UTF-8 encoding makes of it (U+FFFD), as classic-level would store it;
 * bytes that are valid UTF-8 become their string, so one key has one form.
 */
export function normalize (data: string | Uint8Array): Stored {
  if (typeof data === 'string') {
    const s = data as MaybeWellFormed
    if (s.isWellFormed !== undefined ? s.isWellFormed() : Buffer.from(data).toString() === data) return data
    return Buffer.from(data).toString()
  }
  if (isUtf8(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString()
  return data
}

/**
 * A string that identifies a stored key among all keys (for maps): the string
 * itself, or for bytes a lone surrogate (which no stored string contains) and the
 * bytes as latin1.
 */
export function groupKey (key: Stored): string {
  if (typeof key === 'string') return key
  return '\uDC00' + Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}

/** The key encoding to read or write a stored key with. */
export function keyFormat (key: Stored): 'utf8' | 'view' {
  return typeof key === 'string' ? 'utf8' : 'view'
}

/** The UTF-8 bytes of a stored key or value. */
export function bytesOf (data: Stored): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data) : data
}

/** Concatenates two byte strings. */
export function concatBytes (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}
