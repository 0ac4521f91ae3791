// The `kappa-swarm/status` message: the feeds a peer has and how many entries
// of each it can serve (its contiguous length). Sent once per connection, only
// after the multifeed verified the remote knows the key, in chunks ending with
// a `last` flag. It tells the receiver what "caught up" means right after
// connecting, before hypercore's own per-feed channels have opened.
//
// Layout: u8 flags (bit 0 = last chunk), u16 count, then count x (32-byte feed key, u48 length).
import { SwarmError } from './errors.js'

export const STATUS_PROTOCOL = 'kappa-swarm/status'
export const MAX_STATUS_ENTRIES = 1024
const ENTRY_BYTES = 32 + 6

export interface StatusChunk { last: boolean; entries: Array<{ key: string; length: number }> }

export function encodeStatus (chunk: StatusChunk): Buffer {
  const n = chunk.entries.length
  if (n > MAX_STATUS_ENTRIES) throw new SwarmError('ERR_BAD_MESSAGE', 'status chunk too large')
  const buf = Buffer.alloc(3 + n * ENTRY_BYTES)
  buf[0] = chunk.last ? 1 : 0
  buf.writeUInt16BE(n, 1)
  let at = 3
  for (const { key, length } of chunk.entries) {
    if (buf.write(key, at, 'hex') !== 32) throw new SwarmError('ERR_BAD_MESSAGE', 'feed key is not 32 bytes of hex')
    buf.writeUIntBE(length, at + 32, 6)
    at += ENTRY_BYTES
  }
  return buf
}

/** Throws SwarmError ERR_BAD_MESSAGE on anything malformed (the sender is dropped). */
export function decodeStatus (buf: Uint8Array): StatusChunk {
  if (!(buf instanceof Uint8Array) || buf.byteLength < 3) throw new SwarmError('ERR_BAD_MESSAGE', 'status message too short')
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if ((b[0] as number) > 1) throw new SwarmError('ERR_BAD_MESSAGE', 'unknown status flags')
  const n = b.readUInt16BE(1)
  if (n > MAX_STATUS_ENTRIES) throw new SwarmError('ERR_BAD_MESSAGE', `status message lists ${n} feeds (max ${MAX_STATUS_ENTRIES})`)
  if (b.byteLength !== 3 + n * ENTRY_BYTES) throw new SwarmError('ERR_BAD_MESSAGE', 'status message has the wrong size')
  const entries: StatusChunk['entries'] = []
  for (let i = 0, at = 3; i < n; i++, at += ENTRY_BYTES) {
    entries.push({ key: b.toString('hex', at, at + 32), length: b.readUIntBE(at + 32, 6) })
  }
  return { last: b[0] === 1, entries }
}

/** A raw-bytes protomux encoding (the message is already a Buffer). */
export const rawEncoding = {
  preencode (state: { end: number }, buf: Uint8Array): void { state.end += buf.byteLength },
  encode (state: { start: number; buffer: Uint8Array }, buf: Uint8Array): void {
    state.buffer.set(buf, state.start)
    state.start += buf.byteLength
  },
  decode (state: { start: number; end: number; buffer: Uint8Array }): Uint8Array {
    const buf = state.buffer.subarray(state.start, state.end)
    state.start = state.end
    return buf
  }
}
