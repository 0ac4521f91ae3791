// The smaller kappa-db commands: schema list/show, put from stdin, list options,
// revoke, open mode, usage and input errors.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tmpDir } from '@kappa-ts/test-helpers'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

function cli (cwd: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    child.stdin.end(stdin ?? '')
  })
}

test('kappa-db commands: schema list/show, put from stdin, list options, revoke, errors', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const run = (...args: string[]): ReturnType<typeof cli> => cli(dir, args)
  t.equal((await run('--json', 'init', '--mode', 'open')).code, 0, 'init in open mode')
  const st = JSON.parse((await run('--json', 'status')).stdout) as { mode: string; root: string }
  t.deepEqual([st.mode, st.root], ['open', ''], 'status says open mode, no root')
  fs.writeFileSync(path.join(dir, 'tag.schema.json'), JSON.stringify({ type: 'object', required: ['label'], properties: { label: { type: 'string', index: true } } }))
  t.equal((await run('schema', 'add', 'tag.schema.json')).code, 0)
  t.deepEqual(JSON.parse((await run('--json', 'schema', 'list')).stdout), ['tag'], 'schema name from the file name')
  t.equal((JSON.parse((await run('--json', 'schema', 'show', 'tag')).stdout) as { required: string[] }).required[0], 'label', 'schema show')
  t.equal((await run('schema', 'show', 'nope')).code, 1, 'unknown schema')

  const fromStdin = await cli(dir, ['--json', 'put', 'tag', '--id', 't1'], '{"label":"from stdin"}')
  t.deepEqual(JSON.parse(fromStdin.stdout), { id: 't1' }, 'put reads the value from stdin')
  for (const id of ['t2', 't3', 't4']) await run('put', 'tag', `{"label":"${id}"}`, '--id', id)
  const ids = async (...args: string[]): Promise<string[]> => (JSON.parse((await run('--json', 'list', 'tag', ...args)).stdout) as Array<{ id: string }>).map((r) => r.id)
  t.deepEqual(await ids(), ['t1', 't2', 't3', 't4'])
  t.deepEqual(await ids('--reverse', '--limit', '2'), ['t4', 't3'])
  t.deepEqual(await ids('--gt', 't1', '--lt', 't4'), ['t2', 't3'])
  t.deepEqual((JSON.parse((await run('--json', 'query', 'tag', 'label=from stdin')).stdout) as Array<{ id: string }>).map((r) => r.id), ['t1'], 'query with a space in the value')

  const badJson = await run('--json', 'put', 'tag', '{oops')
  t.equal(badJson.code, 1)
  t.equal((JSON.parse(badJson.stdout) as { error: { code: string } }).error.code, 'ERR_VALIDATION', 'invalid JSON is a validation error')
  const notIndexed = await run('query', 'tag', 'other=1')
  t.equal(notIndexed.code, 1)
  t.match(notIndexed.stderr, /ERR_NOT_INDEXED/, 'querying a field that is not indexed')
  t.match((await run('query', 'tag', 'label~x')).stderr, /ERR_BAD_QUERY/, 'an unreadable condition')
  fs.writeFileSync(path.join(dir, 'rows.txt'), 'x')
  t.match((await run('import', 'rows.txt', '--schema', 'tag')).stderr, /pass --format/, 'import needs a known format')
  t.match((await run('import', 'missing.csv', '--schema', 'tag')).stderr, /no such file/, 'import of a missing file')
  t.match((await run('authorize', 'not-a-key')).stderr, /ERR_BAD_KEY/, 'authorize checks the key')
  t.equal((await run('revoke', 'ab'.repeat(32), '--length', '0')).code, 0, 'revoke writes a core/source revocation')
  t.equal((await run('frobnicate')).code, 1, 'unknown command')
  t.match((await run('--help')).stdout, /import \[options\] <file>/, '--help lists the commands')
})

