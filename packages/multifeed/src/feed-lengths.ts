// The lengths of feeds that are not open, read from Corestore's storage in bulk
// (hypercore-storage's getInfos: a core's head and hints, a few RocksDB reads per
// feed, batched). Used when the snapshot's lengths cannot be trusted (after a
// crash) and for feeds the snapshot does not cover. About 25-30 µs a feed here;
// a clean reopen reads none of this.
import type { FeedLengths } from './multifeed.js'

const CHUNK = 1024

interface CoreInfo {
  head: { fork: number; length: number } | null
  hints: { contiguousLength?: number } | null
}

interface InfoStorage {
  getInfos(discoveryKeys: Buffer[], opts: { auth: boolean; head: boolean; hints: boolean }): Promise<Array<CoreInfo | null>>
}

/** Corestore's storage, when it can read core heads in bulk. */
export function infoStorageOf (corestore: unknown): InfoStorage | null {
  const s = (corestore as { storage?: Partial<InfoStorage> } | null)?.storage
  return s !== undefined && s !== null && typeof s.getInfos === 'function' ? s as InfoStorage : null
}

/**
 * Lengths by discovery key (hex); a core storage does not hold reads as empty.
 * Null when the storage cannot tell (then the feeds are opened to find out).
 */
export async function readLengths (corestore: unknown, discoveryKeys: Uint8Array[]): Promise<FeedLengths[] | null> {
  const storage = infoStorageOf(corestore)
  if (storage === null) return null
  const out: FeedLengths[] = []
  for (let i = 0; i < discoveryKeys.length; i += CHUNK) {
    const part = discoveryKeys.slice(i, i + CHUNK).map((dk) => Buffer.from(dk.buffer, dk.byteOffset, dk.byteLength))
    const infos = await storage.getInfos(part, { auth: false, head: true, hints: true })
    for (const info of infos) {
      const length = info?.head?.length ?? 0
      const contiguousLength = Math.min(length, info?.hints?.contiguousLength ?? 0)
      out.push({ fork: info?.head?.fork ?? 0, length, contiguousLength })
    }
  }
  return out
}
