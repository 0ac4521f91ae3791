// Bulk transfer of small feeds as hypercore proofs on the multifeed's own channel
// (PROTOCOL_VERSION 4). A feed of at most BULK_MAX_BLOCKS blocks travels as one proof
// per block, each the signed upgrade from length 0 with that block; the first also
// carries the manifest.
// The receiver checks the proofs' shape and that the manifest hashes to the feed key
// before anything is created (checkBulkProofs), then creates the core and applies the
// proofs, which hypercore verifies; a core made for a proof that fails is deleted. Blocks travel as
// stored, i.e. encrypted with the multifeed's block key.
//
//   message 3 `want-bulk`  uint count | count x 32-byte feed key
//   message 4 `bulk`       uint count | count x (32-byte key | uint proofs | proofs x (uint bytes | bytes))
//                          (0 proofs: the sender will not send this feed in bulk; fetch it the usual way)
import c from 'compact-encoding'
import Hypercore from 'hypercore'
// hypercore's own proof codec and manifest check (no public export; pinned hypercore@11.37.1)
import messages from 'hypercore/lib/messages.js'
import Verifier from 'hypercore/lib/verifier.js'
import { MultifeedError } from './errors.js'
import { KEY_BYTES, toHex } from './keys.js'

/** Feeds of at most this many blocks (all held, fork 0) go in bulk. */
export const BULK_MAX_BLOCKS = 4
/** A feed that goes in bulk at these lengths: small, whole, never truncated. */
export function bulkSized (l: { fork: number; length: number; contiguousLength: number }): boolean {
  return l.fork === 0 && l.length > 0 && l.length <= BULK_MAX_BLOCKS && l.contiguousLength === l.length
}

/** Largest `bulk` message (a sender stops adding feeds below it). */
export const BULK_MAX_MESSAGE_BYTES = 1024 * 1024

export interface Proof {
  fork: number
  block: { index: number; value: Buffer; nodes: unknown[] } | null
  upgrade: { start: number; length: number; nodes: unknown[]; additionalNodes: unknown[]; signature: Buffer } | null
  manifest: unknown
}

export interface FeedProofs { key: string; proofs: Proof[] }
/** A feed's proofs as they go on the wire (encodeProofs), e.g. from the bulk proof cache. */
export interface EncodedFeedProofs { key: string; encoded: readonly Buffer[] }

type Feed = Hypercore<unknown>

/** The proofs of a whole small feed, or null if it does not qualify. */
export async function feedProofs (feed: Feed): Promise<Proof[] | null> {
  const length = feed.length
  if (!bulkSized(feed)) return null
  const core = feed as unknown as { proof(opts: unknown): Promise<Proof>; core: { header: { manifest: unknown } } }
  const out: Proof[] = []
  for (let i = 0; i < length; i++) {
    // each proof stands alone (an upgrade from 0 with its block): the receiver holds no tree nodes yet
    const p = await core.proof({ block: { index: i, nodes: 0 }, upgrade: { start: 0, length } })
    // A live writer may append while we await. A proof made after that carries the tree up
    // to the new signed length, which need not fit over the proofs made before it (hypercore's
    // applyProof then fails, and the receiver would blame us). Such a feed goes the usual way.
    if (feed.length !== length || feed.fork !== 0) return null
    if (i === 0) p.manifest = core.core.header.manifest
    out.push(p)
  }
  return out
}

export function encodeWantBulk (keys: readonly string[]): Buffer {
  const state = c.state()
  c.uint.preencode(state, keys.length)
  state.end += keys.length * KEY_BYTES
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, keys.length)
  for (const k of keys) c.fixed32.encode(state, Buffer.from(k, 'hex'))
  return state.buffer as Buffer
}

export function decodeWantBulk (buf: Uint8Array, max: number): string[] {
  const state = c.state(0, buf.byteLength, buf)
  const count = decodeOr(() => c.uint.decode(state), 'want-bulk has no count')
  if (count < 1 || count > max) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `want-bulk asks for ${count} feeds, limit is ${max}`)
  const keys: string[] = []
  for (let i = 0; i < count; i++) keys.push(decodeOr(() => toHex(c.fixed32.decode(state)), 'want-bulk is truncated'))
  if (state.start !== state.end) throw new MultifeedError('ERR_BAD_MESSAGE', 'want-bulk has trailing bytes')
  return keys
}

/** Each proof as it goes on the wire: hypercore's `data` message, request 0. */
export function encodeProofs (proofs: readonly Proof[]): Buffer[] {
  return proofs.map((p) => c.encode(messages.wire.data, { request: 0, ...p }) as Buffer)
}

/** Encodes feeds until the message bound; returns the message and how many feeds it holds. */
export function encodeBulk (feeds: ReadonlyArray<FeedProofs | EncodedFeedProofs>): { message: Buffer; count: number } {
  const parts: Buffer[] = []
  let bytes = 9
  let count = 0
  for (const f of feeds) {
    const encoded = 'encoded' in f ? f.encoded : encodeProofs(f.proofs)
    const state = c.state()
    c.fixed32.preencode(state, Buffer.alloc(KEY_BYTES))
    c.uint.preencode(state, encoded.length)
    for (const e of encoded) c.buffer.preencode(state, e)
    if (count > 0 && bytes + state.end > BULK_MAX_MESSAGE_BYTES) break
    state.buffer = Buffer.allocUnsafe(state.end)
    c.fixed32.encode(state, Buffer.from(f.key, 'hex'))
    c.uint.encode(state, encoded.length)
    for (const e of encoded) c.buffer.encode(state, e)
    parts.push(state.buffer as Buffer)
    bytes += state.end
    count++
  }
  const head = c.encode(c.uint, count) as Buffer
  return { message: Buffer.concat([head, ...parts]), count }
}

