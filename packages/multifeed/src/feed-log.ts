// The multifeed's own memory: an append-only, local-only hypercore inside the
// same Corestore. Its first record holds the multifeed key; each further record
// names one known feed (local writer or remote author).
//
// Why this is crash-safe: a hypercore append (blocks, merkle tree, signed head)
// is committed to RocksDB as one atomic write batch, so after a crash a record
// is either wholly there or absent, never torn. Records are appended BEFORE a
// feed is exposed or announced, so nothing the app or a peer saw is forgotten.
import type Hypercore from 'hypercore'
import { MultifeedError } from './errors.js'
import { parseKey } from './keys.js'

/** The first record: the multifeed key and the storage layout it was written in. */
export interface KeyRecord { type: 'multifeed'; version: number; format?: number; key: string }
export interface FeedRecord { type: 'feed'; key: string; local: boolean; name?: string }
type MetaRecord = KeyRecord | FeedRecord

const READ_CHUNK = 256

export class FeedLog {
  constructor (private readonly core: Hypercore<unknown>) {}

  async ready (): Promise<void> {
    await this.core.ready()
  }

  /** Reads every record; unknown record types are skipped (written by a newer version). */
  async load (): Promise<{ key: string | null; version: number; format: number | undefined; feeds: FeedRecord[] }> {
    let head: KeyRecord | null = null
    const feeds: FeedRecord[] = []
    const length = this.core.length
    for (let start = 0; start < length; start += READ_CHUNK) {
      const end = Math.min(length, start + READ_CHUNK)
      const reads: Array<Promise<unknown>> = []
      for (let i = start; i < end; i++) reads.push(this.core.get(i, { wait: false }))
      const values = await Promise.all(reads)
      for (let i = 0; i < values.length; i++) {
        const rec = checkRecord(values[i], start + i)
        if (rec === null) continue
        if (rec.type === 'multifeed') head ??= rec
        else feeds.push(rec)
      }
    }
    return { key: head?.key ?? null, version: head?.version ?? 0, format: head?.format, feeds }
  }

  async append (records: MetaRecord[]): Promise<void> {
    if (records.length > 0) await this.core.append(records)
  }

  close (): Promise<void> {
    return this.core.close()
  }
}

function checkRecord (value: unknown, seq: number): MetaRecord | null {
  if (value === null || typeof value !== 'object') {
    throw new MultifeedError('ERR_CORRUPT', `feed list record ${seq} is missing or not an object`)
  }
  const rec = value as Record<string, unknown>
  if (rec.type !== 'multifeed' && rec.type !== 'feed') return null
  if (typeof rec.key !== 'string' || parseKey(rec.key) === null) {
    throw new MultifeedError('ERR_CORRUPT', `feed list record ${seq} has no valid key`)
  }
  if (rec.type === 'multifeed') {
    const head: KeyRecord = { type: 'multifeed', version: typeof rec.version === 'number' ? rec.version : 0, key: rec.key.toLowerCase() }
    if (typeof rec.format === 'number') head.format = rec.format
    return head
  }
  const out: FeedRecord = { type: 'feed', key: rec.key.toLowerCase(), local: rec.local === true }
  if (typeof rec.name === 'string') out.name = rec.name
  return out
}
