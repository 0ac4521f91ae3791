// Unsigned LEB128 varints up to Number.MAX_SAFE_INTEGER, for the binary log entries.

export function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 0x80); len++ }
  return len
}

export function writeVarint (buf: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    buf[offset++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  buf[offset++] = n
  return offset
}

/** The varint at `offset`, or null if it is cut short or above MAX_SAFE_INTEGER. */
export function readVarint (buf: Uint8Array, offset: number): { value: number; next: number } | null {
  let value = 0
  let scale = 1
  for (let i = 0; i < 8; i++) {
    if (offset >= buf.length) return null
    const b = buf[offset++]!
    value += (b & 0x7f) * scale
    if (b < 0x80) return Number.isSafeInteger(value) ? { value, next: offset } : null
    scale *= 0x80
  }
  return null
}
