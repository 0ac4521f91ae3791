// Streaming import: validate each row, append the valid ones in batches (each batch
// is one append: all or nothing), report the rejected ones with line and reason.
// One bad row never aborts the import nor leaves a half-written batch.
import type { RecordDB, BatchOp } from './record-db.js'
import type { ImportRow } from './parsers.js'

export interface ImportOptions {
  schema: string
  /** Take each record's id from this field of the row (kept in the value too). Default: new random ids. */
  idField?: string
  /** Rows per append. Default 1000. */
  batchSize?: number
  /** Coerce strings to the schema's types ("42" -> 42, "true" -> true): on for CSV/TSV. */
  coerce?: boolean
  /** Most rejected rows kept in the summary (all are counted). Default 1000. */
  maxErrors?: number
  /**
   * Pause indexing while appending rows that need no links, and index in big batches after:
   * much faster for bulk loads. Default true. Rows with new random ids need no links; rows
   * naming ids need none either while the schema was empty when the import started and the id
   * has not come up before in the import. The first row that may replace a version resumes
   * indexing (its links need it). A peer writing the same ids at the same time makes a fork.
   */
  pauseIndexing?: boolean
  onProgress?: (p: { rows: number; imported: number; rejected: number }) => void
}

export interface ImportSummary {
  rows: number
  imported: number
  rejected: number
  errors: Array<{ line: number; error: string }>
  ms: number
}

/** Ids remembered to keep a bulk load with ids on the fast path. */
const MAX_SEEN = 5_000_000
const ID_PATTERN = /^[^\u0000-\u001f\u007f]{1,256}$/

export async function importRows (db: RecordDB, rows: AsyncIterable<ImportRow>, opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now()
  const batchSize = opts.batchSize ?? 1000
  const maxErrors = opts.maxErrors ?? 1000
  const check = await db.checker(opts.schema, { coerce: opts.coerce === true })
  const summary: ImportSummary = { rows: 0, imported: 0, rejected: 0, errors: [], ms: 0 }
  const reject = (line: number, error: string): void => {
    summary.rejected++
    if (summary.errors.length < maxErrors) summary.errors.push({ line, error })
  }
  let pending: Array<{ line: number; op: BatchOp }> = []
  let pendingIds = new Set<string>()
  let paused = false
  // Rows naming ids can skip the index too while the schema was empty at the start and
  // the id has not come up before in this import (then no version of it exists).
  const bulk = opts.pauseIndexing !== false
  let fresh = bulk && await db.isEmpty(opts.schema)
  const seen = new Set<string>()

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return
    const chunk = pending
    pending = []
    pendingIds = new Set()
    try {
      await db.batch(chunk.map((p) => p.op), { fresh })
      summary.imported += chunk.length
    } catch {
      // Something only the db could see (e.g. a concurrent schema change): isolate the row(s) one by one.
      for (const p of chunk) {
        try {
          await db.batch([p.op], { fresh })
          summary.imported++
        } catch (err) {
          reject(p.line, (err as Error).message)
        }
      }
    }
    opts.onProgress?.({ rows: summary.rows, imported: summary.imported, rejected: summary.rejected })
  }

  if (bulk) {
    db.pause()
    paused = true
  }
  try {
    for await (const row of rows) {
      summary.rows++
      if (row.error !== undefined || row.value === undefined) { reject(row.line, row.error ?? 'empty row'); continue }
      const value = row.value
      const problem = check(value)
      if (problem !== null) { reject(row.line, problem); continue }
      let id = row.id
      if (id === undefined && opts.idField !== undefined) {
        const raw = value[opts.idField]
        id = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined
        if (id === undefined) { reject(row.line, `no "${opts.idField}" field for the id`); continue }
      }
      if (id !== undefined && !ID_PATTERN.test(id)) { reject(row.line, 'an id is 1..256 characters without control characters'); continue }
      if (id !== undefined && (!fresh || seen.has(id) || seen.size >= MAX_SEEN)) {
        // This row may replace a version: links need the index from here on.
        if (fresh || paused) await flush()
        fresh = false
        if (paused) { db.resume(); paused = false }
      }
      if (id !== undefined && fresh) seen.add(id)
      // The same id twice in one batch is not allowed: the second goes in the next batch (and replaces the first).
      if (id !== undefined && pendingIds.has(id)) await flush()
      if (id !== undefined) pendingIds.add(id)
      pending.push({ line: row.line, op: id === undefined ? { type: 'put', schema: opts.schema, value } : { type: 'put', schema: opts.schema, value, id } })
      if (pending.length >= batchSize) await flush()
    }
    await flush()
  } finally {
    if (paused) db.resume()
  }
  summary.ms = Date.now() - started
  return summary
}
