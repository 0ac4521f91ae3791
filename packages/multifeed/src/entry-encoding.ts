// How one entry's value becomes bytes in a block, and back. The multifeed's
// `valueEncoding` names it; every feed of a multifeed uses the same one.
//
//   json    JSON text (the default): a value is serialized once, and every reader
//           parses that exact text, so what a view sees equals a rebuild from the log
//   utf-8   a string, as is
//   binary  bytes, as is (readers get their own copy)
//
// One limit applies to JSON values on both sides, when written and when read: they
// may nest arrays and objects at most MAX_JSON_DEPTH deep. JSON.parse copes with far
// deeper text, but everything after it (JSON.stringify in a view's write, a schema
// check, any recursive walk) runs out of stack around a few thousand levels; a peer's
// entry must not be able to reach that code. A writer is refused such a value; a
// reader skips such an entry (every view the same way) with a reason.
import { DecodedBlock, type EncodedEntry } from './block-format.js'
import { MultifeedError } from './errors.js'

export type ValueEncoding = 'json' | 'binary' | 'utf-8'
export const VALUE_ENCODINGS: readonly ValueEncoding[] = ['json', 'binary', 'utf-8']
/** Deepest nesting of arrays and objects a JSON value may have. */
export const MAX_JSON_DEPTH = 100

/** An entry a reader cannot take: not valid in the feed's encoding, or over a limit. */
export class EntryDecodeError extends MultifeedError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('ERR_ENTRY_DECODE', message, options)
    this.name = 'EntryDecodeError'
  }
}

/** A value the encoding cannot store; `index` is its position in a multi-value append. */
export class EntryValueError extends MultifeedError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_VALUE', message, options)
    this.name = 'EntryValueError'
  }
}

/** The value as it goes into a block; throws EntryValueError for a value the encoding cannot hold. */
export function encodeEntry (encoding: ValueEncoding, value: unknown): EncodedEntry {
  if (encoding === 'json') {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (err) {
      throw new EntryValueError(err instanceof Error ? err.message : String(err), { cause: err })
    }
    // undefined, a function or a symbol have no JSON text at all
    if (text === undefined) throw new EntryValueError(`${typeof value} has no JSON form`)
    if (jsonDepthOver(text, MAX_JSON_DEPTH)) throw new EntryValueError(`it nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`)
    return text
  }
  if (encoding === 'utf-8') {
    if (typeof value !== 'string') throw new EntryValueError(`a utf-8 feed stores strings, not ${describe(value)}`)
    return value
  }
  if (!(value instanceof Uint8Array)) throw new EntryValueError(`a binary feed stores bytes (Uint8Array), not ${describe(value)}`)
  return value
}

/**
 * Entry i of a decoded block as a fresh value (each caller gets its own copy). Throws
 * EntryDecodeError for text that is not JSON, or JSON nested deeper than MAX_JSON_DEPTH.
 */
export function decodeEntry (encoding: ValueEncoding, block: DecodedBlock, i: number): unknown {
  if (encoding === 'json') {
    const text = block.entryText(i)
    if (jsonDepthOver(text, MAX_JSON_DEPTH)) throw new EntryDecodeError(`it nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`)
    try {
      return JSON.parse(text)
    } catch (err) {
      throw new EntryDecodeError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }
  if (encoding === 'utf-8') return block.entryText(i)
  return Buffer.from(block.entryBytes(i))
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`. Most texts hold few
 * brackets: counting them (native indexOf) settles it without a scan; only a text with
 * more than `max` brackets is scanned, skipping brackets inside strings.
 */
export function jsonDepthOver (text: string, max: number): boolean {
  if (text.length <= 2 * max) return false
  let brackets = 0
  for (const open of ['[', '{']) {
    for (let at = text.indexOf(open); at !== -1; at = text.indexOf(open, at + 1)) {
      if (++brackets > max) return scanDepthOver(text, max)
    }
  }
  return false
}

function scanDepthOver (text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return false
}

function describe (value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}
