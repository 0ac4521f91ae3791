// The view's tables, in its data sublevel (which kappa replaces when the view is
// rebuilt, so they are looked up per data sublevel):
//
//   v!<key>        the winning value of every key whose winner is a put: what reads
//                  and range reads see, in Level's bytewise key order
//   h!<key>        the key's heads record (heads.ts), for every key any write named
//   l!<id>\0<key>  '': a write of <key> linked <id>, so <id> is never a head of <key>
//                  (<id> has no \0, so the split is unambiguous)
//
// Keys are written as the Level bytes (keys.ts): a string key is its UTF-8 bytes.
import type { AbstractSublevel } from 'abstract-level'
import type { ViewBatch, ViewDb } from '@kappa-ts/kappa-core'
import { concatBytes, keyFormat, type Stored } from './keys.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every backend and sublevel
export type Table = AbstractSublevel<any, any, string, string>

export interface Tables {
  values: Table
  heads: Table
  links: Table
  /** Whether the db answers hasMany() (else getMany() stands in). */
  hasMany: boolean
}

const cache = new WeakMap<ViewDb, Tables>()
const UTF8 = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const

export function tablesOf (data: ViewDb): Tables {
  let t = cache.get(data)
  if (t === undefined) {
    t = {
      values: data.sublevel<string, string>('v', UTF8) as Table,
      heads: data.sublevel<string, string>('h', UTF8) as Table,
      links: data.sublevel<string, string>('l', UTF8) as Table,
      hasMany: data.supports.has === true
    }
    cache.set(data, t)
  }
  return t
}

const READ_UTF8 = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
const READ_VIEW = { keyEncoding: 'view', valueEncoding: 'utf8' } as const
const READ_VIEW_VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const
const READ_UTF8_VIEW = { keyEncoding: 'utf8', valueEncoding: 'view' } as const

/** getMany of stored keys (strings and bytes in one call each), values as utf8 strings or bytes. */
export async function getMany (table: Table, keys: Stored[], values: 'utf8' | 'view' = 'utf8'): Promise<Array<Stored | undefined>> {
  let bytes = 0
  for (const k of keys) if (typeof k !== 'string') bytes++
  const utf8Opts = values === 'utf8' ? READ_UTF8 : READ_UTF8_VIEW
  const viewOpts = values === 'utf8' ? READ_VIEW : READ_VIEW_VIEW
  if (bytes === 0) return await table.getMany<string, Stored>(keys as string[], utf8Opts)
  if (bytes === keys.length) return await table.getMany<Uint8Array, Stored>(keys as Uint8Array[], viewOpts)
  const strs: string[] = []
  const bins: Uint8Array[] = []
  for (const k of keys) typeof k === 'string' ? strs.push(k) : bins.push(k)
  const [a, b] = await Promise.all([table.getMany<string, Stored>(strs, utf8Opts), table.getMany<Uint8Array, Stored>(bins, viewOpts)])
  let i = 0
  let j = 0
  return keys.map((k) => typeof k === 'string' ? a[i++] : b[j++])
}

/** Which of the stored keys exist. */
export async function hasMany (t: Tables, table: Table, keys: Stored[]): Promise<boolean[]> {
  if (!t.hasMany) return (await getMany(table, keys)).map((v) => v !== undefined)
  let bytes = 0
  for (const k of keys) if (typeof k !== 'string') bytes++
  if (bytes === 0) return await table.hasMany<string>(keys as string[], { keyEncoding: 'utf8' })
  const strs: string[] = []
  const bins: Uint8Array[] = []
  for (const k of keys) typeof k === 'string' ? strs.push(k) : bins.push(k)
  const [a, b] = await Promise.all([table.hasMany<string>(strs, { keyEncoding: 'utf8' }), table.hasMany<Uint8Array>(bins, { keyEncoding: 'view' })])
  let i = 0
  let j = 0
  return keys.map((k) => typeof k === 'string' ? a[i++]! : b[j++]!)
}

/** The link marker key of (id, key). */
export function markerKey (id: string, key: Stored): Stored {
  if (typeof key === 'string') return id + '\u0000' + key
  return concatBytes(Buffer.from(id + '\u0000'), key)
}

/**
 * Writes into a view batch. Strings take kappa's fast path (plain utf8 keys and
 * values); bytes go through abstract-level with the 'view' encoding: the same
 * bytes either way. (ViewBatch types keys as strings; bytes are passed through
 * with their encoding named, which its general path supports.)
 */
export class TableWriter {
  private readonly utf8: WeakMap<Table, { sublevel: Table; keyEncoding: 'utf8'; valueEncoding: 'utf8' }> = new WeakMap()

  constructor (private readonly batch: ViewBatch) {}

  put (table: Table, key: Stored, value: Stored): void {
    if (typeof key === 'string' && typeof value === 'string') {
      let opts = this.utf8.get(table)
      if (opts === undefined) this.utf8.set(table, opts = { sublevel: table, keyEncoding: 'utf8', valueEncoding: 'utf8' })
      this.batch.put(key, value, opts)
    } else {
      this.batch.put(key as string, value, { sublevel: table, keyEncoding: keyFormat(key), valueEncoding: typeof value === 'string' ? 'utf8' : 'view' })
    }
  }

  del (table: Table, key: Stored): void {
    this.batch.del(key as string, { sublevel: table, keyEncoding: keyFormat(key) })
  }
}
