// Bulk transfer of small feeds as hypercore proofs on the multifeed's own channel
// (PROTOCOL_VERSION 4). A feed of at most BULK_MAX_BLOCKS blocks travels as one proof
// per block, each the signed upgrade from length 0 with that block; the first also
// carries the manifest.
// The receiver checks that proof against the feed key before anything is created
// (verifyFirstProof), then creates the core and applies the proofs. Blocks travel as
// stored, i.e. encrypted with the multifeed's block key.
//
//   message 3 `want-bulk`  uint count | count x 32-byte feed key
//   message 4 `bulk`       uint count | count x (32-byte key | uint proofs | proofs x (uint bytes | bytes))
//                          (0 proofs: the sender will not send this feed in bulk; fetch it the usual way)
import c from 'compact-encoding'
import Hypercore from 'hypercore'
// hypercore's own proof codec, tree and verifier (no public export; pinned hypercore@11.37.1)
import messages from 'hypercore/lib/messages.js'
import merkle from 'hypercore/lib/merkle-tree.js'
import Verifier from 'hypercore/lib/verifier.js'
import { MultifeedError } from './errors.js'
import { KEY_BYTES, toHex } from './keys.js'

/** Feeds of at most this many blocks (all held, fork 0) go in bulk. */
export const BULK_MAX_BLOCKS = 4
/** Largest `bulk` message (a sender stops adding feeds below it). */
export const BULK_MAX_MESSAGE_BYTES = 1024 * 1024

export interface Proof {
  fork: number
  block: { index: number; value: Buffer; nodes: unknown[] } | null
  upgrade: { start: number; length: number; nodes: unknown[]; additionalNodes: unknown[]; signature: Buffer } | null
  manifest: unknown
}

export interface FeedProofs { key: string; proofs: Proof[] }

type Feed = Hypercore<unknown>

/** The proofs of a whole small feed, or null if it does not qualify. */
export async function feedProofs (feed: Feed): Promise<Proof[] | null> {
  const length = feed.length
  if (length === 0 || length > BULK_MAX_BLOCKS || feed.contiguousLength !== length || feed.fork !== 0) return null
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

/** Encodes feeds until the message bound; returns the message and how many feeds it holds. */
export function encodeBulk (feeds: readonly FeedProofs[]): { message: Buffer; count: number } {
  const parts: Buffer[] = []
  let bytes = 9
  let count = 0
  for (const f of feeds) {
    const encoded = f.proofs.map((p) => c.encode(messages.wire.data, { request: 0, ...p }) as Buffer)
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
 * Checks, with no core created, that a feed's first proof is a signed upgrade of
 * `key` from length 0 to `length` with block 0: the manifest hashes to the key and
 * its signer signed the tree the proof's nodes and block make. Throws ERR_BAD_PROOF.
 */
export function verifyFirstProof (key: string, proofs: readonly Proof[]): number {
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
  const keyBuf = Buffer.from(key, 'hex')
  let manifest: unknown
  try {
    manifest = Verifier.createManifest(first.manifest)
  } catch {
    throw bad('malformed manifest')
  }
  if (manifest === null || !Verifier.isValidManifest(keyBuf, manifest)) throw bad('manifest does not hash to the key')
  let ok = false
  try {
    const session = { fork: 0, roots: [], length: 0, signature: null, byteLength: 0, prologue: (manifest as { prologue: unknown }).prologue, storage: null }
    const batch = merkle.MerkleTree.verifyFullyRemote(session, first)
    ok = batch.length === length && new Verifier(keyBuf, manifest).verify(batch, batch.signature)
  } catch {
    ok = false
  }
  if (!ok) throw bad('signature does not verify')
  return length
}

function decodeOr<T> (fn: () => T, message: string): T {
  try {
    return fn()
  } catch {
    throw new MultifeedError('ERR_BAD_MESSAGE', message)
  }
}
