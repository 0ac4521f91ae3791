// The multifeed meta protocol: one Protomux channel on the replication stream.
//
//   channel open (handshake)  uint version | 32-byte proof | uint maxFeedsPerMessage |
//                             [u8 1: the sender asks for and answers small feeds in bulk (bulk-proof.ts)]
//   message 0 `feeds`         uint count | count x (32-byte feed key | uint fork | uint length |
//                             uint contiguousLength | u8 flags (bit 0: the sender writes this feed))
//   message 1 `digest`        uint feeds | 32-byte bitmap of non-empty buckets | 8 bytes per
//                             non-empty bucket (see digest.ts)
//   message 2 `end`           one 0 byte: the sender has sent what it has that our digest lacked
//   messages 3 `want-bulk` and 4 `bulk`: see bulk-proof.ts
//
// Payloads travel as raw bytes and are decoded here, so that every malformed
// input becomes a MultifeedError with a clear code instead of a bare throw
// inside Protomux. The version is read first: a future version may change
// everything after it and still get a clear ERR_PROTOCOL_VERSION.
import c from 'compact-encoding'
import sodium from 'sodium-universal'
import { timingSafeEqual } from 'node:crypto'
import { MultifeedError } from './errors.js'
import { KEY_BYTES, toHex } from './keys.js'

export const PROTOCOL = 'kappa-ts/multifeed'
// 2: feeds carry packed blocks (block-format.ts); a v1 peer would misread them.
// 3: feed lists carry lengths and are reconciled by digest (peer.ts); feeds are opened lazily.
// 4: small feeds travel whole as hypercore proofs on the multifeed channel (bulk-proof.ts).
export const PROTOCOL_VERSION = 4
export const PROOF_BYTES = 32
/** Largest handshake a v1 peer may send (version + proof + limit, with slack for varints). */
export const MAX_HANDSHAKE_BYTES = 64
const MAX_UINT_BYTES = 9

const PROOF_DOMAIN = Buffer.from('kappa-ts/multifeed/proof/v1')
const ROLE_INITIATOR = Buffer.from('initiator')
const ROLE_RESPONDER = Buffer.from('responder')

export interface Handshake {
  version: number
  proof: Buffer
  maxFeedsPerMessage: number
  /** The sender takes part in the bulk path (asks for, and answers asks for, small feeds as proofs). */
  bulk?: boolean
}

/**
 * Proves knowledge of the multifeed key for THIS connection: a BLAKE2b MAC keyed
 * with the multifeed key over the Noise handshake hash (unique per connection,
 * known to both ends), tagged with the sender's role so a peer cannot reflect
 * our own proof back at us.
 */
export function createProof (multifeedKey: Uint8Array, handshakeHash: Uint8Array, senderIsInitiator: boolean): Buffer {
  const out = Buffer.alloc(PROOF_BYTES)
  const role = senderIsInitiator ? ROLE_INITIATOR : ROLE_RESPONDER
  sodium.crypto_generichash_batch(out, [PROOF_DOMAIN, role, handshakeHash], multifeedKey)
  return out
}

export function verifyProof (proof: Uint8Array, multifeedKey: Uint8Array, handshakeHash: Uint8Array, senderIsInitiator: boolean): boolean {
  const expected = createProof(multifeedKey, handshakeHash, senderIsInitiator)
  return proof.byteLength === expected.byteLength && timingSafeEqual(proof, expected)
}

export function encodeHandshake (h: Handshake): Buffer {
  const state = c.state()
  c.uint.preencode(state, h.version)
  c.fixed32.preencode(state, h.proof)
  c.uint.preencode(state, h.maxFeedsPerMessage)
  if (h.bulk === true) state.end++
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, h.version)
  c.fixed32.encode(state, h.proof)
  c.uint.encode(state, h.maxFeedsPerMessage)
  if (h.bulk === true) c.uint8.encode(state, 1)
  return state.buffer as Buffer
}

export function decodeHandshake (buf: Uint8Array): Handshake {
  if (buf.byteLength > MAX_HANDSHAKE_BYTES) {
    throw new MultifeedError('ERR_BAD_MESSAGE', `handshake of ${buf.byteLength} bytes exceeds ${MAX_HANDSHAKE_BYTES}`)
  }
  const state = c.state(0, buf.byteLength, buf)
  const version = decodeOr(() => c.uint.decode(state), 'handshake has no version')
  if (version !== PROTOCOL_VERSION) {
    throw new MultifeedError('ERR_PROTOCOL_VERSION', `peer speaks multifeed protocol v${version}, we speak v${PROTOCOL_VERSION}`)
  }
  const proof = decodeOr(() => Buffer.from(c.fixed32.decode(state)), 'handshake proof is truncated')
  const maxFeedsPerMessage = decodeOr(() => c.uint.decode(state), 'handshake limit is truncated')
  let bulk = false
  if (state.start < state.end) {
    const flag = c.uint8.decode(state)
    if (flag !== 1) throw new MultifeedError('ERR_BAD_MESSAGE', 'handshake bulk flag must be 1 or absent')
    bulk = true
  }
  if (state.start !== state.end) throw new MultifeedError('ERR_BAD_MESSAGE', 'handshake has trailing bytes')
  if (maxFeedsPerMessage < 1) throw new MultifeedError('ERR_BAD_MESSAGE', 'handshake maxFeedsPerMessage must be >= 1')
  return { version, proof, maxFeedsPerMessage, bulk }
}

