// A writer's short name in write ids: the first 16 bytes (128 bits) of its feed key,
// in a base64 whose alphabet is in ASCII order, so that comparing two tags as
// strings compares the key bytes (the conflict rule's tie-break). 22 characters
// instead of 64 hex ones: every stored heads record and every link carries one.
// Two feeds whose keys share their first 128 bits cannot be made on purpose (that is
// a 2^128 search for an ed25519 key), so a tag names one writer.

const ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
const VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i

/** Bytes of the feed key a tag keeps. */
export const TAG_BYTES = 16
/** Characters of a tag. */
export const TAG_LENGTH = 22

const byFeed = new Map<string, string>()

/** The tag of a feed (hex key). */
export function feedTag (feedHex: string): string {
  let tag = byFeed.get(feedHex)
  if (tag === undefined) {
    tag = tagOf(Buffer.from(feedHex, 'hex'), 0)
    if (byFeed.size > 10_000) byFeed.clear()
    byFeed.set(feedHex, tag)
  }
  return tag
}

/** The tag of the TAG_BYTES bytes at `offset`. */
export function tagOf (bytes: Uint8Array, offset: number): string {
  let out = ''
  let bits = 0
  let acc = 0
  for (let i = 0; i < TAG_BYTES; i++) {
    acc = (acc << 8) | bytes[offset + i]!
    bits += 8
    while (bits >= 6) {
      bits -= 6
      out += ALPHABET[(acc >> bits) & 63]
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (6 - bits)) & 63]
  return out
}

/** Writes the bytes a well-formed tag stands for at `offset`; returns the offset after them. */
export function writeTag (tag: string, buf: Uint8Array, offset: number): number {
  let bits = 0
  let acc = 0
  let at = offset
  for (let i = 0; i < TAG_LENGTH && at < offset + TAG_BYTES; i++) {
    acc = ((acc << 6) | VALUE[tag.charCodeAt(i)]!) & 0xffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      buf[at++] = (acc >> bits) & 0xff
    }
  }
  return at
}

/** Whether `s` is a well-formed tag (its last character holds only 2 bits). */
export function isTag (s: string): boolean {
  if (s.length !== TAG_LENGTH) return false
  for (let i = 0; i < TAG_LENGTH; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || VALUE[c]! < 0) return false
  }
  return (VALUE[s.charCodeAt(TAG_LENGTH - 1)]! & 15) === 0
}
