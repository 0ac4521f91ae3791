// What makes reopening a multifeed of many feeds cost almost nothing per feed: a
// snapshot of the feed list, with each feed's discovery key and lengths, kept as
// user data of the local feed-list core (one RocksDB value, never replicated).
//
// The feed list itself stays in the feed-list core's records (feed-log.ts): they
// are the truth, and the snapshot only caches a prefix of them (`metaLength`
// records), so records appended after it (a crash before the next snapshot) are
// read from the log. The lengths are trusted only after a clean close: close()
// writes the snapshot, then a "clean" marker holding the snapshot's id; ready()
// overwrites the marker before any feed can change. After a crash the marker does
// not match, and every feed's lengths are read from storage instead.
import c from 'compact-encoding'
import { randomBytes } from 'node:crypto'

export const SNAPSHOT_KEY = 'kappa-ts/multifeed/feeds'
export const CLEAN_KEY = 'kappa-ts/multifeed/clean'
const SNAPSHOT_VERSION = 1
const ID_BYTES = 8
const LOCAL = 1
const NAMED = 2
const LENGTHS = 4

export interface SnapshotFeed {
  key: string
  /** 32 bytes (a view into the snapshot when decoded: no copy, no hex per feed). */
  discoveryKey: Uint8Array
  local: boolean
  name?: string
  /** Lengths at the time of the snapshot, when they were known. */
  lengths: { fork: number; length: number; contiguousLength: number } | null
}

export interface Snapshot {
  id: Buffer
  /** Records of the feed list this snapshot covers. */
  metaLength: number
  feeds: SnapshotFeed[]
}

export function newSnapshotId (): Buffer {
  return randomBytes(ID_BYTES)
}

export function encodeSnapshot (snap: Snapshot): Buffer {
  const state = c.state()
  c.uint.preencode(state, SNAPSHOT_VERSION)
  state.end += ID_BYTES
  c.uint.preencode(state, snap.metaLength)
  c.uint.preencode(state, snap.feeds.length)
  for (const f of snap.feeds) {
    state.end += 64 + 1
    if (f.name !== undefined) c.string.preencode(state, f.name)
    if (f.lengths !== null) {
      c.uint.preencode(state, f.lengths.fork)
      c.uint.preencode(state, f.lengths.length)
      c.uint.preencode(state, f.lengths.contiguousLength)
    }
  }
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, SNAPSHOT_VERSION)
  c.fixed(ID_BYTES).encode(state, snap.id)
  c.uint.encode(state, snap.metaLength)
  c.uint.encode(state, snap.feeds.length)
  for (const f of snap.feeds) {
    c.fixed32.encode(state, Buffer.from(f.key, 'hex'))
    c.fixed32.encode(state, f.discoveryKey)
    c.uint8.encode(state, (f.local ? LOCAL : 0) | (f.name !== undefined ? NAMED : 0) | (f.lengths !== null ? LENGTHS : 0))
    if (f.name !== undefined) c.string.encode(state, f.name)
    if (f.lengths !== null) {
      c.uint.encode(state, f.lengths.fork)
      c.uint.encode(state, f.lengths.length)
      c.uint.encode(state, f.lengths.contiguousLength)
    }
  }
  return state.buffer as Buffer
}

/** The snapshot, or null when there is none or it is unreadable (then the feed list is read from its log). */
export function decodeSnapshot (buf: Uint8Array | null | undefined): Snapshot | null {
  if (buf === null || buf === undefined || buf.byteLength === 0) return null
  try {
    const state = c.state(0, buf.byteLength, buf)
    if (c.uint.decode(state) !== SNAPSHOT_VERSION) return null
    const id = Buffer.from(c.fixed(ID_BYTES).decode(state))
    const metaLength = c.uint.decode(state)
    const count = c.uint.decode(state)
    // every feed takes at least 65 bytes: a count that cannot fit is corruption
    if (count * 65 > state.end - state.start) return null
    const feeds: SnapshotFeed[] = new Array(count)
    const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    for (let i = 0; i < count; i++) {
      // the key in hex straight from the buffer; the discovery key stays bytes (hexed only if a peer asks by it)
      if (state.start + 64 > state.end) return null
      const key = bytes.toString('hex', state.start, state.start + 32)
      const discoveryKey = bytes.subarray(state.start + 32, state.start + 64)
      state.start += 64
      const flags = c.uint8.decode(state)
      const f: SnapshotFeed = { key, discoveryKey, local: (flags & LOCAL) !== 0, lengths: null }
      if ((flags & NAMED) !== 0) f.name = c.string.decode(state)
      if ((flags & LENGTHS) !== 0) {
        const fork = c.uint.decode(state)
        const length = c.uint.decode(state)
        const contiguousLength = c.uint.decode(state)
        f.lengths = { fork, length, contiguousLength: Math.min(contiguousLength, length) }
      }
      feeds[i] = f
    }
    if (state.start !== state.end) return null
    return { id, metaLength, feeds }
  } catch {
    return null
  }
}
