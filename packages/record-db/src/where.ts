// Query conditions: parsing `where`, the index range to scan, matching a value.
import { RecordDbError } from './errors.js'
import { AFTER_JOIN, encodeValue, isIndexValue, JOIN, typeEnd, typeStart, under, SEP, type IndexValue } from './layout.js'
import { compoundName } from './validation.js'

const END = '\x01'

export interface Range { eq?: IndexValue; gt?: IndexValue; gte?: IndexValue; lt?: IndexValue; lte?: IndexValue }
export type Where = Record<string, IndexValue | Range>
export interface Cond { field: string; range: Range }

export function parseWhere (where: unknown, indexed: string[]): Cond[] {
  if (where === null || typeof where !== 'object' || Array.isArray(where)) {
    throw new RecordDbError('ERR_BAD_QUERY', 'query needs { where: { field: value | { gt, gte, lt, lte } } }')
  }
  const conds: Cond[] = []
  for (const [field, w] of Object.entries(where as Record<string, unknown>)) {
    if (!indexed.includes(field)) {
      throw new RecordDbError('ERR_NOT_INDEXED', `field "${field}" is not indexed (mark it "index": true in the schema); indexed: ${indexed.join(', ') || 'none'}`)
    }
    let range: Range
    if (isIndexValue(w)) range = { eq: w }
    else if (w !== null && typeof w === 'object' && !Array.isArray(w)) {
      range = {}
      for (const [op, v] of Object.entries(w as Record<string, unknown>)) {
        if (!['eq', 'gt', 'gte', 'lt', 'lte'].includes(op)) throw new RecordDbError('ERR_BAD_QUERY', `unknown operator "${op}" (use eq, gt, gte, lt, lte)`)
        if (!isIndexValue(v)) throw new RecordDbError('ERR_BAD_QUERY', `${field}.${op} must be a string, number, boolean or null`)
        range[op as keyof Range] = v
      }
      const types = new Set(Object.values(range).map((v) => (v === null ? 'null' : typeof v)))
      if (types.size !== 1) throw new RecordDbError('ERR_BAD_QUERY', `${field}: give one value, or bounds of one type`)
    } else {
      throw new RecordDbError('ERR_BAD_QUERY', `${field}: give a value or a range object`)
    }
    conds.push({ field, range })
  }
  if (conds.length === 0) throw new RecordDbError('ERR_BAD_QUERY', 'where needs at least one field')
  return conds
}

/** A value of the range's type (null is one: `??` would pass over it). */
function sampleOf (r: Range): IndexValue {
  for (const v of [r.eq, r.gt, r.gte, r.lt, r.lte]) if (v !== undefined) return v
  return null
}

export function scanBounds (prefix: string, r: Range): { gt?: string; gte?: string; lt?: string; lte?: string } {
  if (r.eq !== undefined) return { gt: prefix + encodeValue(r.eq) + SEP, lt: prefix + encodeValue(r.eq) + '\x01' }
  const sample = sampleOf(r)
  const out: { gt?: string; gte?: string; lt?: string; lte?: string } = {}
  if (r.gt !== undefined) out.gt = prefix + encodeValue(r.gt) + '\x01'
  else if (r.gte !== undefined) out.gt = prefix + encodeValue(r.gte)
  else out.gt = prefix + typeStart(sample)
  if (r.lt !== undefined) out.lt = prefix + encodeValue(r.lt)
  else if (r.lte !== undefined) out.lt = prefix + encodeValue(r.lte) + '\x01'
  else out.lt = prefix + typeEnd(sample)
  return out
}

/** Index order of two values; strings the index cuts (sharing their first 512 characters) by their whole text. */
function compare (a: IndexValue, b: IndexValue): number {
  const ea = encodeValue(a)
  const eb = encodeValue(b)
  if (ea !== eb || typeof a !== 'string' || typeof b !== 'string') return ea < eb ? -1 : ea > eb ? 1 : 0
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) // UTF-8 byte order: the keys' order
}

