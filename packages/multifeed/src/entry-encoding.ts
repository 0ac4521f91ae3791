// How one entry's value becomes bytes in a block, and back. The multifeed's
// `valueEncoding` names it; every feed of a multifeed uses the same one.
//
//   json    JSON text (the default): a value is serialized once, and every reader
//           parses that exact text, so what a view sees equals a rebuild from the log
//   utf-8   a string, as is
//   binary  bytes, as is (readers get their own copy)
import { DecodedBlock, type EncodedEntry } from './block-format.js'
import { MultifeedError } from './errors.js'

export type ValueEncoding = 'json' | 'binary' | 'utf-8'
export const VALUE_ENCODINGS: readonly ValueEncoding[] = ['json', 'binary', 'utf-8']

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
    return text
  }
  if (encoding === 'utf-8') {
    if (typeof value !== 'string') throw new EntryValueError(`a utf-8 feed stores strings, not ${describe(value)}`)
    return value
  }
  if (!(value instanceof Uint8Array)) throw new EntryValueError(`a binary feed stores bytes (Uint8Array), not ${describe(value)}`)
  return value
}

/** Entry i of a decoded block as a fresh value (each caller gets its own copy); throws on malformed JSON. */
export function decodeEntry (encoding: ValueEncoding, block: DecodedBlock, i: number): unknown {
  if (encoding === 'json') return JSON.parse(block.entryText(i))
  if (encoding === 'utf-8') return block.entryText(i)
  return Buffer.from(block.entryBytes(i))
}

function describe (value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}