test('kappa-db: conditions that would silently match nothing are ERR_BAD_QUERY; a missing id or schema is an error in get, history, del, list', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const run = (...args: string[]): ReturnType<typeof cli> => cli(dir, args)
  await run('init')
  fs.writeFileSync(path.join(dir, 'book.json'), JSON.stringify({
    type: 'object',
    properties: {
      title: { type: 'string' },
      author: { type: 'string', index: true },
      year: { type: 'integer', index: true },
      ratings: { type: 'array', items: { type: 'number' }, index: true },
      inPrint: { type: 'boolean', index: true }
    }
  }))
  await run('schema', 'add', 'book.json')
  await run('put', 'book', '{"title":"Kindred","author":"Butler","year":1979,"ratings":[4.5],"inPrint":true}', '--id', 'kindred')
  const bad: Array<[string, RegExp]> = [
    ['year=abc', /year takes an integer, not "abc"/],
    ['year>>3', /">>" is not an operator/],
    ['year=>1970', /"=>" is not an operator/],
    ['author = Butler', /no spaces around the operator, write author=Butler/],
    ['author= Butler', /no spaces around the operator/],
    ['year>=', /no value after ">="/],
    ['ratings=good', /ratings takes a number, not "good"/],
    ['inPrint=yes', /inPrint takes true or false, not "yes"/],
    ['=1979', /cannot read condition/]
  ]
  for (const [cond, message] of bad) {
    const r = await run('query', 'book', cond)
    t.equal(r.code, 1, `"${cond}" exits 1`)
    t.match(r.stderr, message, `"${cond}": says what is wrong`)
    t.match(r.stderr, /\(ERR_BAD_QUERY\)/, `"${cond}": ERR_BAD_QUERY`)
    t.equal(r.stdout, '', `"${cond}": prints no results`)
  }
  const json = await run('--json', 'query', 'book', 'year=abc')
  t.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'ERR_BAD_QUERY', '--json: the error as JSON')
  for (const cond of ['year=1979', 'year>=1979', 'ratings=4.5', 'inPrint=true', 'author=Butler']) {
    t.match((await run('query', 'book', cond)).stdout, /^kindred\t/, `"${cond}" still finds the record`)
  }

  for (const cmd of ['get', 'history', 'del']) {
    const r = await run(cmd, 'book', 'nosuchid')
    t.equal(r.code, 1, `${cmd} of a missing id exits 1`)
    t.match(r.stderr, /no record book\/nosuchid \(ERR_NOT_FOUND\)/, `${cmd}: ERR_NOT_FOUND`)
  }
  for (const args of [['get', 'nobook', 'x'], ['history', 'nobook', 'x'], ['list', 'nobook'], ['query', 'nobook', 'a=1']]) {
    t.match((await run(...args)).stderr, /unknown schema "nobook" \(ERR_UNKNOWN_SCHEMA\)/, `${args[0]} of an unknown schema: ERR_UNKNOWN_SCHEMA`)
  }
  t.equal((await run('history', 'book', 'kindred')).code, 0, 'history of an existing record still works')
})

