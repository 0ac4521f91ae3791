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
const SNAPSHOT_VERSION = 2
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

// Layout (v2): uint version | 8-byte id | uint metaLength | uint count |
//   count x 32-byte key | count x 32-byte discovery key |
//   count x (uint8 flags | [string name] | [uint fork | uint length | uint contiguousLength])
// The keys come in one block so that reopening hexes them in one call (10,000 keys one by
// one took 11 ms). A snapshot of another version reads as none (the list is then read from
// the log, and the lengths from storage).
export function encodeSnapshot (snap: Snapshot): Buffer {
  const n = snap.feeds.length
  const state = c.state()
  c.uint.preencode(state, SNAPSHOT_VERSION)
  state.end += ID_BYTES
  c.uint.preencode(state, snap.metaLength)
  c.uint.preencode(state, n)
  state.end += 64 * n
  for (const f of snap.feeds) {
    state.end += 1
    if (f.name !== undefined) c.string.preencode(state, f.name)
    if (f.lengths !== null) {
      c.uint.preencode(state, f.lengths.fork)
      c.uint.preencode(state, f.lengths.length)
      c.uint.preencode(state, f.lengths.contiguousLength)
    }
  }
  const out = Buffer.allocUnsafe(state.end)
  state.buffer = out
  c.uint.encode(state, SNAPSHOT_VERSION)
  c.fixed(ID_BYTES).encode(state, snap.id)
  c.uint.encode(state, snap.metaLength)
  c.uint.encode(state, n)
  for (const f of snap.feeds) state.start += out.write(f.key, state.start, 'hex')
  for (const f of snap.feeds) {
    out.set(f.discoveryKey, state.start)
    state.start += 32
  }
  for (const f of snap.feeds) {
    c.uint8.encode(state, (f.local ? LOCAL : 0) | (f.name !== undefined ? NAMED : 0) | (f.lengths !== null ? LENGTHS : 0))
    if (f.name !== undefined) c.string.encode(state, f.name)
    if (f.lengths !== null) {
      c.uint.encode(state, f.lengths.fork)
      c.uint.encode(state, f.lengths.length)
      c.uint.encode(state, f.lengths.contiguousLength)
    }
  }
  return out
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
    const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    // every key in hex at once, then each a slice of that string
    const keys = bytes.toString('hex', state.start, state.start + 32 * count)
    const dks = state.start + 32 * count
    state.start += 64 * count
    const feeds: SnapshotFeed[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const flags = c.uint8.decode(state)
      const f: SnapshotFeed = {
        key: keys.slice(64 * i, 64 * i + 64),
        // a view, not a copy: hexed only if a peer asks for the feed by it
        discoveryKey: bytes.subarray(dks + 32 * i, dks + 32 * i + 32),
        local: (flags & LOCAL) !== 0,
        lengths: null
      }
      if ((flags & NAMED) !== 0) {
        const bytesLength = c.uint.decode(state)
        if (state.start + bytesLength > state.end) return null
        f.name = bytes.toString('utf8', state.start, state.start + bytesLength)
        state.start += bytesLength
      }
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