export function matches (value: unknown, c: Cond): boolean {
  if (value === null || typeof value !== 'object') return false
  const raw = (value as Record<string, unknown>)[c.field]
  const vals = (Array.isArray(raw) ? raw : [raw]).filter(isIndexValue)
  const sample = sampleOf(c.range)
  const sameType = (v: IndexValue): boolean => (v === null ? 'null' : typeof v) === (sample === null ? 'null' : typeof sample)
  return vals.some((v) => {
    if (!sameType(v)) return false
    const r = c.range
    if (r.eq !== undefined && compare(v, r.eq) !== 0) return false
    if (r.gt !== undefined && compare(v, r.gt) <= 0) return false
    if (r.gte !== undefined && compare(v, r.gte) < 0) return false
    if (r.lt !== undefined && compare(v, r.lt) >= 0) return false
    if (r.lte !== undefined && compare(v, r.lte) > 0) return false
    return true
  })
}

// ---- index scans ---------------------------------------------------------------

export interface Bounds { gt?: string; gte?: string; lt?: string; lte?: string }

/** One way to answer a query: a key range of one index, and the field its keys are ordered by. */
export interface Scan {
  bounds: Bounds
  /** The field whose order the keys come in (null: id order, every field fixed by the conditions). */
  order: string | null
  /** Conditions the range itself enforces (the rest are checked on each hit). */
  covers: number
  compound: boolean
}

/**
 * Bounds within a compound index entry's values, after `prefix` (the fields before): keys
 * whose value at this position lies in `r` (see JOIN in layout.ts for why these are exact).
 */
function compoundBounds (prefix: string, r: Range | null): Bounds {
  if (r === null) return { gte: prefix, lt: prefix + '\x7f' } // every tag is a letter
  if (r.eq !== undefined) return { gte: prefix + encodeValue(r.eq) + JOIN, lt: prefix + encodeValue(r.eq) + AFTER_JOIN }
  const sample = sampleOf(r)
  const out: Bounds = {}
  if (r.gt !== undefined) out.gte = prefix + encodeValue(r.gt) + AFTER_JOIN
  else if (r.gte !== undefined) out.gte = prefix + encodeValue(r.gte) + JOIN
  else out.gte = prefix + typeStart(sample)
  if (r.lt !== undefined) out.lt = prefix + encodeValue(r.lt) + JOIN
  else if (r.lte !== undefined) out.lt = prefix + encodeValue(r.lte) + AFTER_JOIN
  else {
    const end = typeEnd(sample) // numbers and strings end at the next tag; null and booleans are one value
    out.lt = end.endsWith(SEP) ? prefix + end.slice(0, -1) + AFTER_JOIN : prefix + end
  }
  return out
}

/**
 * Every index scan that can answer `conds` on `schema`: a single-field index for each
 * condition (or for `order` alone), and each compound index whose leading fields the
 * conditions fix (then its next field gives the order).
 */
export function scansFor (schema: string, conds: Cond[], fields: { index: string[]; compound?: string[][] }, order?: string): Scan[] {
  const out: Scan[] = []
  const byField = new Map(conds.map((c) => [c.field, c]))
  for (const c of conds) {
    if (!fields.index.includes(c.field)) continue
    const prefix = ['i', schema, c.field].join(SEP) + SEP
    out.push({ bounds: scanBounds(prefix, c.range), order: c.range.eq !== undefined ? null : c.field, covers: 1, compound: false })
  }
  if (order !== undefined && fields.index.includes(order) && !byField.has(order)) {
    out.push({ bounds: under('i', schema, order), order, covers: 0, compound: false })
  }
  for (const list of fields.compound ?? []) {
    let prefix = ['c', schema, compoundName(list)].join(SEP) + SEP
    let k = 0
    while (k < list.length && byField.get(list[k] as string)?.range.eq !== undefined) {
      prefix += encodeValue(byField.get(list[k] as string)?.range.eq as IndexValue) + JOIN
      k++
    }
    if (k === list.length) {
      out.push({ bounds: { gte: prefix + SEP, lt: prefix + END }, order: null, covers: k, compound: true })
      continue
    }
    const next = list[k] as string
    const c = byField.get(next)
    if (k === 0 && c === undefined && order !== next) continue // a scan of the whole index
    out.push({ bounds: compoundBounds(prefix, c?.range ?? null), order: next, covers: k + (c === undefined ? 0 : 1), compound: true })
  }
  return out
}
