// The multifeed's own memory: an append-only, local-only hypercore inside the
// same Corestore. Its first record holds the multifeed key; each further record
// names one known feed (local writer or remote author).
//
// Reopening does not read every record: a snapshot of the list (feed-snapshot.ts),
// kept as the core's user data, covers a prefix of the records.
//
// Why this is crash-safe: a hypercore append (blocks, merkle tree, signed head)
// is committed to RocksDB as one atomic write batch, so after a crash a record
// is either wholly there or absent, never torn. Records are appended BEFORE a
// feed is exposed or announced, so nothing the app or a peer saw is forgotten.
import type Hypercore from 'hypercore'
import { MultifeedError } from './errors.js'
import { parseKey } from './keys.js'
import { CLEAN_KEY, SNAPSHOT_KEY, decodeSnapshot, encodeSnapshot, type Snapshot } from './feed-snapshot.js'

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

  /** Records in the log. */
  get length (): number { return this.core.length }

  /** The first record (the key and layout), or null in an empty log. */
  async head (): Promise<{ key: string | null; version: number; format: number | undefined }> {
    if (this.core.length === 0) return { key: null, version: 0, format: undefined }
    const rec = checkRecord(await this.core.get(0, { wait: false }), 0)
    if (rec === null || rec.type !== 'multifeed') throw new MultifeedError('ERR_CORRUPT', 'feed list record 0 is not the multifeed record')
    return { key: rec.key, version: rec.version, format: rec.format }
  }

  /** The feed records from record `from` on; unknown record types are skipped (written by a newer version). */
  async feeds (from = 1): Promise<FeedRecord[]> {
    const feeds: FeedRecord[] = []
    const length = this.core.length
    for (let start = Math.max(1, from); start < length; start += READ_CHUNK) {
      const end = Math.min(length, start + READ_CHUNK)
      const reads: Array<Promise<unknown>> = []
      for (let i = start; i < end; i++) reads.push(this.core.get(i, { wait: false }))
      const values = await Promise.all(reads)
      for (let i = 0; i < values.length; i++) {
        const rec = checkRecord(values[i], start + i)
        if (rec !== null && rec.type === 'feed') feeds.push(rec)
      }
    }
    return feeds
  }

  /**
   * The snapshot of the list (feed-snapshot.ts) and whether its lengths can be
   * trusted (the last close was clean). Then marks the lengths untrusted until the
   * next saveSnapshot(), so a crash from now on is noticed.
   */
  async takeSnapshot (): Promise<{ snapshot: Snapshot | null; clean: boolean }> {
    const snapshot = decodeSnapshot(await this.core.getUserData(SNAPSHOT_KEY))
    const marker = await this.core.getUserData(CLEAN_KEY)
    const clean = snapshot !== null && marker !== null && snapshot.id.equals(marker)
    if (marker !== null && marker.byteLength > 0) await this.core.setUserData(CLEAN_KEY, Buffer.alloc(0))
    return { snapshot, clean }
  }

  /** Saves the snapshot, then marks it clean (two writes: a crash between them leaves it untrusted). */
  async saveSnapshot (snap: Snapshot): Promise<void> {
    await this.core.setUserData(SNAPSHOT_KEY, encodeSnapshot(snap))
    await this.core.setUserData(CLEAN_KEY, snap.id)
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
