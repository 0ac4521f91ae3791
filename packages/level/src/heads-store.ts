// Where a key's heads record lives. Each key with any write has exactly one record:
//
//   v!<key> -> <heads record> \0 <value>   when the winner is a put: one LevelDB
//              record per key holds what reads return and what writes link to;
//              reads drop everything up to the first NUL (the heads record never
//              holds one: it is digits, ids and JSON, which escapes control characters)
//   h!<key> -> <heads record>             when the winner is a delete, or no head is left
//
// Lookups first ask the key filter (new keys need no read), then the value table,
// then the heads table for what the value table did not have.
import { decodeHeads, type Head } from './heads.js'
import type { KeyFilter } from './key-filter.js'
import { normalize, type Stored } from './keys.js'
import { getMany, type Tables } from './tables.js'

export interface StoredHeads {
  heads: Head[]
  /** The record is in the value table (the winner is a put), not the heads table. */
  inValues: boolean
  /** The winner's value as stored (bytes), when inValues. */
  value: Uint8Array | undefined
}

const NUL = 0

/** The stored heads of each key (undefined: none), reading only what the filter cannot rule out. */
export async function readHeads (t: Tables, keys: Stored[], filter: KeyFilter | null): Promise<Array<StoredHeads | undefined>> {
  const out = new Array<StoredHeads | undefined>(keys.length)
  let ask: number[] = []
  for (let i = 0; i < keys.length; i++) if (filter === null || filter.mayHave(keys[i]!)) ask.push(i)
  if (ask.length === 0) return out
  const values = await getMany(t.values, ask.map((i) => keys[i]!), 'view')
  const rest: number[] = []
  for (let j = 0; j < ask.length; j++) {
    const v = values[j] as Uint8Array | undefined
    if (v === undefined) rest.push(ask[j]!)
    else out[ask[j]!] = splitValue(v)
  }
  ask = rest
  if (ask.length === 0) return out
  const records = await getMany(t.heads, ask.map((i) => keys[i]!))
  for (let j = 0; j < ask.length; j++) {
    const r = records[j] as string | undefined
    if (r !== undefined) out[ask[j]!] = { heads: decodeHeads(r), inValues: false, value: undefined }
  }
  return out
}

function splitValue (stored: Uint8Array): StoredHeads {
  const nul = stored.indexOf(NUL)
  const meta = Buffer.from(stored.buffer, stored.byteOffset, nul).toString()
  return { heads: decodeHeads(meta), inValues: true, value: stored.subarray(nul + 1) }
}

/** The value-table record: the heads record, NUL, the value. */
export function valueRecord (meta: string, value: Stored): Stored {
  if (typeof value === 'string') return meta + '\u0000' + value
  const head = Buffer.from(meta + '\u0000')
  const out = new Uint8Array(head.byteLength + value.byteLength)
  out.set(head, 0)
  out.set(value, head.byteLength)
  return out
}

/** A stored winner's value, as a key or value is held in memory. */
export function storedValue (bytes: Uint8Array): Stored {
  return normalize(bytes)
}

/** What reads return: the value without the heads record in front. */
export function stripValue<T extends string | Uint8Array | undefined> (record: T): T {
  if (record === undefined) return record
  if (typeof record === 'string') return record.slice(record.indexOf('\u0000') + 1) as T
  return (record as Uint8Array).subarray((record as Uint8Array).indexOf(NUL) + 1) as T
}
