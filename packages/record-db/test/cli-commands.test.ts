// The smaller kappa-db commands: schema list/show, put from stdin, list options,
// revoke, open mode, usage and input errors.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { rm, tmpdir } from './helpers.js'

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
  const dir = tmpdir()
  const run = (...args: string[]): ReturnType<typeof cli> => cli(dir, args)
  try {
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
  } finally {
    rm(dir)
  }
})

test('kappa-db: conditions that would silently match nothing are ERR_BAD_QUERY; a missing id or schema is an error in get, history, del, list', async (t) => {
  const dir = tmpdir()
  const run = (...args: string[]): ReturnType<typeof cli> => cli(dir, args)
  try {
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
  } finally {
    rm(dir)
  }
})
