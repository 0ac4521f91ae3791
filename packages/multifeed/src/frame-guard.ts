// Bounds what a peer that has not proved the multifeed key can make us allocate.
//
// @hyperswarm/secret-stream frames everything as a 3-byte little-endian length
// followed by the body, and on the first body byte of a frame that did not come
// whole it allocates a buffer of the announced length: up to 16 MB, before the
// Noise handshake is even complete. 300 connections each sending a 16 MB header
// and one byte made a process reserve 4.8 GB. Until a peer proves the key,
// nothing it legitimately sends is large (Noise messages are under 200 bytes,
// then channel opens and our own 64-byte handshake), so a frame announced
// larger than the limit drops the connection before secret-stream sees its body.
//
// The guard reads the same bytes as secret-stream, from the raw side of the
// Noise stream, in a 'data' listener placed before secret-stream's own: it only
// follows the frame lengths (no copy, no allocation) and is removed once the
// peer proved the key, so verified traffic pays nothing.
import type { EventEmitter } from 'node:events'

const HEADER_BYTES = 3

/** The raw (encrypted) side of a secret-stream, where incoming bytes arrive first. */
function rawSideOf (noise: object): EventEmitter | null {
  // `_rawStream` is the transport (a UDX socket) or, for a stream created
  // without one, the inner half of secret-stream's in-memory bridge.
  const raw = (noise as { _rawStream?: unknown })._rawStream
  if (raw !== null && typeof raw === 'object' && typeof (raw as EventEmitter).prependListener === 'function') {
    return raw as EventEmitter
  }
  return null
}

/**
 * Calls `onTooLarge(length)` (once) when the peer announces a frame longer than
 * `maxFrame` bytes, synchronously and before secret-stream handles those bytes:
 * destroying the Noise stream in the callback keeps it from allocating the frame.
 * Returns a function that removes the guard. Without a raw side to watch (a
 * secret-stream that changed its internals) it guards nothing; the tests say so.
 */
export function guardFrames (noise: object, maxFrame: number, onTooLarge: (length: number) => void): () => void {
  const raw = rawSideOf(noise)
  if (raw === null) return () => {}
  let headerRead = 0
  let length = 0
  let bodyLeft = 0
  let removed = false
  const remove = (): void => {
    if (removed) return
    removed = true
    raw.removeListener('data', ondata)
  }
  function ondata (data: Uint8Array): void {
    let offset = 0
    while (offset < data.byteLength && !removed) { // eslint-disable-line no-unmodified-loop-condition -- remove(), called inside the loop, sets it
      if (bodyLeft > 0) {
        const take = Math.min(bodyLeft, data.byteLength - offset)
        offset += take
        bodyLeft -= take
        continue
      }
      length += (data[offset++] as number) * 2 ** (8 * headerRead)
      if (++headerRead < HEADER_BYTES) continue
      const announced = length
      headerRead = 0
      length = 0
      if (announced > maxFrame) {
        remove()
        onTooLarge(announced)
        return
      }
      bodyLeft = announced
    }
  }
  raw.prependListener('data', ondata)
  return remove
}
