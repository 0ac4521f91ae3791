// The multifeed meta protocol: one Protomux channel on the replication stream.
//
//   channel open (handshake)  uint version | 32-byte proof | uint maxFeedsPerMessage
//   message 0 `feeds`         uint count   | count x 32-byte feed key
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
// 2: feeds carry packed blocks (block-format.ts); a v1 peer would misread them
export const PROTOCOL_VERSION = 2
export const PROOF_BYTES = 32
/** Largest handshake a v1 peer may send (version + proof + limit, with slack for varints). */
export const MAX_HANDSHAKE_BYTES = 64
const MAX_UINT_BYTES = 9

const PROOF_DOMAIN = Buffer.from('kappa-ts/multifeed/proof/v1')
const ROLE_INITIATOR = Buffer.from('initiator')
const ROLE_RESPONDER = Buffer.from('responder')

export interface Handshake { version: number; proof: Buffer; maxFeedsPerMessage: number }

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
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, h.version)
  c.fixed32.encode(state, h.proof)
  c.uint.encode(state, h.maxFeedsPerMessage)
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
  if (state.start !== state.end) throw new MultifeedError('ERR_BAD_MESSAGE', 'handshake has trailing bytes')
  if (maxFeedsPerMessage < 1) throw new MultifeedError('ERR_BAD_MESSAGE', 'handshake maxFeedsPerMessage must be >= 1')
  return { version, proof, maxFeedsPerMessage }
}

export function encodeFeeds (keys: Uint8Array[]): Buffer {
  const state = c.state()
  c.uint.preencode(state, keys.length)
  state.end += keys.length * KEY_BYTES
  state.buffer = Buffer.allocUnsafe(state.end)
  c.uint.encode(state, keys.length)
  for (const k of keys) c.fixed32.encode(state, k)
  return state.buffer as Buffer
}

/** Largest `feeds` message a receiver accepting `maxFeeds` keys per message will look at. */
export function maxFeedsMessageBytes (maxFeeds: number): number {
  return MAX_UINT_BYTES + maxFeeds * KEY_BYTES
}

/** Decodes a `feeds` message into distinct hex keys, enforcing the per-message bound first. */
export function decodeFeeds (buf: Uint8Array, maxFeeds: number): string[] {
  if (buf.byteLength > maxFeedsMessageBytes(maxFeeds)) {
    throw new MultifeedError('ERR_TOO_MANY_FEEDS', `feeds message of ${buf.byteLength} bytes exceeds the bound for ${maxFeeds} keys`)
  }
  const state = c.state(0, buf.byteLength, buf)
  const count = decodeOr(() => c.uint.decode(state), 'feeds message has no count')
  if (count > maxFeeds) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `feeds message lists ${count} keys, limit is ${maxFeeds}`)
  if (count === 0) throw new MultifeedError('ERR_BAD_MESSAGE', 'feeds message lists no keys')
  if (state.end - state.start !== count * KEY_BYTES) {
    throw new MultifeedError('ERR_BAD_MESSAGE', `feeds message announces ${count} keys but carries ${state.end - state.start} bytes`)
  }
  const keys = new Set<string>()
  for (let i = 0; i < count; i++) keys.add(toHex(c.fixed32.decode(state)))
  return [...keys]
}

function decodeOr<T> (fn: () => T, message: string): T {
  try {
    return fn()
  } catch {
    throw new MultifeedError('ERR_BAD_MESSAGE', message)
  }
}
