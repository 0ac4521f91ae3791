// Streaming row parsers for imports. Each yields one ImportRow per data row, with
// its line number; a bad row becomes { line, error } and parsing goes on.
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { parse as parseCsv, type Info } from 'csv-parse'

export type ImportFormat = 'ndjson' | 'csv' | 'tsv' | 'export'
export const IMPORT_FORMATS: readonly ImportFormat[] = ['ndjson', 'csv', 'tsv', 'export']

export interface ImportRow {
  /** 1-based line of the source file where the row starts (CSV: ends, for a quoted multi-line row). */
  line: number
  /** The parsed value (an object). */
  value?: Record<string, unknown>
  /** Record id named by the row (export format only). */
  id?: string
  /** Schema named by the row (export format only; `core/schema` rows carry a definition). */
  schema?: string
  error?: string
}

/** Longest NDJSON line accepted (longer lines are rejected, not parsed). */
export const MAX_LINE_LENGTH = 1024 * 1024

/** The format a file name suggests, or null. */
export function formatOfPath (path: string): ImportFormat | null {
  const lower = path.toLowerCase()
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv'
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson'
  return null
}

export interface ParseOptions {
  /**
   * CSV/TSV: a cell holding exactly this text is a missing field, like an empty cell.
   * Default `\N` for TSV (the null of IMDB, MySQL and PostgreSQL dumps), none for CSV;
   * null: none.
   */
  nullMarker?: string | null
}

/** The null marker of TSV files unless told otherwise: a backslash and a capital N. */
export const TSV_NULL = '\\N'

export function parseRows (input: Readable, format: ImportFormat, opts: ParseOptions = {}): AsyncGenerator<ImportRow> {
  if (format === 'ndjson' || format === 'export') return parseNdjson(input, format === 'export')
  const nullMarker = opts.nullMarker === undefined ? (format === 'tsv' ? TSV_NULL : null) : opts.nullMarker
  return parseDelimited(input, format === 'tsv' ? '\t' : ',', nullMarker)
}

async function * parseNdjson (input: Readable, exported: boolean): AsyncGenerator<ImportRow> {
  const lines = createInterface({ input, crlfDelay: Infinity })
  let line = 0
  for await (const text of lines) {
    line++
    if (text.trim() === '') continue
    if (text.length > MAX_LINE_LENGTH) { yield { line, error: `line longer than ${MAX_LINE_LENGTH} characters` }; continue }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      yield { line, error: `invalid JSON: ${(err as Error).message}` }
      continue
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      yield { line, error: 'not a JSON object' }
      continue
    }
    if (!exported) { yield { line, value: parsed as Record<string, unknown> }; continue }
    const rec = parsed as { id?: unknown; value?: unknown; schema?: unknown }
    if (typeof rec.id !== 'string' || rec.value === null || typeof rec.value !== 'object' || Array.isArray(rec.value) || (rec.schema !== undefined && typeof rec.schema !== 'string')) {
      yield { line, error: 'an exported record needs a string "id", an object "value" and a string "schema"' }
      continue
    }
    const row: ImportRow = { line, id: rec.id, value: rec.value as Record<string, unknown> }
    if (typeof rec.schema === 'string') row.schema = rec.schema
    yield row
  }
}

async function * parseDelimited (input: Readable, delimiter: string, nullMarker: string | null): AsyncGenerator<ImportRow> {
  const skipped: ImportRow[] = []
  const parser = input.pipe(parseCsv({
    delimiter,
    // TSV has no quoting: a quote character is data.
    quote: delimiter === '\t' ? false : '"',
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    bom: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      skipped.push({ line: Number((err as { lines?: unknown } | undefined)?.lines ?? 0), error: err?.message ?? 'unparseable row' })
      return undefined
    }
  }))
  let header: string[] | null = null
  for await (const item of parser as AsyncIterable<{ record: string[]; info: Info }>) {
    while (skipped.length > 0) yield skipped.shift() as ImportRow
    const { record, info } = item
    const line = Number((info as { lines?: unknown }).lines)
    if (header === null) {
      header = record.map((h) => h.trim())
      const dup = header.find((h, i) => header?.indexOf(h) !== i)
      if (header.some((h) => h === '') || dup !== undefined) {
        throw new Error(`bad header on line ${line}: column names must be unique and not empty`)
      }
      continue
    }
    if (record.length !== header.length) {
      yield { line, error: `expected ${header.length} columns, got ${record.length}` }
      continue
    }
    const value: Record<string, unknown> = {}
    for (let i = 0; i < header.length; i++) {
      const cell = record[i] as string
      // An empty (or null-marker) cell is an absent field. defineProperty, so that a column
      // named __proto__ is data like any other (an assignment would set the prototype).
      if (cell !== '' && cell !== nullMarker) Object.defineProperty(value, header[i] as string, { value: cell, enumerable: true, writable: true, configurable: true })
    }
    yield { line, value }
  }
  while (skipped.length > 0) yield skipped.shift() as ImportRow
}
