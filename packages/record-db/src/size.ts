// The size of a record as JSON text, measured without writing it out: a peer's entry can
// be megabytes, and a limit (RecordDBOptions.maxRecordSize) should cost what it allows.

/**
 * The length of `value`'s JSON text, counting each character of a string as one (escapes
 * are not expanded), or some number over `limit` as soon as it passes `limit`.
 */
export function jsonSize (value: unknown, limit = Infinity): number {
  let size = 0
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') size += v.length + 2
    else if (Array.isArray(v)) {
      size += 2 + Math.max(0, v.length - 1) // brackets and commas
      if (size > limit) return size
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i])
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v)
      size += 2 + Math.max(0, keys.length - 1)
      for (const k of keys) {
        size += k.length + 3 // quotes and colon
        if (size > limit) return size
        stack.push((v as Record<string, unknown>)[k])
      }
    } else if (v === undefined) {
      // not JSON (left out by JSON.stringify); only reachable from a caller's own object
    } else size += String(v).length // numbers, booleans, null: their JSON text
    if (size > limit) return size
  }
  return size
}
