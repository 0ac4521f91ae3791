// `npm run bench:serve`: requests/s and latency of `kappa-db serve` under load (autocannon),
// against a record-db holding the generated title.basics rows (100,000 by default).
//
// The server runs as its own process (`kappa-db serve --offline`), as a user runs it, so the
// load generator does not share its event loop. Options: --rows N, --seed N, --duration S
// (per target, default 10), --connections N (default 10), --keep (keep the temp folder).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { RecordDB } from '@kappa-ts/record-db'
import { DEFAULT_ROWS, DEFAULT_SEED, readBatches, writeTsv } from './generate.js'
import { Prng } from './prng.js'

const TOKEN = 'bench-token-0123456789abcdef'
const BIN = fileURLToPath(new URL('../../../packages/record-db/dist/src/cli/bin.js', import.meta.url))

// The imported record: tconst is the id; type, year and genres are indexed, the titles searchable.
const titleSchema = {
  type: 'object',
  required: ['tconst', 'titleType', 'primaryTitle'],
  properties: {
    tconst: { type: 'string' },
    titleType: { type: 'string', index: true },
    primaryTitle: { type: 'string', search: true },
    originalTitle: { type: 'string' },
    isAdult: { type: 'boolean' },
    startYear: { type: ['integer', 'null'], index: true },
    endYear: { type: ['integer', 'null'] },
    runtimeMinutes: { type: ['integer', 'null'] },
    genres: { type: 'array', items: { type: 'string' }, index: true }
  }
}

interface Args { rows: number; seed: number; duration: number; connections: number; keep: boolean }

function parseArgs (argv: string[]): Args {
  const args: Args = { rows: DEFAULT_ROWS, seed: DEFAULT_SEED, duration: 10, connections: 10, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const num = (): number => {
      const n = Number(argv[++i])
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`)
      return n
    }
    if (a === '--rows') args.rows = num()
    else if (a === '--seed') args.seed = num()
    else if (a === '--duration') args.duration = num()
    else if (a === '--connections') args.connections = num()
    else if (a === '--keep') args.keep = true
    else throw new Error(`unknown option ${a}`)
  }
  return args
}

const log = (s: string): void => { process.stderr.write(s + '\n') }

/** Imports the TSV into a new record-db; returns it (open) and the ids (tconst) in file order. */
async function load (storage: string, tsv: string): Promise<{ db: RecordDB; ids: string[] }> {
  const db = new RecordDB(storage, { mode: 'open' })
  await db.ready()
  await db.putSchema('title', titleSchema)
  const ids: string[] = []
  const t0 = performance.now()
  for await (const batch of readBatches(tsv, 1000)) {
    await db.batch(batch.map((r) => ({ type: 'put' as const, schema: 'title', id: r.tconst, value: r })), { fresh: true })
    for (const r of batch) ids.push(r.tconst)
  }
  await db.indexed()
  log(`loaded ${ids.length} records in ${((performance.now() - t0) / 1000).toFixed(1)} s (appended and indexed)`)
  return { db, ids }
}

/** Median of `n` sequential in-process calls (ms): what the same read costs without HTTP. */
async function directP50 (fn: () => Promise<unknown>, n = 300): Promise<number> {
  for (let i = 0; i < 20; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return Math.round((times[Math.floor(n / 2)] as number) * 100) / 100
}

async function drain (it: AsyncIterable<unknown>): Promise<void> { for await (const _ of it) { /* read all */ } }

async function startServe (storage: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, '--json', '--storage', storage, 'serve', '--offline', '--port', '0'], {
    env: { ...process.env, KAPPA_DB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  const [line] = await Promise.race([
    new Promise<[string]>((resolve) => child.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve([out.split('\n')[0] as string]) })),
    once(child, 'exit').then(() => { throw new Error('kappa-db serve exited') })
  ])
  return { child, url: (JSON.parse(line) as { url: string }).url.replace(/#.*$/, '') }
}

interface Figures { target: string; requests: number; rps: number; mean: number; p50: number; p99: number; errors: number; non2xx: number; direct: number }

async function hit (name: string, url: string, paths: () => string, args: Args, direct: number): Promise<Figures> {
  // One warm-up second (JIT, caches), then the measured run.
  for (const [duration, measured] of [[1, false], [args.duration, true]] as const) {
    const result = await autocannon({
      url,
      connections: args.connections,
      duration,
      headers: { authorization: `Bearer ${TOKEN}` },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths() }) }]
    })
    if (!measured) continue
    return {
      target: name,
      requests: result.requests.total,
      rps: Math.round(result.requests.average),
      mean: result.latency.average,
      direct,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx
    }
  }
  throw new Error('unreachable')
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kappa-serve-bench-'))
  let server: ChildProcess | null = null
  try {
    const tsv = path.join(dir, 'title.basics.tsv')
    writeTsv(tsv, args.rows, args.seed)
    const { db, ids } = await load(path.join(dir, 'db'), tsv)
    const rng = new Prng(args.seed)
    const randomId = (): string => ids[rng.int(0, ids.length - 1)] as string
    const q = (conds: string[], limit: number): string => `/api/query/title?${conds.map((c) => `where=${encodeURIComponent(c)}`).join('&')}&limit=${limit}`
    // [name, request path, the same read in-process]
    const targets: Array<[string, () => string, () => Promise<unknown>]> = [
      ['GET /api/records/title/:id (random ids)', () => `/api/records/title/${randomId()}`, async () => await db.get('title', randomId())],
      ['GET /api/query/title?where=startYear=1994&limit=10', () => q(['startYear=1994'], 10), async () => await drain(db.query('title', { where: { startYear: 1994 }, limit: 11 }))],
      ['GET /api/query/title?where=titleType=movie&where=startYear>=2015&limit=10', () => q(['titleType=movie', 'startYear>=2015'], 10),
        async () => await drain(db.query('title', { where: { titleType: 'movie', startYear: { gte: 2015 } }, limit: 11 }))],
      ['GET /api/query/title?where=genres=Western&limit=100', () => q(['genres=Western'], 100), async () => await drain(db.query('title', { where: { genres: 'Western' }, limit: 101 }))]
    ]
    const direct: number[] = []
    for (const [, , fn] of targets) direct.push(await directP50(fn))
    await db.close()
    const started = await startServe(path.join(dir, 'db'))
    server = started.child
    log(`load: ${args.connections} connections, ${args.duration} s per target, against ${started.url} (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`)
    const rows: Figures[] = []
    for (const [i, [name, paths]] of targets.entries()) {
      const f = await hit(name, started.url, paths, args, direct[i] as number)
      log(`${name}: ${f.rps} req/s, mean ${f.mean} ms, p50 ${f.p50} ms, p99 ${f.p99} ms (in-process p50 ${f.direct} ms)${f.non2xx + f.errors > 0 ? ` (${f.non2xx} non-2xx, ${f.errors} errors)` : ''}`)
      rows.push(f)
    }
    process.stdout.write([
      `| request (${args.rows.toLocaleString('en')} records, ${args.connections} connections, ${args.duration} s) | req/s | mean ms | p50 ms | p99 ms | non-2xx | in-process p50 ms |`,
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| \`${r.target}\` | ${r.rps} | ${r.mean} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} | ${r.direct} |`)
    ].join('\n') + '\n')
    if (rows.some((r) => r.non2xx + r.errors > 0)) process.exitCode = 1
  } finally {
    if (server !== null && server.exitCode === null) {
      server.kill('SIGTERM')
      await once(server, 'exit')
    }
    if (!args.keep) rmSync(dir, { recursive: true, force: true })
    else log(`kept ${dir}`)
  }
}

await main()
