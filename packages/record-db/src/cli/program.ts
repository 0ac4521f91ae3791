// kappa-db: the record-db from the shell. Every command opens the database in
// --storage (default ./.kappa-db), does one thing, and closes it.
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import path from 'node:path'
import { once } from 'node:events'
import { Command, CommanderError, Option } from 'commander'
import cliProgress from 'cli-progress'
import type { JsonSchema } from '@kappa-ts/schemas'
import { RecordDB, type Mode, type Range, type RecordVersion, type Where } from '../record-db.js'
import { RecordDbError, ValidationError } from '../errors.js'
import { formatOfPath, IMPORT_FORMATS, parseRows, type ImportFormat } from '../parsers.js'
import { importRows } from '../import.js'
import { makeOut, recordDetail, recordLine, replacer, type Out } from './output.js'
import { readStoredConfig } from '../storage-config.js'
import type { IndexValue } from '../layout.js'
import { registerServe } from './serve.js'

interface GlobalOpts { json?: boolean; storage: string; bootstrap?: string }

/** Runs the CLI with `argv` (process.argv form); resolves with the exit code. */
export async function run (argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    const json = program.opts<GlobalOpts>().json === true
    reportError(err, json)
    return 1
  }
}

function reportError (err: unknown, json: boolean): void {
  const e = err as Error & { code?: string }
  if (json) {
    const body: Record<string, unknown> = { code: e.code ?? 'ERR_UNEXPECTED', message: e.message }
    if (err instanceof ValidationError) Object.assign(body, { schema: err.schema, path: err.path, rule: err.rule, issues: err.issues })
    process.stdout.write(JSON.stringify({ error: body }) + '\n')
  } else {
    process.stderr.write(`kappa-db: ${e.message}${e.code !== undefined ? ` (${e.code})` : ''}\n`)
  }
}

