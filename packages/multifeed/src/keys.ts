// Feed and multifeed keys travel as 32-byte buffers on the wire and as lowercase
// hex everywhere in the API; these helpers convert and validate both forms.
import { createHash } from 'node:crypto'
import { MultifeedError } from './errors.js'

export const KEY_BYTES = 32
const HEX_KEY = /^[0-9a-fA-F]{64}$/

/** Parses a 32-byte key or 64 hex chars; returns null when it is neither. */
export function parseKey (key: unknown): Buffer | null {
  if (typeof key === 'string') return HEX_KEY.test(key) ? Buffer.from(key, 'hex') : null
  if (key instanceof Uint8Array && key.byteLength === KEY_BYTES) return Buffer.from(key)
  return null
}

export function requireKey (key: unknown, what: string): Buffer {
  const parsed = parseKey(key)
  if (parsed === null) throw new MultifeedError('ERR_BAD_KEY', `${what} must be 32 bytes or 64 hex characters`)
  return parsed
}

export function toHex (key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
}

/**
 * The key every feed's blocks are encrypted with: derived from the multifeed key (and
 * a domain tag, so it is never the key itself). Hypercore derives a key per feed from
 * it and the feed's key (lib/default-encryption.js).
 */
export function blockEncryptionKey (multifeedKey: Buffer): Buffer {
  return createHash('sha256').update('kappa-ts/multifeed/block-encryption/v1').update(multifeedKey).digest()
}