/** What one side says of one feed: its state there. */
export interface FeedState {
  key: string
  fork: number
  length: number
  contiguousLength: number
  /** The sender writes this feed (one of its own logs). */
  writable: boolean
}

const WRITABLE = 1
/** Largest encoding of one entry: key, three uints, flags. */
const MAX_ENTRY_BYTES = KEY_BYTES + 3 * MAX_UINT_BYTES + 1

export function encodeFeeds (entries: readonly FeedState[]): Buffer {
  const state = c.state()
  c.uint.preencode(state, entries.length)
  for (const e of entries) {
    state.end += KEY_BYTES + 1
    c.uint.preencode(state, e.fork)
    c.uint.preencode(state, e.length)
    c.uint.preencode(state, e.contiguousLength)
  }
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, entries.length)
  for (const e of entries) {
    c.fixed32.encode(state, Buffer.from(e.key, 'hex'))
    c.uint.encode(state, e.fork)
    c.uint.encode(state, e.length)
    c.uint.encode(state, e.contiguousLength)
    c.uint8.encode(state, e.writable ? WRITABLE : 0)
  }
  return state.buffer as Buffer
}

/** Largest `feeds` message a receiver accepting `maxFeeds` entries per message will look at. */
export function maxFeedsMessageBytes (maxFeeds: number): number {
  return MAX_UINT_BYTES + maxFeeds * MAX_ENTRY_BYTES
}

/** Decodes a `feeds` message, enforcing the per-message bound first. A key listed twice keeps its last entry. */
export function decodeFeeds (buf: Uint8Array, maxFeeds: number): FeedState[] {
  if (buf.byteLength > maxFeedsMessageBytes(maxFeeds)) {
    throw new MultifeedError('ERR_TOO_MANY_FEEDS', `feeds message of ${buf.byteLength} bytes exceeds the bound for ${maxFeeds} feeds`)
  }
  const state = c.state(0, buf.byteLength, buf)
  const count = decodeOr(() => c.uint.decode(state), 'feeds message has no count')
  if (count > maxFeeds) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `feeds message lists ${count} feeds, limit is ${maxFeeds}`)
  if (count === 0) throw new MultifeedError('ERR_BAD_MESSAGE', 'feeds message lists no feeds')
  const out = new Map<string, FeedState>()
  for (let i = 0; i < count; i++) {
    const entry = decodeOr(() => {
      const key = toHex(c.fixed32.decode(state))
      const fork = c.uint.decode(state)
      const length = c.uint.decode(state)
      const contiguousLength = c.uint.decode(state)
      const flags = c.uint8.decode(state)
      return { key, fork, length, contiguousLength, flags }
    }, `feeds message entry ${i} is truncated`)
    if (entry.flags > WRITABLE) throw new MultifeedError('ERR_BAD_MESSAGE', `feeds message entry ${i} has unknown flags`)
    if (!Number.isSafeInteger(entry.length) || !Number.isSafeInteger(entry.fork) || entry.contiguousLength > entry.length) {
      throw new MultifeedError('ERR_BAD_MESSAGE', `feeds message entry ${i} has impossible lengths`)
    }
    out.set(entry.key, { key: entry.key, fork: entry.fork, length: entry.length, contiguousLength: entry.contiguousLength, writable: entry.flags === WRITABLE })
  }
  if (state.start !== state.end) throw new MultifeedError('ERR_BAD_MESSAGE', 'feeds message has trailing bytes')
  return [...out.values()]
}

/** The `end` message: one zero byte. */
export const END_MESSAGE = Buffer.from([0])

export function checkEnd (buf: Uint8Array): void {
  if (buf.byteLength !== 1 || buf[0] !== 0) throw new MultifeedError('ERR_BAD_MESSAGE', 'end message is malformed')
}

function decodeOr<T> (fn: () => T, message: string): T {
  try {
    return fn()
  } catch {
    throw new MultifeedError('ERR_BAD_MESSAGE', message)
  }
}