function buildProgram (): Command {
  const program = new Command()
  program
    .name('kappa-db')
    .description('A JSON record store that syncs between peers (kappa-ts record-db)')
    .option('--json', 'machine-readable JSON output')
    .option('--storage <dir>', 'database folder', './.kappa-db')
    .option('--bootstrap <hosts>', 'DHT bootstrap nodes, host:port[,host:port] (also KAPPA_BOOTSTRAP)')
    .exitOverride()
    .showHelpAfterError()

  const g = (): GlobalOpts => program.opts<GlobalOpts>()
  const out = (): Out => makeOut(g().json === true)

  program.command('init')
    .description('create a database (or a replica of KEY) in --storage')
    .option('--key <key>', 'join an existing database by its key')
    .addOption(new Option('--mode <mode>', 'who may write').choices(['authorized', 'open']))
    .action(async (opts: { key?: string; mode?: Mode }) => {
      const dir = g().storage
      if (readStoredConfig(dir) !== null) throw new RecordDbError('ERR_BAD_OPTION', `${dir} already holds a database`)
      const dbOpts: { key?: string; mode?: Mode } = {}
      if (opts.key !== undefined) dbOpts.key = opts.key
      if (opts.mode !== undefined) dbOpts.mode = opts.mode
      const db = new RecordDB(dir, dbOpts)
      try {
        await db.ready()
        out().result({ key: db.key, root: db.root, writer: db.writerKey, mode: db.mode, storage: path.resolve(dir) }, () => [
          `created ${db.mode} database in ${path.resolve(dir)}`,
          `key:    ${db.key}`,
          '        (a secret: whoever has it reads the whole database. Share it with your peers: npx kappa-db init --key KEY)',
          `writer: ${db.writerKey}${db.mode === 'authorized' && db.writerKey !== db.root ? '   (ask the owner to: npx kappa-db authorize ' + db.writerKey + ')' : ' (the root)'}`
        ])
      } finally { await db.close() }
    })

  const schema = program.command('schema').description('manage schemas')
  schema.command('add <file>')
    .description('add or update a JSON Schema (mark properties "index": true / "search": true)')
    .option('--name <name>', 'schema name (default: the file name without .json)')
    .action(async (file: string, opts: { name?: string }) => {
      const name = opts.name ?? path.basename(file).replace(/\.schema\.json$|\.json$/i, '')
      let parsed: unknown
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'))
      } catch (err) {
        throw new RecordDbError('ERR_BAD_SCHEMA', `${file}: ${(err as Error).message}`)
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RecordDbError('ERR_BAD_SCHEMA', `${file} is not a JSON object`)
      await withDb(g(), async (db) => {
        await db.putSchema(name, parsed as JsonSchema)
        out().result({ schema: name }, () => `schema ${name} saved`)
      })
    })
  schema.command('list').description('list the schemas').action(async () => {
    await withDb(g(), async (db) => {
      const names = await db.schemas()
      out().result(names, () => names)
    })
  })
  schema.command('show <name>').description('print a schema').action(async (name: string) => {
    await withDb(g(), async (db) => {
      const s = await db.getSchema(name)
      if (s === null) throw new RecordDbError('ERR_UNKNOWN_SCHEMA', `unknown schema "${name}"`)
      out().result(s, () => JSON.stringify(s, null, 2))
    })
  })

  program.command('put <schema> [json]')
    .description('write a record (the JSON value as argument, or on stdin)')
    .option('--id <id>', 'record id (default: a new one); an existing id is updated')
    .action(async (schemaName: string, json: string | undefined, opts: { id?: string }) => {
      const text = json ?? await readStdin()
      let value: unknown
      try { value = JSON.parse(text) } catch (err) { throw new RecordDbError('ERR_VALIDATION', `invalid JSON: ${(err as Error).message}`) }
      await withDb(g(), async (db) => {
        const id = await db.put(schemaName, value, opts.id === undefined ? {} : { id: opts.id })
        out().result({ id }, () => id)
        await warnIfNotCounted(db, out())
      })
    })

  program.command('get <schema> <id>')
    .description('print the current version(s) of a record (several on a fork)')
    .action(async (schemaName: string, id: string) => {
      await withDb(g(), async (db) => {
        await requireSchema(db, schemaName)
        const versions = await db.get(schemaName, id)
        if (versions.length === 0) throw new RecordDbError('ERR_NOT_FOUND', `no record ${schemaName}/${id}`)
        out().result(versions, () => versions.map(recordDetail))
      })
    })

  program.command('del <schema> <id>').description('delete a record').action(async (schemaName: string, id: string) => {
    await withDb(g(), async (db) => {
      await db.del(schemaName, id)
      out().result({ deleted: id }, () => `deleted ${schemaName}/${id}`)
    })
  })

  program.command('history <schema> <id>').description('every version of a record').action(async (schemaName: string, id: string) => {
    await withDb(g(), async (db) => {
      await requireSchema(db, schemaName)
      const versions = await db.history(schemaName, id)
      if (versions.length === 0) throw new RecordDbError('ERR_NOT_FOUND', `no record ${schemaName}/${id}`)
      out().result(versions, () => versions.map(recordDetail))
    })
  })

  program.command('list <schema>')
    .description('records of a schema in id order')
    .option('--limit <n>', 'at most n records', toInt)
    .option('--reverse', 'descending ids')
    .option('--gt <id>').option('--gte <id>').option('--lt <id>').option('--lte <id>')
    .action(async (schemaName: string, opts: { limit?: number; reverse?: boolean; gt?: string; gte?: string; lt?: string; lte?: string }) => {
      await withDb(g(), async (db) => {
        await requireSchema(db, schemaName)
        await printStream(out(), db.list(schemaName, opts))
      })
    })

  program.command('query <schema> <conditions...>')
    .description('records whose indexed fields match, e.g. city=Paris "age>=30" "age<40"')
    .option('--limit <n>', 'at most n records', toInt)
    .action(async (schemaName: string, conditions: string[], opts: { limit?: number }) => {
      await withDb(g(), async (db) => {
        const where = parseConditions(conditions, await requireSchema(db, schemaName))
        await printStream(out(), db.query(schemaName, opts.limit === undefined ? { where } : { where, limit: opts.limit }))
      })
    })

  program.command('search <text>')
    .description('full-text search over searchable fields, best first')
    .option('--schema <schema>', 'only this schema')
    .option('--limit <n>', 'at most n results (default 10)', toInt)
    .action(async (text: string, opts: { schema?: string; limit?: number }) => {
      await withDb(g(), async (db) => {
        const hits = await db.search(text, opts)
        out().result(hits, () => hits.map((h) => `${h.score.toFixed(3)}\t${h.record.schema}/${h.record.id}\t${JSON.stringify(h.record.value)}`))
      })
    })

  program.command('import <file>')
    .description('import rows (NDJSON, CSV, TSV, or a kappa-db export) into a schema; bad rows are reported, never abort')
    .option('--schema <schema>', 'schema of the rows (an export names its own: then only this one is imported)')
    .addOption(new Option('--format <format>', 'default: from the file extension').choices([...IMPORT_FORMATS]))
    .option('--id-field <field>', 'take record ids from this field (default: new ids)')
    .option('--batch <n>', 'rows per append (default 1000)', toInt)
    .option('--null <text>', 'CSV/TSV: a cell holding exactly this text is a missing field (default \\N for TSV, none for CSV)')
    .option('--array-separator <sep>', 'CSV/TSV: split a cell on this where the schema wants an array', ',')
    .action(async (file: string, opts: { schema?: string; format?: ImportFormat; idField?: string; batch?: number; null?: string; arraySeparator: string }) => {
      const format = opts.format ?? formatOfPath(file)
      if (format === null) throw new RecordDbError('ERR_IMPORT', `cannot tell the format of ${file}: pass --format ${IMPORT_FORMATS.join('|')}`)
      if (format !== 'export' && opts.schema === undefined) throw new RecordDbError('ERR_IMPORT', `--schema is required for ${format} rows (only an export names the schema of each row)`)
      if (!existsSync(file)) throw new RecordDbError('ERR_IMPORT', `no such file: ${file}`)
      if (opts.arraySeparator === '') throw new RecordDbError('ERR_BAD_OPTION', '--array-separator cannot be empty')
      const o = out()
      await withDb(g(), async (db) => {
        if (format !== 'export' && opts.schema !== undefined) await requireSchema(db, opts.schema)
        const size = statSync(file).size
        const input = createReadStream(file)
        const bar = process.stderr.isTTY && !o.json
          ? new cliProgress.SingleBar({ format: 'import |{bar}| {percentage}% | {rows} rows, {rejected} rejected', stream: process.stderr }, cliProgress.Presets.shades_classic)
          : null
        bar?.start(Math.max(size, 1), 0, { rows: 0, rejected: 0 })
        const summary = await importRows(db, parseRows(input, format, opts.null !== undefined ? { nullMarker: opts.null } : {}), {
          ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
          coerce: format === 'csv' || format === 'tsv',
          arraySeparator: opts.arraySeparator,
          ...(opts.idField !== undefined ? { idField: opts.idField } : {}),
          ...(opts.batch !== undefined ? { batchSize: opts.batch } : {}),
          onProgress: (p) => bar?.update(Math.min(input.bytesRead, size), { rows: p.rows, rejected: p.rejected })
        })
        bar?.update(size, { rows: summary.rows, rejected: summary.rejected })
        bar?.stop()
        const t = Date.now()
        await indexedWithProgress(db, o)
        const indexMs = Date.now() - t
        await warnIfNotCounted(db, o)
        const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
        const what = summary.schemas > 0 ? ` (${plural(summary.schemas, 'schema')}, ${plural(summary.imported, 'record')})` : ''
        o.result({ ...summary, indexMs }, () => [
          `imported ${summary.imported + summary.schemas} of ${summary.rows} rows${what}, rejected ${summary.rejected} (${summary.ms} ms, indexed in ${indexMs} ms)`,
          ...summary.errors.slice(0, 20).map((e) => `  line ${e.line}: ${e.error}`),
          ...(summary.errors.length > 20 ? [`  … ${summary.rejected - 20} more (use --json for up to ${summary.errors.length})`] : [])
        ])
      })
    })

  program.command('export')
    .description('write schemas and records as NDJSON lines {schema, id, value} (restore with import FILE --format export)')
    .option('--schema <schema>', 'only this schema (default: every schema)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (opts: { schema?: string; out?: string }) => {
      await withDb(g(), async (db) => {
        if (opts.schema !== undefined) await requireSchema(db, opts.schema)
        const sink = opts.out === undefined ? process.stdout : await openOutput(opts.out)
        const schemas = opts.schema !== undefined ? [opts.schema] : await db.schemas()
        let n = 0
        // The definitions first (as core/schema records), so the export restores into an empty database.
        for (const s of schemas) {
          const def = await db.getSchema(s)
          if (def !== null && !sink.write(JSON.stringify({ schema: 'core/schema', id: s, value: def }) + '\n')) await once(sink, 'drain')
        }
        for (const s of schemas) {
          for await (const r of db.list(s)) {
            if (!sink.write(JSON.stringify({ schema: r.schema, id: r.id, value: r.value }) + '\n')) await once(sink, 'drain')
            n++
          }
        }
        if (sink !== process.stdout) {
          sink.end()
          await finished(sink) // rejects with a write error, even one from before this wait
          out().result({ exported: n, schemas: schemas.length, file: opts.out }, () => `exported ${n} records and ${schemas.length} schema${schemas.length === 1 ? '' : 's'} to ${opts.out}`)
        }
      })
    })

  // authorize and revoke: a change to writer feed KEY, reported as `<done> <key>`.
  const onWriterKey = <O>(done: 'authorized' | 'revoked', change: (db: RecordDB, key: string, opts: O) => Promise<unknown>) =>
    async (key: string, opts: O): Promise<void> => {
      await withDb(g(), async (db) => {
        await change(db, key, opts)
        out().result({ [done]: key.toLowerCase() }, () => `${done} ${key.toLowerCase()}`)
      })
    }

  program.command('authorize <key>')
    .description('let the writer feed KEY write (authorized mode)')
    .option('--note <text>', 'a note stored with the authorization')
    .action(onWriterKey('authorized', (db, key, opts: { note?: string }) => db.authorize(key, opts.note === undefined ? {} : { note: opts.note })))

  program.command('revoke <key>')
    .description('revoke a writer feed: its records from now on (or from --length) stop counting')
    .option('--length <n>', 'records of KEY in blocks >= n stop counting (default: its length in blocks known here)', toInt)
    .action(onWriterKey('revoked', (db, key, opts: { length?: number }) => db.revoke(key, opts.length === undefined ? {} : { length: opts.length })))

  program.command('sync')
    .description('join the swarm and sync with peers (Ctrl-C to stop)')
    .option('--duration <seconds>', 'stop after this many seconds', toInt)
    .option('--until-synced', 'stop once a peer and this one hold the same data (for scripts)')
    .action(async (opts: { duration?: number; untilSynced?: boolean }) => {
      const o = out()
      await withDb(g(), async (db) => {
        const bootstrap = g().bootstrap ?? process.env.KAPPA_BOOTSTRAP
        const peersLine = (): string => `peers: ${db.peers.length}`
        // One status line, redrawn in place on a terminal; plain lines otherwise.
        let lastStatus = ''
        const status = (line: string): void => {
          // Off a terminal the status line would be noise: peer events and the summary remain.
          if (o.json || line === lastStatus || process.stderr.isTTY !== true) return
          lastStatus = line
          process.stderr.write(`\r\x1b[K${line}`)
        }
        const event = (line: string): void => {
          if (o.json) return
          if (process.stderr.isTTY && lastStatus !== '') process.stderr.write('\r\x1b[K')
          process.stderr.write(line + '\n')
          if (process.stderr.isTTY && lastStatus !== '') process.stderr.write(lastStatus)
        }
        let sync = { localLength: 0, remoteLength: 0, synced: false, shared: false }
        let stopSync: (() => void) | null = null
        // Both sides hold the same blocks: kappa-core's sync tracker says we hold what every
        // peer reported (synced) and some peer holds every block we hold (shared).
        const bothSynced = (): boolean => sync.synced && sync.shared
        // What is indexed already (no 'progress' event comes when nothing is left to index).
        let index: { indexed: number; total: number } = (await db.status()).index
        const redraw = (): void => status(`${peersLine()} | blocks ${sync.localLength}/${Math.max(sync.remoteLength, sync.localLength)}${sync.synced ? ' (synced)' : ''} | indexed ${index.indexed}/${index.total}`)
        db.on('peer-add', () => { event(`peer connected (${peersLine()})`); redraw() })
        db.on('peer-remove', () => {
          event(`peer left (${peersLine()})`)
          redraw()
          // A peer that leaves once we hold all it had: it left synced (or we cannot know more).
          if (opts.untilSynced === true && sync.synced && db.peers.length === 0) stopSync?.()
        })
        db.on('sync-progress', (p) => {
          sync = p
          redraw()
          if (opts.untilSynced === true && bothSynced()) stopSync?.()
        })
        db.on('progress', (p) => { index = p; redraw() })
        await db.join(bootstrap === undefined ? {} : { bootstrap: bootstrap.split(',').filter((s) => s !== '') })
        const until = opts.untilSynced === true
          ? 'stops once a peer and this one hold the same data'
          : opts.duration !== undefined ? `stops after ${opts.duration} s (Ctrl-C to stop sooner)` : 'Ctrl-C to stop'
        event(`joined ${db.key.slice(0, 16)}…; ${until}`)
        redraw()
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve()
          stopSync = stop
          // (the tracker re-evaluates while peers are connected: a 'sync-progress' says when)
          const now = db.swarm?.progress()
          if (now !== undefined) sync = now
          if (opts.untilSynced === true && bothSynced()) stop()
          process.once('SIGINT', stop)
          process.once('SIGTERM', stop)
          if (opts.duration !== undefined) setTimeout(stop, opts.duration * 1000).unref()
        })
        if (!o.json && process.stderr.isTTY) process.stderr.write('\n')
        await db.indexed()
        const st = await db.status()
        o.result({ peers: db.peers.length, feeds: st.feeds }, () => [`${peersLine()}`, ...st.feeds.map(feedLine)])
      })
    })

  program.command('status').description('key, mode, feeds and index progress').action(async () => {
    await withDb(g(), async (db) => {
      const st = await db.status()
      out().result(st, () => [
        `key:    ${st.key}`,
        `mode:   ${st.mode}`,
        `writer: ${st.writer}${st.writer === st.root ? ' (root)' : ''}`,
        `index:  ${st.index.indexed}/${st.index.total} (${st.index.state})${st.index.skipped > 0 ? `, ${st.index.skipped} skipped (kappa-db skipped)` : ''}`,
        'feeds:',
        ...st.feeds.map(feedLine)
      ])
    })
  })

  program.command('skipped').description('entries the index could not take (a peer\'s malformed record, a value nested too deep), with the reason')
    .option('--feed <key>', 'only this feed\'s')
    .action(async (opts: { feed?: string }) => {
      await withDb(g(), async (db) => {
        const list = await db.skipped(opts.feed)
        out().result(list, () => list.length === 0
          ? 'nothing skipped'
          : list.map((s) => `${s.key.slice(0, 8)}…@${s.block}${s.index === null ? ' (whole block)' : '.' + String(s.index)} ${s.code}: ${s.reason}`))
      })
    })

  registerServe(program, g)
  return program
}

