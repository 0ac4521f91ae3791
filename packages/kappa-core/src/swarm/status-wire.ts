// The `kappa-swarm/status` channel, opened on every replication stream of a kappa (a
// Hyperswarm connection or a stream from kappa.replicate()). Three messages:
//
//  0 status   the feeds a peer has and how many blocks of each it can serve (its
//             contiguous length), sent once per connection, only after the multifeed
//             verified the remote knows the key, in chunks ending with a `last` flag. It
//             tells the receiver what "caught up" means right after connecting, before
//             hypercore's own per-feed channels have opened.
//  1 request  "what do you hold now?", with a request id that grows per connection.
//  2 reply    the same chunks as a status, tagged with the id of the newest request it
//             answers. This round trip is what kappa.synced() waits on: a length read from
//             hypercore's peer state may be older than an append the remote already made.
//
// Status chunk layout: u8 flags (bit 0 = last chunk), u16 count, then count x
// (32-byte feed key, u48 length, u8 feed flags: bit 0 = the sender writes this feed).
// Request: u32 id. Reply: u32 id, then a status chunk.
import { SwarmError } from './errors.js'

export const STATUS_PROTOCOL = 'kappa-swarm/status'
export const MAX_STATUS_ENTRIES = 1024
const ENTRY_BYTES = 32 + 6 + 1
const WRITABLE = 1

export interface StatusEntry {
  key: string
  length: number
  /** The sender can append to this feed: it is one of the sender's own logs. */
  writable: boolean
}
export interface StatusChunk { last: boolean; entries: StatusEntry[] }
export interface StatusReply extends StatusChunk { id: number }

export function encodeStatus (chunk: StatusChunk): Buffer {
  const n = chunk.entries.length
  if (n > MAX_STATUS_ENTRIES) throw new SwarmError('ERR_BAD_MESSAGE', 'status chunk too large')
  const buf = Buffer.alloc(3 + n * ENTRY_BYTES)
  buf[0] = chunk.last ? 1 : 0
  buf.writeUInt16BE(n, 1)
  let at = 3
  for (const { key, length, writable } of chunk.entries) {
    if (buf.write(key, at, 'hex') !== 32) throw new SwarmError('ERR_BAD_MESSAGE', 'feed key is not 32 bytes of hex')
    buf.writeUIntBE(length, at + 32, 6)
    buf[at + 38] = writable ? WRITABLE : 0
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
  const entries: StatusEntry[] = []
  for (let i = 0, at = 3; i < n; i++, at += ENTRY_BYTES) {
    const flags = b[at + 38] as number
    if (flags > WRITABLE) throw new SwarmError('ERR_BAD_MESSAGE', 'unknown feed flags')
    entries.push({ key: b.toString('hex', at, at + 32), length: b.readUIntBE(at + 32, 6), writable: flags === WRITABLE })
  }
  return { last: b[0] === 1, entries }
}

export function encodeRequest (id: number): Buffer {
  const buf = Buffer.alloc(4)
  buf.writeUInt32BE(id)
  return buf
}

export function decodeRequest (buf: Uint8Array): number {
  if (!(buf instanceof Uint8Array) || buf.byteLength !== 4) throw new SwarmError('ERR_BAD_MESSAGE', 'status request has the wrong size')
  return Buffer.from(buf.buffer, buf.byteOffset, 4).readUInt32BE(0)
}

export function encodeReply (reply: StatusReply): Buffer {
  return Buffer.concat([encodeRequest(reply.id), encodeStatus(reply)])
}

export function decodeReply (buf: Uint8Array): StatusReply {
  if (!(buf instanceof Uint8Array) || buf.byteLength < 4) throw new SwarmError('ERR_BAD_MESSAGE', 'status reply too short')
  const id = decodeRequest(buf.subarray(0, 4))
  return { id, ...decodeStatus(buf.subarray(4)) }
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