export function decodeBulk (buf: Uint8Array, max: number): FeedProofs[] {
  if (buf.byteLength > BULK_MAX_MESSAGE_BYTES + 64 * 1024) throw new MultifeedError('ERR_BAD_MESSAGE', `bulk message of ${buf.byteLength} bytes is over the bound`)
  const state = c.state(0, buf.byteLength, buf)
  const count = decodeOr(() => c.uint.decode(state), 'bulk has no count')
  if (count < 1 || count > max) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `bulk message holds ${count} feeds, limit is ${max}`)
  const out: FeedProofs[] = []
  for (let i = 0; i < count; i++) {
    const key = decodeOr(() => toHex(c.fixed32.decode(state)), `bulk feed ${i} is truncated`)
    const n = decodeOr(() => c.uint.decode(state), `bulk feed ${i} is truncated`)
    if (n > BULK_MAX_BLOCKS) throw new MultifeedError('ERR_BAD_MESSAGE', `bulk feed ${i} carries ${n} proofs, limit is ${BULK_MAX_BLOCKS}`)
    const proofs: Proof[] = []
    for (let j = 0; j < n; j++) {
      const raw = decodeOr(() => c.buffer.decode(state) as Buffer, `bulk feed ${i} proof ${j} is truncated`)
      proofs.push(decodeOr(() => c.decode(messages.wire.data, raw) as Proof, `bulk feed ${i} proof ${j} is malformed`))
    }
    out.push({ key, proofs })
  }
  if (state.start !== state.end) throw new MultifeedError('ERR_BAD_MESSAGE', 'bulk has trailing bytes')
  return out
}

/**
 * Checks, with no core created, that a feed's proofs are what a bulk answer holds (an
 * upgrade from 0 to the same length per block, blocks in order) and that the first
 * carries the manifest whose hash is `key`: what the peer claims is bound to the key.
 * The signature and the blocks are checked by hypercore's applyProof (Multifeed._applyBulk),
 * once; checking it here too doubled the signature checks, 7% of a fresh peer's time
 * at 10,000 feeds. Throws ERR_BAD_PROOF.
 */
export function checkBulkProofs (key: string, proofs: readonly Proof[]): number {
  const first = proofs[0]
  const bad = (why: string): MultifeedError => new MultifeedError('ERR_BAD_PROOF', `bulk proof of feed ${key}: ${why}`)
  if (first === undefined) throw bad('no proof')
  if (first.fork !== 0 || first.upgrade === null || first.upgrade.start !== 0 || first.block === null || first.block.index !== 0) throw bad('not an upgrade from 0 with block 0')
  const length = first.upgrade.length
  if (length < 1 || length > BULK_MAX_BLOCKS || proofs.length !== length) throw bad(`${proofs.length} proofs for length ${length}`)
  for (let i = 1; i < proofs.length; i++) {
    const p = proofs[i] as Proof
    if (p.fork !== 0 || p.upgrade === null || p.upgrade.start !== 0 || p.upgrade.length !== length || p.block === null || p.block.index !== i) {
      throw bad(`proof ${i} is not an upgrade to ${length} with block ${i}`)
    }
  }
  let manifest: unknown
  try {
    manifest = Verifier.createManifest(first.manifest)
  } catch {
    throw bad('malformed manifest')
  }
  if (manifest === null || !Verifier.isValidManifest(Buffer.from(key, 'hex'), manifest)) throw bad('manifest does not hash to the key')
  return length
}

// ---- the bulk proof cache's value (bulk-cache.ts) -------------------------
//
//   uint version | uint fork | uint length | uint count | count x (uint bytes | bytes)
//
// The proofs are kept exactly as encodeProofs() put them on the wire, with the (fork,
// length) they prove: a cached answer is served only while the feed is at that fork and
// length, and then it is byte for byte what feedProofs() would make.

const CACHE_VERSION = 1

export interface CachedProofs { fork: number; length: number; encoded: Buffer[] }

export function encodeCachedProofs (entry: CachedProofs): Buffer {
  const state = c.state()
  c.uint.preencode(state, CACHE_VERSION)
  c.uint.preencode(state, entry.fork)
  c.uint.preencode(state, entry.length)
  c.uint.preencode(state, entry.encoded.length)
  for (const e of entry.encoded) c.buffer.preencode(state, e)
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, CACHE_VERSION)
  c.uint.encode(state, entry.fork)
  c.uint.encode(state, entry.length)
  c.uint.encode(state, entry.encoded.length)
  for (const e of entry.encoded) c.buffer.encode(state, e)
  return state.buffer as Buffer
}

/** A cached entry, or null if there is none or it is not one this version wrote whole (then it is a miss). */
export function decodeCachedProofs (buf: Uint8Array | null | undefined): CachedProofs | null {
  if (buf === null || buf === undefined || buf.byteLength === 0) return null
  try {
    const state = c.state(0, buf.byteLength, buf)
    if (c.uint.decode(state) !== CACHE_VERSION) return null
    const fork = c.uint.decode(state)
    const length = c.uint.decode(state)
    const count = c.uint.decode(state)
    if (fork !== 0 || length < 1 || length > BULK_MAX_BLOCKS || count !== length) return null
    const encoded: Buffer[] = []
    for (let i = 0; i < count; i++) {
      const e = c.buffer.decode(state) as Buffer | null
      if (e === null || e.byteLength === 0) return null
      encoded.push(e)
    }
    if (state.start !== state.end) return null
    return { fork, length, encoded }
  } catch {
    return null
  }
}

function decodeOr<T> (fn: () => T, message: string): T {
  try {
    return fn()
  } catch {
    throw new MultifeedError('ERR_BAD_MESSAGE', message)
  }
}