/** The schema's definition, or ERR_UNKNOWN_SCHEMA (reading a schema that does not exist is a mistake, not an empty result). */
async function requireSchema (db: RecordDB, name: string): Promise<JsonSchema> {
  const def = await db.getSchema(name)
  if (def === null) throw new RecordDbError('ERR_UNKNOWN_SCHEMA', `unknown schema "${name}"`)
  return def
}

function feedLine (f: { key: string; length: number; local: boolean; counted: number | 'all' }): string {
  return `  ${f.key} ${f.local ? '(this peer) ' : ''}length ${f.length}, counted ${f.counted === 'all' ? 'all' : f.counted}`
}

/** Says so when what this peer writes does not count (an unauthorized writer). */
async function warnIfNotCounted (db: RecordDB, o: Out): Promise<void> {
  if (!o.json && !(await db.writable())) {
    o.info(`note: this peer's writer is not authorized, so its records are stored and replicated but do not count; the owner can run: kappa-db authorize ${db.writerKey}`)
  }
}

/** Waits for the index, with a progress bar on a terminal when there is a backlog. */
async function indexedWithProgress (db: RecordDB, o: Out): Promise<void> {
  const { index } = await db.status()
  if (o.json || process.stderr.isTTY !== true || index.total - index.indexed < 1000) {
    await db.indexed()
    return
  }
  const bar = new cliProgress.SingleBar({ format: 'index  |{bar}| {percentage}% | {value}/{total} entries', stream: process.stderr }, cliProgress.Presets.shades_classic)
  bar.start(index.total, index.indexed)
  const onProgress = (p: { indexed: number; total: number }): void => { bar.setTotal(p.total); bar.update(p.indexed) }
  db.on('progress', onProgress)
  try {
    await db.indexed()
  } finally {
    db.off('progress', onProgress)
    bar.stop()
  }
}

