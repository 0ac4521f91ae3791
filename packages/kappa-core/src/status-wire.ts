// The `kappa-swarm/status` channel, opened on every replication stream of a kappa (a
// Hyperswarm connection or a stream from kappa.replicate()). Two messages:
//
//  0 request  "what do you hold now?", with a u32 id that grows per connection.
//  1 reply    the u32 id of the newest request it answers. Before replying, the sender
//             flushes its multifeed's pending feed states on the same stream, so
//             everything it held when the request arrived reached us before the reply.
//
// What a peer holds travels on the multifeed's own channel (@kappa-ts/multifeed: a
// digest on connecting, the feeds that differ, then each change once), so this
// channel carries no feed list at all: a round trip costs 10 bytes whatever the
// number of feeds. kappa.synced() waits on it: a length read from hypercore's peer
// state may be older than an append the remote already made.
import { KappaError } from './errors.js'

// The name predates @kappa-ts/swarm (the channel runs on every stream): kept, it is on the wire.
export const STATUS_PROTOCOL = 'kappa-swarm/status'
const ID_BYTES = 4

export function encodeRequest (id: number): Buffer {
  const buf = Buffer.alloc(ID_BYTES)
  buf.writeUInt32BE(id)
  return buf
}

/** Throws KappaError ERR_BAD_MESSAGE on anything malformed (the sender is dropped). */
export function decodeRequest (buf: Uint8Array): number {
  if (!(buf instanceof Uint8Array) || buf.byteLength !== ID_BYTES) throw new KappaError('ERR_BAD_MESSAGE', 'status request has the wrong size')
  return Buffer.from(buf.buffer, buf.byteOffset, ID_BYTES).readUInt32BE(0)
}

export function encodeReply (id: number): Buffer {
  return encodeRequest(id)
}

export function decodeReply (buf: Uint8Array): number {
  if (!(buf instanceof Uint8Array) || buf.byteLength !== ID_BYTES) throw new KappaError('ERR_BAD_MESSAGE', 'status reply has the wrong size')
  return decodeRequest(buf)
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
