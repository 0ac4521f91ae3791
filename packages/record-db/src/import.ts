// Streaming import: validate each row, append the valid ones in batches (each batch
// is one append: all or nothing), report the rejected ones with line and reason.
// One bad row never aborts the import nor leaves a half-written batch.
//
// Rows may name their own schema (a kappa-db export does): records of several schemas
// then go in one import, and `core/schema` rows restore the schema definitions first, so
// an export loads into an empty database with one command.
import { isDeepStrictEqual } from 'node:util'
import type { JsonSchema } from '@kappa-ts/schemas'
import type { RecordDB, BatchOp } from './record-db.js'
import type { ImportRow } from './parsers.js'

export interface ImportOptions {
  /**
   * Schema of the rows. Required unless every row names its own (export format); with
   * rows that do, only records of this schema (and its definition) are imported.
   */
  schema?: string
  /** Take each record's id from this field of the row (kept in the value too). Default: new random ids. */
  idField?: string
  /** Rows per append. Default 1000. */
  batchSize?: number
  /** Coerce strings to the schema's types ("42" -> 42, "true" -> true): on for CSV/TSV. */
  coerce?: boolean
  /** With `coerce`: a string where the schema wants an array is split on this (default ","). */
  arraySeparator?: string
  /** Most rejected rows kept in the summary (all are counted). Default 1000. */
  maxErrors?: number
  /**
   * Pause indexing while appending rows that need no links, and index in big batches after:
   * much faster for bulk loads. Default true. Rows with new random ids need no links; rows
   * naming ids need none either while their schema was empty when the import reached it and
   * the id has not come up before in the import. The first row that may replace a version
   * resumes indexing (its links need it). A peer writing the same ids at the same time makes a fork.
   */
  pauseIndexing?: boolean
  onProgress?: (p: { rows: number; imported: number; rejected: number }) => void
}

export interface ImportSummary {
  rows: number
  /** Records appended. */
  imported: number
  /** Schema definitions (`core/schema` rows) added, or already there as given. */
  schemas: number
  rejected: number
  errors: Array<{ line: number; error: string }>
  ms: number
}

/** Ids remembered to keep a bulk load with ids on the fast path. */
const MAX_SEEN = 5_000_000
const ID_PATTERN = /^[^\u0000-\u001f\u007f]{1,256}$/
const SCHEMA_TYPE = 'core/schema'

interface SchemaState {
  check: (value: unknown) => string | null
  /** No version of any record of this schema existed when the import reached it. */
  fresh: boolean
  seen: Set<string>
}

export async function importRows (db: RecordDB, rows: AsyncIterable<ImportRow>, opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now()
  const batchSize = opts.batchSize ?? 1000
  const maxErrors = opts.maxErrors ?? 1000
  const checkerOpts = { coerce: opts.coerce === true, ...(opts.arraySeparator !== undefined ? { arraySeparator: opts.arraySeparator } : {}) }
  const summary: ImportSummary = { rows: 0, imported: 0, schemas: 0, rejected: 0, errors: [], ms: 0 }
  const reject = (line: number, error: string): void => {
    summary.rejected++
    if (summary.errors.length < maxErrors) summary.errors.push({ line, error })
  }
  const bulk = opts.pauseIndexing !== false
  const states = new Map<string, SchemaState | Error>()
  let pending: Array<{ line: number; op: BatchOp }> = []
  let pendingIds = new Set<string>()
  let pendingState: SchemaState | null = null
  let paused = false

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return
    const chunk = pending
    const fresh = pendingState?.fresh === true
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
  const resumeIndexing = async (): Promise<void> => {
    await flush()
    if (paused) { db.resume(); paused = false }
  }
  const pauseIndexing = async (): Promise<void> => {
    if (!bulk || paused) return
    await flush()
    db.pause()
    paused = true
  }

  /** The checker and fast-path state of a schema, or why its records cannot be imported. */
  const stateOf = async (schema: string): Promise<SchemaState | Error> => {
    let st = states.get(schema)
    if (st !== undefined) return st
    // Read the schema with the index caught up (isEmpty and the definition come from it).
    await resumeIndexing()
    try {
      st = { check: await db.checker(schema, checkerOpts), fresh: bulk && await db.isEmpty(schema), seen: new Set() }
    } catch (err) {
      st = err instanceof Error ? err : new Error(String(err))
    }
    states.set(schema, st)
    await pauseIndexing()
    return st
  }

  /** A `core/schema` row: add the definition if the database lacks it; never replace another one. */
  const defineSchema = async (row: ImportRow): Promise<void> => {
    const name = row.id
    if (name === undefined || row.value === undefined) { reject(row.line, 'a core/schema row needs an id (the schema name) and a definition'); return }
    await resumeIndexing()
    try {
      const current = await db.getSchema(name)
      if (current === null) await db.putSchema(name, row.value as JsonSchema)
      else if (!isDeepStrictEqual(current, row.value)) {
        reject(row.line, `the database has another definition of schema "${name}": kept it (kappa-db schema add replaces it)`)
        return
      }
      summary.schemas++
      states.delete(name) // its records are checked against the definition now in force
    } catch (err) {
      reject(row.line, (err as Error).message)
    }
  }

  if (opts.schema !== undefined) await stateOf(opts.schema)
  await pauseIndexing()
  try {
    for await (const row of rows) {
      summary.rows++
      if (row.error !== undefined || row.value === undefined) { reject(row.line, row.error ?? 'empty row'); continue }
      const schema = row.schema ?? opts.schema
      if (schema === undefined) { reject(row.line, 'no schema for this row (pass one)'); continue }
      if (opts.schema !== undefined && schema !== opts.schema && !(schema === SCHEMA_TYPE && row.id === opts.schema)) {
        reject(row.line, `a row of schema "${schema}" (importing "${opts.schema}" only)`)
        continue
      }
      if (schema === SCHEMA_TYPE) {
        await defineSchema(row)
        continue
      }
      const st = await stateOf(schema)
      if (st instanceof Error) {
        // Rows that do not name a schema all go to opts.schema: an unknown one is the caller's error.
        if (row.schema === undefined) throw st
        reject(row.line, st.message)
        continue
      }
      const value = row.value
      const problem = st.check(value)
      if (problem !== null) { reject(row.line, problem); continue }
      let id = row.id
      if (id === undefined && opts.idField !== undefined) {
        const raw = value[opts.idField]
        id = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined
        if (id === undefined) { reject(row.line, `no "${opts.idField}" field for the id`); continue }
      }
      if (id !== undefined && !ID_PATTERN.test(id)) { reject(row.line, 'an id is 1..256 characters without control characters'); continue }
      // One batch holds one schema's rows (its fast-path flag is the batch's).
      if (pendingState !== st) { await flush(); pendingState = st }
      if (id !== undefined && (!st.fresh || st.seen.has(id) || st.seen.size >= MAX_SEEN)) {
        // This row may replace a version: links need the index from here on.
        if (st.fresh || paused) await flush()
        st.fresh = false
        await resumeIndexing()
      }
      if (id !== undefined && st.fresh) st.seen.add(id)
      // The same id twice in one batch is not allowed: the second goes in the next batch (and replaces the first).
      if (id !== undefined && pendingIds.has(id)) await flush()
      if (id !== undefined) pendingIds.add(id)
      pending.push({ line: row.line, op: id === undefined ? { type: 'put', schema, value } : { type: 'put', schema, value, id } })
      if (pending.length >= batchSize) await flush()
    }
    await flush()
  } finally {
    if (paused) db.resume()
  }
  summary.ms = Date.now() - started
  return summary
}