async function withDb (opts: GlobalOpts, fn: (db: RecordDB) => Promise<void>): Promise<void> {
  if (readStoredConfig(opts.storage) === null) { // ERR_STORAGE when it cannot be read
    throw new RecordDbError('ERR_NOT_FOUND', `no database in ${opts.storage}: run kappa-db init (or pass --storage)`)
  }
  const db = new RecordDB(opts.storage)
  try {
    await db.ready()
    // A backlog (after a sync, or an interrupted import) is indexed before the command runs.
    await indexedWithProgress(db, makeOut(opts.json === true))
    await fn(db)
  } finally {
    await db.close()
  }
}

async function printStream (o: Out, records: AsyncIterable<RecordVersion>): Promise<void> {
  if (o.json) {
    // One JSON array, streamed (a large list never sits in memory).
    let first = true
    process.stdout.write('[')
    for await (const r of records) {
      process.stdout.write((first ? '' : ',\n') + JSON.stringify(r, replacer))
      first = false
    }
    process.stdout.write(']\n')
    return
  }
  for await (const r of records) process.stdout.write(recordLine(r) + '\n')
}

const CONDITION = /^([^=<>]+?)(>=|<=|=|>|<)(.*)$/s
const OPS = { '=': 'eq', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const

/**
 * `field=value`, `field>=value`, …: values typed by the schema's property type (an array
 * field by its items' type). Anything that would silently match nothing is ERR_BAD_QUERY:
 * an unreadable condition, a doubled operator (`year>>3`), spaces around the operator
 * (`author = Butler`), no value, or a value that is not of the field's type (`year=abc`).
 */
export function parseConditions (conditions: string[], schema: JsonSchema): Where {
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown; items?: { type?: unknown } }>
  const where: Record<string, Range> = {}
  const usage = 'use field=value, field>=value, field<value, …'
  for (const c of conditions) {
    const m = CONDITION.exec(c)
    if (m === null) throw new RecordDbError('ERR_BAD_QUERY', `cannot read condition "${c}" (${usage})`)
    const [, rawField, opText, text] = m as unknown as [string, string, keyof typeof OPS, string]
    const field = rawField.trim()
    if (/^[=<>]/.test(text)) throw new RecordDbError('ERR_BAD_QUERY', `condition "${c}": "${opText}${text.slice(0, 1)}" is not an operator (${usage})`)
    if (field !== rawField || (text !== text.trim() && text.trim() !== '')) {
      throw new RecordDbError('ERR_BAD_QUERY', `condition "${c}": no spaces around the operator, write ${field}${opText}${text.trim()} (spaces inside a value are fine)`)
    }
    if (text === '') throw new RecordDbError('ERR_BAD_QUERY', `condition "${c}": no value after "${opText}" (${usage})`)
    const types = fieldTypes(props[field])
    const value = typedValue(text, types)
    if (value === undefined) {
      const kinds = types.map((t) => ({ integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null' } as Record<string, string>)[t] ?? t)
      throw new RecordDbError('ERR_BAD_QUERY', `condition "${c}": ${field} takes ${kinds.join(' or ')}, not "${text}"`)
    }
    where[field] = { ...(where[field] ?? {}), [OPS[opText]]: value }
  }
  return where
}

/** The JSON types a condition on this property compares with: an array's items' (indexed element by element). */
function fieldTypes (prop: { type?: unknown; items?: { type?: unknown } } | undefined): string[] {
  const typesOf = (type: unknown): string[] => (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === 'string')
  const own = typesOf(prop?.type)
  return own.includes('array') ? typesOf(prop?.items?.type) : own
}

/** The condition's value as the field's type; undefined when it cannot be one (no type declared: a number if it reads as one, else the text). */
function typedValue (text: string, types: string[]): IndexValue | undefined {
  if (types.length === 0) return text === 'null' ? null : isNumeric(text) ? Number(text) : text
  if (types.includes('string')) return text
  if ((types.includes('number') || types.includes('integer')) && isNumeric(text)) return Number(text)
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true'
  if (types.includes('null') && text === 'null') return null
  return undefined
}

function isNumeric (text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text))
}

function toInt (v: string): number {
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new RecordDbError('ERR_BAD_OPTION', `not a non-negative integer: ${v}`)
  return n
}

async function readStdin (): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A file stream for --out, opened before anything is read or written: a folder,
 * a missing folder or a file we may not write is a clear ERR_OUTPUT, not an
 * unhandled 'error' event. A write error later fails the command the same way.
 */
async function openOutput (file: string): Promise<WriteStream> {
  const sink = createWriteStream(file)
  try {
    await once(sink, 'open')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EISDIR'
      ? 'it is a folder'
      : code === 'ENOENT'
        ? `the folder ${path.dirname(path.resolve(file))} does not exist`
        : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message
    throw new RecordDbError('ERR_OUTPUT', `cannot write to ${file}: ${why}${code !== undefined ? ` (${code})` : ''}`)
  }
  sink.on('error', () => {}) // not an unhandled 'error': the export's drain and finished() waits reject with it
  return sink
}
