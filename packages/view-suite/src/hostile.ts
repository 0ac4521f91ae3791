// Entries a hostile or broken peer writes, made from the view's own values so they
// reach the view's code paths: every leaf of a value replaced by ill-formed text (lone
// surrogates), a wrong type, a huge string, nesting to the depth limit, keys like
// __proto__; values of no shape of the view's; and, written around the writer (which
// refuses them), entries that are no JSON or nest too deep, and a block that is no block.
import { MAX_JSON_DEPTH, type EncodedEntry } from '@kappa-ts/multifeed'

/** Values a writer accepts (they reach map), and raw entries only a hostile peer writes (the indexer skips them). */
export interface HostileSet {
  values: unknown[]
  /** Entries to pack into a block as they are (JSON text or bytes). */
  raw: EncodedEntry[]
  /** Bytes appended as a whole block: no packed block at all. */
  junkBlock: Buffer
}

const HUGE = 200_000
const MAX_PATHS = 24

type Path = Array<string | number>

export function hostileSet (encoding: 'json' | 'binary' | 'utf-8', samples: unknown[]): HostileSet {
  const junkBlock = Buffer.from([0x09, 0xff, 0x00, 0x13, 0x37])
  if (encoding === 'binary') return { values: samples.flatMap((s) => bytesMutations(toBytes(s))), raw: [], junkBlock }
  if (encoding === 'utf-8') return { values: samples.flatMap((s) => textMutations(String(s))), raw: [], junkBlock }
  return {
    values: [...samples.flatMap(jsonMutations), ...shapeless()],
    raw: [
      '['.repeat(10_000) + ']'.repeat(10_000), // deeper than any reader takes
      '{"key": ', // cut off
      Buffer.from([0xff, 0xfe, 0xfd]) // not UTF-8, not JSON
    ],
    junkBlock
  }
}

/** Values of no shape a view expects. */
function shapeless (): unknown[] {
  return [
    null, 0, -1, 1e308, '', 'text', true, [], {},
    nest(MAX_JSON_DEPTH), // as deep as a reader takes
    Array.from({ length: 50_000 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])),
    '\ud800', 'x'.repeat(HUGE),
    JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}')
  ]
}

/** Each leaf (and subtree) of a sample replaced by what breaks naive code. */
function jsonMutations (sample: unknown): unknown[] {
  const out: unknown[] = [[sample], { value: sample }]
  if (sample === null || typeof sample !== 'object') {
    for (const r of leafReplacements(sample, 0, true)) out.push(r)
    return out
  }
  const paths = pathsOf(sample).slice(0, MAX_PATHS)
  let huge = 0
  for (const p of paths) {
    const leaf = get(sample, p)
    for (const r of leafReplacements(leaf, p.length, huge < 2)) out.push(set(sample, p, r))
    if (typeof leaf === 'string') huge++
  }
  // an own __proto__ key, as JSON.parse makes it
  if (!Array.isArray(sample)) {
    const text = JSON.stringify(sample)
    out.push(JSON.parse('{"__proto__": {"polluted": "yes"}' + (text === '{}' ? '}' : ',' + text.slice(1))))
  }
  return out
}

function leafReplacements (leaf: unknown, depth: number, huge: boolean): unknown[] {
  const out: unknown[] = [null, [], {}, true, nest(MAX_JSON_DEPTH - depth)]
  if (typeof leaf === 'string') {
    out.push('\ud800', `${leaf}\udfff`, '\udc00' + leaf, '', '\u0000', '__proto__', 5)
    if (huge) out.push(leaf + 'x'.repeat(HUGE))
  } else if (typeof leaf === 'number') {
    out.push(-1, 1e308, -1e308, 2 ** 53 + 2, 0.5, String(leaf), '\ud800')
  } else {
    out.push('\ud800', 0, 'x')
  }
  return out
}

/** `[[[...]]]`: `depth` levels of arrays (at least one). */
function nest (depth: number): unknown {
  let v: unknown = []
  for (let i = 1; i < Math.max(1, depth); i++) v = [v]
  return v
}

function pathsOf (v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (v === null || typeof v !== 'object') return out
  for (const [k, x] of Object.entries(v)) {
    const p = [...prefix, Array.isArray(v) ? Number(k) : k]
    out.push(p)
    pathsOf(x, p, out)
  }
  return out
}

function get (v: unknown, p: Path): unknown {
  let x = v
  for (const k of p) x = (x as Record<string | number, unknown>)[k]
  return x
}

/** A copy of `v` with the value at `p` replaced. */
function set (v: unknown, p: Path, leaf: unknown): unknown {
  if (p.length === 0) return leaf
  const [k, ...rest] = p as [string | number, ...Path]
  const copy: Record<string | number, unknown> = Array.isArray(v) ? [...v] as unknown as Record<number, unknown> : { ...(v as Record<string, unknown>) }
  copy[k] = set((v as Record<string | number, unknown>)[k], rest, leaf)
  return copy
}

function toBytes (v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v) ?? '')
}

function bytesMutations (b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [new Uint8Array(0), new Uint8Array(1), new Uint8Array([0xff]), Buffer.alloc(HUGE, 0xab)]
  for (const n of new Set([1, 2, 3, 4, 8, 16, b.length - 1, b.length >> 1])) if (n > 0 && n < b.length) out.push(b.subarray(0, n))
  for (const at of new Set([0, 1, 2, b.length >> 1, b.length - 1])) {
    if (at < 0 || at >= b.length) continue
    for (const x of [0x00, 0xff, 0x80, 0x7f]) {
      const c = Buffer.from(b)
      c[at] = x
      out.push(c)
    }
  }
  out.push(Buffer.concat([b, Buffer.from([0xff, 0xff, 0xff, 0xff])]), Buffer.concat([b, b]))
  return out
}

function textMutations (s: string): string[] {
  return ['', '\u0000', '\ud800', s + '\udfff', s.slice(0, s.length >> 1), s + 'x'.repeat(HUGE), s + s, '{"__proto__":{"polluted":"yes"}}']
}
