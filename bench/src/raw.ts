// The floors: the same records through hypercore 11 and Corestore alone, no views.
// Three of them: one record per block (what an app writing hypercore by hand gets),
// the records packed into blocks exactly as kappa's writer packs them (the floor
// for kappa's own overhead), and those packed blocks encrypted as a multifeed
// encrypts them (what block encryption costs on its own).
import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { randomBytes } from 'node:crypto'
import { blockEncryptionKey, compressBlockSync, encodeEntry, entrySize, packBlocks } from '@kappa-ts/multifeed'
import { dirSize, now } from './stats.js'

/** How a raw floor lays records out in blocks. */
export type RawLayout = 'per-record' | 'packed' | 'packed-encrypted'

export interface RawAppendResult {
  appendMs: number
  diskBytes: number
  /** Sum of the block sizes as hypercore counts them. */
  byteLength: number
}

/** The blocks of one batch: JSON records, or kappa's packed (and compressed) blocks of them (entries before the batch: `offset`). */
function blocksOf (records: readonly unknown[], layout: RawLayout, offset: number): unknown[] {
  if (layout === 'per-record') return records as unknown[]
  // 'packed' and 'packed-encrypted' share the block bytes; hypercore encrypts the latter.
  const entries = records.map((r) => encodeEntry('json', r))
  return packBlocks(entries, entries.map(entrySize), offset).map((p) => compressBlockSync(p.block))
}

async function appendAll (core: Hypercore<unknown>, records: readonly unknown[], batchSize: number, layout: RawLayout = 'per-record'): Promise<void> {
  for (let i = 0; i < records.length; i += batchSize) {
    await core.append(blocksOf(records.slice(i, i + batchSize), layout, i))
  }
}

/** One multifeed key per process: the encrypted floor uses the key derivation kappa uses. */
const ENCRYPTION = { key: blockEncryptionKey(randomBytes(32)) }

function rawCore (store: Corestore, opts: { name?: string; key?: Buffer }, layout: RawLayout): Hypercore<unknown> {
  if (layout === 'per-record') return store.get<unknown>({ ...opts, valueEncoding: 'json' })
  if (layout === 'packed') return store.get<unknown>({ ...opts, valueEncoding: 'binary' })
  return store.get<unknown>({ ...opts, valueEncoding: 'binary', encryption: ENCRYPTION })
}

/** Appends `records` in batches of `batchSize` to one core in `dir`; measures disk after close. */
export async function rawAppend (dir: string, records: readonly unknown[], batchSize: number, layout: RawLayout = 'per-record'): Promise<RawAppendResult> {
  const store = new Corestore(dir)
  const core = rawCore(store, { name: 'bench' }, layout)
  await core.ready()
  const start = now()
  await appendAll(core, records, batchSize, layout)
  const appendMs = now() - start
  const byteLength = core.byteLength
  await store.close()
  return { appendMs, diskBytes: dirSize(dir), byteLength }
}

/**
 * One Corestore holds a core per share; a fresh Corestore that knows their keys
 * downloads all of them over one replication stream. Returns the download time.
 */
export async function rawReplicate (dir: string, shares: ReadonlyArray<readonly unknown[]>, batchSize: number, layout: RawLayout = 'per-record'): Promise<{ ms: number; bytes: number }> {
  const src = new Corestore(`${dir}/src`)
  const cores = shares.map((_, i) => rawCore(src, { name: `writer-${i}` }, layout))
  await Promise.all(cores.map((c) => c.ready()))
  await Promise.all(cores.map((c, i) => appendAll(c, shares[i]!, batchSize, layout)))
  const dst = new Corestore(`${dir}/dst`)
  const copies = cores.map((c) => rawCore(dst, { key: c.key! }, layout))
  await Promise.all(copies.map((c) => c.ready()))
  const start = now()
  const a = src.replicate(true)
  const b = dst.replicate(false)
  a.pipe(b).pipe(a)
  a.on('error', () => {})
  b.on('error', () => {})
  await Promise.all(copies.map((c, i) => c.download({ start: 0, end: cores[i]!.length }).done()))
  const ms = now() - start
  const bytes = cores.reduce((n, c) => n + c.byteLength, 0)
  a.destroy()
  b.destroy()
  await dst.close()
  await src.close()
  return { ms, bytes }
}

/**
 * Streams batches into one core, closes the store and reopens it: the floor
 * for a kappa's reopen (RocksDB replays its write-ahead log on the first open).
 */
export async function rawAppendReopen (dir: string, batches: AsyncIterable<unknown[]>): Promise<{ appendMs: number; reopenMs: number; length: number }> {
  let store = new Corestore(dir)
  let core = store.get<unknown>({ name: 'bench', valueEncoding: 'json' })
  await core.ready()
  const start = now()
  for await (const batch of batches) await core.append(batch)
  const appendMs = now() - start
  await store.close()
  const reopen = now()
  store = new Corestore(dir)
  core = store.get<unknown>({ name: 'bench', valueEncoding: 'json' })
  await core.ready()
  const reopenMs = now() - reopen
  const length = core.length
  await store.close()
  return { appendMs, reopenMs, length }
}