test('kappa-db export carries the schemas: import --format export restores into an empty database with one command', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const run = (...args: string[]): ReturnType<typeof cli> => cli(dir, args)
  await run('init')
  fs.writeFileSync(path.join(dir, 'book.json'), JSON.stringify({ type: 'object', required: ['title'], properties: { title: { type: 'string', search: true }, year: { type: 'integer', index: true } } }))
  fs.writeFileSync(path.join(dir, 'author.json'), JSON.stringify({ type: 'object', required: ['name'], properties: { name: { type: 'string', index: true } } }))
  await run('schema', 'add', 'book.json')
  await run('schema', 'add', 'author.json')
  await run('put', 'book', '{"title":"Kindred","year":1979}', '--id', 'kindred')
  await run('put', 'book', '{"title":"Dawn","year":1987}', '--id', 'dawn')
  await run('put', 'author', '{"name":"Octavia E. Butler"}', '--id', 'butler')
  await run('del', 'book', 'dawn')
  const exported = await run('export', '--out', 'all.ndjson')
  t.match(exported.stdout, /exported 2 records and 2 schemas to all.ndjson/, 'export says what it wrote')
  const lines = fs.readFileSync(path.join(dir, 'all.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { schema: string; id: string })
  t.deepEqual(lines.map((l) => `${l.schema}/${l.id}`), ['core/schema/author', 'core/schema/book', 'author/butler', 'book/kindred'], 'schema definitions first, then the live records (by schema name)')

  await run('--storage', 'empty', 'init')
  const imp = await run('--storage', 'empty', '--json', 'import', 'all.ndjson', '--format', 'export')
  t.equal(imp.code, 0, 'one import into an empty database, no schema add, no --schema')
  const summary = JSON.parse(imp.stdout) as { imported: number; schemas: number; rejected: number }
  t.deepEqual([summary.imported, summary.schemas, summary.rejected], [2, 2, 0], '2 records and 2 schemas, nothing rejected')
  const again = await run('--storage', 'empty', 'export')
  t.equal(again.stdout, fs.readFileSync(path.join(dir, 'all.ndjson'), 'utf8'), 'exporting the restored database gives the same file')
  t.match((await run('--storage', 'empty', 'query', 'book', 'year=1979')).stdout, /^kindred\t/, 'the restored schema indexes as the original')
  t.match((await run('--storage', 'empty', 'search', 'kindred')).stdout, /book\/kindred/, 'and searches')

  // A database with another definition of a schema keeps its own and says so.
  await run('--storage', 'other', 'init')
  fs.writeFileSync(path.join(dir, 'book2.json'), JSON.stringify({ type: 'object', properties: { title: { type: 'string' } } }))
  await run('--storage', 'other', 'schema', 'add', 'book2.json', '--name', 'book')
  const clash = await run('--storage', 'other', 'import', 'all.ndjson', '--format', 'export', '--schema', 'book')
  t.match(clash.stdout, /line 2: the database has another definition of schema "book": kept it/, 'a different definition is not replaced')
  t.match(clash.stdout, /line 1: a row of schema "core\/schema" \(importing "book" only\)/, '--schema book: the other schema\'s definition is skipped')
  t.match(clash.stdout, /imported 1 of 4 rows, rejected 3/, 'only the book record is imported')
  t.match((await run('import', 'all.ndjson', '--format', 'ndjson')).stderr, /--schema is required for ndjson rows/, 'plain rows need --schema')
})

test('kappa-db import of IMDB-shaped TSV: \\N is a missing field, comma-separated cells become arrays', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const run = (...args: string[]): ReturnType<typeof cli> => cli(dir, args)
  await run('init')
  fs.writeFileSync(path.join(dir, 'title.json'), JSON.stringify({
    type: 'object',
    required: ['tconst', 'titleType', 'primaryTitle', 'startYear'],
    properties: {
      tconst: { type: 'string', pattern: '^tt[0-9]+$' },
      titleType: { type: 'string', index: true },
      primaryTitle: { type: 'string', search: true },
      originalTitle: { type: 'string' },
      isAdult: { type: 'integer', enum: [0, 1] },
      startYear: { type: 'integer', index: true },
      endYear: { type: 'integer' },
      runtimeMinutes: { type: 'integer' },
      genres: { type: 'array', items: { type: 'string' }, maxItems: 3, index: true }
    }
  }))
  await run('schema', 'add', 'title.json')
  const rows = [
    'tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres',
    'tt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short',
    'tt0000002\tshort\tLe clown et ses chiens\tLe clown et ses chiens\t0\t1892\t\\N\t5\tAnimation,Short',
    'tt0000009\tmovie\tMiss Jerry\tMiss Jerry\t0\t1894\t\\N\t45\tRomance',
    'tt0043044\ttvSeries\tThe Jack Benny Program\tThe Jack Benny Program\t0\t1950\t1965\t\\N\tComedy,Family,Music',
    'tt0000502\tmovie\tBohemios\tBohemios\t0\t1905\t\\N\t100\t\\N',
    'tt0000610\tmovie\tToo many genres\tToo many genres\t0\t1905\t\\N\t\\N\tA,B,C,D'
  ]
  fs.writeFileSync(path.join(dir, 'title.basics.tsv'), rows.join('\n') + '\n')
  const imp = JSON.parse((await run('--json', 'import', 'title.basics.tsv', '--schema', 'title', '--id-field', 'tconst')).stdout) as { imported: number; rejected: number; errors: Array<{ line: number; error: string }> }
  t.equal(imp.imported, 5, 'every well-formed row is imported (\\N cells are missing fields, not text)')
  t.deepEqual(imp.errors.map((e) => e.line), [7], 'only the row with four genres (maxItems 3) is rejected')
  const get = (id: string): Promise<Record<string, unknown>> => run('--json', 'get', 'title', id).then((r) => (JSON.parse(r.stdout) as Array<{ value: Record<string, unknown> }>)[0]!.value)
  const carmencita = await get('tt0000001')
  t.deepEqual(carmencita.genres, ['Documentary', 'Short'], 'a comma-separated cell is an array where the schema says array')
  t.notOk('endYear' in carmencita, '\\N: no endYear field at all')
  t.equal(carmencita.startYear, 1894, 'other cells typed as before')
  t.notOk('runtimeMinutes' in (await get('tt0043044')), '\\N in a number column is missing too')
  t.notOk('genres' in (await get('tt0000502')), '\\N in an array column is missing')
  t.deepEqual((await get('tt0000009')).genres, ['Romance'], 'a single value is a one-element array')
  const shorts = (JSON.parse((await run('--json', 'query', 'title', 'genres=Short')).stdout) as Array<{ id: string }>).map((r) => r.id)
  t.deepEqual(shorts.sort(), ['tt0000001', 'tt0000002'], 'array elements are indexed one by one')

  // The marker and the separator are options.
  await run('--storage', 'raw', 'init')
  await run('--storage', 'raw', 'schema', 'add', 'title.json')
  const raw = JSON.parse((await run('--storage', 'raw', '--json', 'import', 'title.basics.tsv', '--schema', 'title', '--null', '')).stdout) as { imported: number; errors: Array<{ error: string }> }
  t.equal(raw.imported, 0, '--null "": \\N is text again, and is not an integer')
  t.match(raw.errors[0]?.error ?? '', /endYear must be integer/, 'the reason names the field')
  fs.writeFileSync(path.join(dir, 'piped.csv'), 'tconst,titleType,primaryTitle,startYear,genres\ntt1,movie,Piped,2001,Drama|Sci-Fi\ntt2,movie,Nulls,NULL,Drama\n')
  const piped = JSON.parse((await run('--storage', 'raw', '--json', 'import', 'piped.csv', '--schema', 'title', '--id-field', 'tconst', '--array-separator', '|', '--null', 'NULL')).stdout) as { imported: number; errors: Array<{ error: string }> }
  t.equal(piped.imported, 1, 'CSV with --array-separator "|" and --null NULL')
  t.match(piped.errors[0]?.error ?? '', /must have required property 'startYear'/, 'the NULL cell is a missing field')
  t.deepEqual((JSON.parse((await run('--storage', 'raw', '--json', 'get', 'title', 'tt1')).stdout) as Array<{ value: { genres: string[] } }>)[0]!.value.genres, ['Drama', 'Sci-Fi'], 'split on "|"')
})
