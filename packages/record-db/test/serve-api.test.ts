// kappa-db serve, the JSON API: every route over a real socket, its status codes and error
// bodies, the token check, and the OpenAPI document the package ships.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, tmpDir } from '@kappa-ts/test-helpers'
import { openDb, caughtUp } from './helpers.js'
import { bookSchema, call, serve, TOKEN } from './serve-helpers.js'
import { isLoopback, resolveToken, ServeError, LIMITS } from '../src/serve/index.js'

const OPENAPI_FILE = fileURLToPath(new URL('../../openapi.json', import.meta.url))

// Every API route, as [method, path] with its parameters filled in.
const ROUTES: Array<[string, string]> = [
  ['GET', 'api/status'],
  ['GET', 'api/schemas'],
  ['GET', 'api/schemas/book'],
  ['PUT', 'api/schemas/book'],
  ['GET', 'api/records/book'],
  ['POST', 'api/records/book'],
  ['GET', 'api/records/book/r1'],
  ['PUT', 'api/records/book/r1'],
  ['DELETE', 'api/records/book/r1'],
  ['GET', 'api/records/book/r1/history'],
  ['GET', 'api/query/book?where=year=1'],
  ['GET', 'api/search?q=x'],
  ['GET', 'api/events'],
  ['GET', 'api/openapi.json']
]

test('serve: every /api route needs the token; the UI does not', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  const srv = await serve(db)
  try {
    for (const [method, p] of ROUTES) {
      const body = method === 'PUT' || method === 'POST' ? { title: 'x', year: 1 } : undefined
      const none = await call(srv, method, p, { token: null, body })
      t.equal(none.status, 401, `${method} ${p} without a token: 401`)
      t.equal(none.body?.error?.code, 'ERR_UNAUTHORIZED', '  error code')
      t.equal(none.headers.get('www-authenticate'), 'Bearer realm="kappa-db"', '  WWW-Authenticate')
      const wrong = await call(srv, method, p, { token: TOKEN + 'x', body })
      t.equal(wrong.status, 401, `${method} ${p} with a wrong token: 401`)
    }
    const basic = await call(srv, 'GET', 'api/status', { token: null, headers: { authorization: `Basic ${TOKEN}` } })
    t.equal(basic.status, 401, 'another scheme than Bearer: 401')
    t.equal((await call(srv, 'GET', 'api/status')).status, 200, 'with the token: 200')
    t.equal(await db.schemas().then((s) => s.length), 0, 'nothing was written by the refused requests')

    const page = await call(srv, 'GET', '', { token: null })
    t.equal(page.status, 200, 'GET / (the UI) needs no token')
    t.match(String(page.body), /<title>kappa-db<\/title>/, 'and is the UI page')
    t.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/, 'served with a strict CSP')
    const js = await call(srv, 'GET', 'app.js', { token: null })
    t.equal(js.status, 200, 'the UI script')
    t.match(js.headers.get('content-type') ?? '', /javascript/, '  as JavaScript')
    const vendor = await call(srv, 'GET', 'vendor/eventsource-parser.js', { token: null })
    t.equal(vendor.status, 200, 'the SSE parser the UI imports is served from the package')
    t.match(String(vendor.body), /export\s*\{/, '  as an ES module')
    const nope = await call(srv, 'GET', 'api/nope')
    t.equal(nope.status, 404, 'an unknown route: 404')
    t.equal(nope.body.error.code, 'ERR_NO_ROUTE', '  ERR_NO_ROUTE')
  } finally {
    await srv.close()
    await db.close()
  }
})

test('serve: status and schemas', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  const srv = await serve(db)
  try {
    const st = await call(srv, 'GET', 'api/status')
    t.equal(st.status, 200)
    t.equal(st.body.key, db.key, 'status: key')
    t.equal(st.body.mode, 'authorized', 'status: mode')
    t.equal(st.body.writer, db.writerKey, 'status: writer')
    t.equal(st.body.writable, true, 'status: this peer writes')
    t.equal(st.body.online, false, 'status: not in the swarm')
    t.deepEqual(st.body.peers, [], 'status: no peers')
    t.ok(Array.isArray(st.body.feeds) && typeof st.body.index.indexed === 'number', 'status: feeds and index progress')

    t.deepEqual((await call(srv, 'GET', 'api/schemas')).body, { schemas: [] }, 'no schemas yet')
    const put = await call(srv, 'PUT', 'api/schemas/book', { body: bookSchema })
    t.equal(put.status, 200, 'PUT a schema: 200')
    t.deepEqual(put.body, { name: 'book' })
    t.deepEqual((await call(srv, 'GET', 'api/schemas')).body, { schemas: ['book'] }, 'listed')
    t.deepEqual((await call(srv, 'GET', 'api/schemas/book')).body, bookSchema, 'GET returns the JSON Schema as PUT')
    t.deepEqual(await db.getSchema('book'), bookSchema, 'stored in the database')
    const builtin = await call(srv, 'GET', 'api/schemas/core%2Fschema')
    t.equal(builtin.status, 200, 'a built-in schema by its URL-encoded name')

    const missing = await call(srv, 'GET', 'api/schemas/nope')
    t.equal(missing.status, 404, 'unknown schema: 404')
    t.equal(missing.body.error.code, 'ERR_UNKNOWN_SCHEMA')
    const bad = await call(srv, 'PUT', 'api/schemas/bad', { body: { type: 'nonsense' } })
    t.equal(bad.status, 422, 'a schema ajv cannot compile: 422')
    t.equal(bad.body.error.code, 'ERR_BAD_SCHEMA')
    const reserved = await call(srv, 'PUT', 'api/schemas/core%2Fsource', { body: { type: 'object' } })
    t.equal(reserved.status, 403, 'redefining a built-in schema: 403')
    t.equal(reserved.body.error.code, 'ERR_RESERVED_SCHEMA')
    const notObject = await call(srv, 'PUT', 'api/schemas/arr', { body: [1, 2] })
    t.equal(notObject.status, 400, 'a schema that is not an object: 400')
    t.equal(notObject.body.error.code, 'ERR_BAD_REQUEST')
    const badJson = await call(srv, 'PUT', 'api/schemas/x', { raw: '{"type":', headers: { 'content-type': 'application/json' } })
    t.equal(badJson.status, 400, 'a body that is not JSON: 400')
    t.equal(badJson.body.error.code, 'ERR_BAD_JSON')
    const text = await call(srv, 'PUT', 'api/schemas/x', { raw: 'type: object', headers: { 'content-type': 'text/yaml' } })
    t.equal(text.status, 415, 'another content type: 415')
    t.equal(text.body.error.code, 'ERR_UNSUPPORTED_MEDIA_TYPE')
    const tooBig = await call(srv, 'PUT', 'api/schemas/x', { body: { type: 'object', description: 'x'.repeat(1024 * 1024 + 1) } })
    t.equal(tooBig.status, 413, 'a body over 1 MiB: 413')
    t.deepEqual(await db.schemas(), ['book'], 'no refused schema was stored')
  } finally {
    await srv.close()
    await db.close()
  }
})

test('serve: records: create, read, update, validation, delete, history, list pages', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  await db.putSchema('book', bookSchema)
  const srv = await serve(db)
  try {
    const created = await call(srv, 'POST', 'api/records/book', { body: { title: 'Dune', author: 'Herbert', year: 1965 } })
    t.equal(created.status, 201, 'POST: 201')
    const id = created.body.id as string
    t.equal(created.headers.get('location'), `/api/records/book/${id}`, 'Location names the new record')
    t.equal(created.body.versions.length, 1, 'the body holds its version')
    t.deepEqual(created.body.versions[0].value, { title: 'Dune', author: 'Herbert', year: 1965 })
    const got = await call(srv, 'GET', `api/records/book/${id}`)
    t.equal(got.status, 200, 'GET: 200')
    t.deepEqual(got.body, { schema: 'book', id, versions: await db.get('book', id) }, 'GET passes through what RecordDB returns')

    const invalid = await call(srv, 'PUT', `api/records/book/${id}`, { body: { title: 'Dune', year: 'nineteen sixty-five' } })
    t.equal(invalid.status, 422, 'a value the schema rejects: 422')
    t.equal(invalid.body.error.code, 'ERR_VALIDATION')
    t.equal(invalid.body.error.path, '/year', 'the error names the path')
    t.equal(invalid.body.error.rule, 'type', 'and the rule')
    t.equal(invalid.body.error.schema, 'book')
    t.match(invalid.body.error.message, /\/year must be integer/, 'the message names the path')
    const missingField = await call(srv, 'POST', 'api/records/book', { body: { year: 1 } })
    t.equal(missingField.status, 422, 'a missing required field: 422')
    t.equal(missingField.body.error.path, '/title', '  named by its path')
    t.equal((await db.history('book', id)).length, 1, 'nothing was written by the refused puts')

    const updated = await call(srv, 'PUT', `api/records/book/${id}`, { body: { title: 'Dune', author: 'Frank Herbert', year: 1965 } })
    t.equal(updated.status, 200, 'PUT an update: 200')
    t.equal(updated.body.versions.length, 1, 'one current version')
    t.deepEqual(updated.body.versions[0].links, [got.body.versions[0].ref], 'the update links to the version it replaces (refs pass through)')
    const named = await call(srv, 'PUT', 'api/records/book/a%2Fb%20c', { body: { title: 'Odd id', year: 2000 } })
    t.equal(named.status, 200, 'PUT creates a record with a URL-encoded id')
    t.equal(named.body.id, 'a/b c', 'ids with "/" and spaces round-trip')
    t.equal((await db.get('book', 'a/b c')).length, 1)
    const badId = await call(srv, 'PUT', 'api/records/book/bad%01id', { body: { title: 'x', year: 1 } })
    t.equal(badId.status, 400, 'an id with a control character: 400')
    t.equal(badId.body.error.code, 'ERR_BAD_ID')
    const unknown = await call(srv, 'PUT', 'api/records/nope/x', { body: {} })
    t.equal(unknown.status, 404, 'writing to an unknown schema: 404')
    t.equal(unknown.body.error.code, 'ERR_UNKNOWN_SCHEMA')

    const history = await call(srv, 'GET', `api/records/book/${id}/history`)
    t.equal(history.status, 200, 'history: 200')
    t.deepEqual(history.body.versions.map((v: { value: { author: string } }) => v.value.author), ['Herbert', 'Frank Herbert'], 'both versions, oldest first')

    const del = await call(srv, 'DELETE', `api/records/book/${id}`)
    t.equal(del.status, 200, 'DELETE: 200')
    t.deepEqual(del.body, { schema: 'book', id, deleted: true })
    const gone = await call(srv, 'GET', `api/records/book/${id}`)
    t.equal(gone.status, 404, 'a deleted record: 404')
    t.equal(gone.body.error.code, 'ERR_NOT_FOUND')
    t.equal((await call(srv, 'DELETE', `api/records/book/${id}`)).status, 404, 'deleting it again: 404')
    const after = await call(srv, 'GET', `api/records/book/${id}/history`)
    t.deepEqual(after.body.versions.map((v: { op: string }) => v.op), ['put', 'put', 'del'], 'history keeps the tombstone')
    t.equal((await call(srv, 'GET', 'api/records/book/never')).status, 404, 'a record that never was: 404')
    t.equal((await call(srv, 'GET', 'api/records/book/never/history')).status, 404, 'its history: 404')
    t.equal((await call(srv, 'GET', 'api/records/nope/x')).body.error.code, 'ERR_UNKNOWN_SCHEMA', 'GET in an unknown schema: ERR_UNKNOWN_SCHEMA')

    // Pages: ids r0..r6 plus "a/b c", in id order.
    for (let i = 0; i < 7; i++) await db.put('book', { title: `Book ${i}`, year: 1990 + i }, { id: `r${i}` })
    const ids: string[] = []
    let next: string | null = null
    let pages = 0
    do {
      const q: string = next === null ? '' : `&gt=${encodeURIComponent(next)}`
      const page = await call(srv, 'GET', `api/records/book?limit=3${q}`)
      t.equal(page.status, 200)
      ids.push(...page.body.records.map((r: { id: string }) => r.id))
      next = page.body.next
      pages++
    } while (next !== null && pages < 10)
    t.deepEqual(ids, ['a/b c', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'], 'paging with next/gt visits every record once, in id order')
    t.equal(pages, 3, 'in ceil(8 / 3) pages')
    const rev = await call(srv, 'GET', 'api/records/book?limit=2&reverse=true&lt=r5')
    t.deepEqual(rev.body.records.map((r: { id: string }) => r.id), ['r4', 'r3'], 'reverse with lt')
    t.equal(rev.body.next, 'r3', '  next is the last id of the page')
    const range = await call(srv, 'GET', 'api/records/book?gte=r2&lte=r3')
    t.deepEqual(range.body.records.map((r: { id: string }) => r.id), ['r2', 'r3'], 'gte/lte')
    t.equal(range.body.next, null, '  the last page says so')
    for (const bad of ['limit=0', `limit=${LIMITS.list.max + 1}`, 'limit=x', 'reverse=maybe']) {
      const r = await call(srv, 'GET', `api/records/book?${bad}`)
      t.equal(r.status, 400, `list ?${bad}: 400`)
      t.equal(r.body.error.code, 'ERR_BAD_REQUEST')
    }
    t.equal((await call(srv, 'GET', 'api/records/nope')).status, 404, 'list of an unknown schema: 404')
  } finally {
    await srv.close()
    await db.close()
  }
})

test('serve: a forked record shows both heads; a PUT merges them', async (t) => {
  const dirA = tmpDir(t, 'kappa-rdb-')
  const dirB = tmpDir(t, 'kappa-rdb-')
  const a = await openDb(dirA, { mode: 'open' })
  const b = await openDb(dirB, { key: a.key, mode: 'open' })
  const srv = await serve(a)
  let end = connect(a, b)
  try {
    await a.putSchema('book', bookSchema)
    await a.put('book', { title: 'Base', year: 1 }, { id: 'f' })
    await caughtUp(b, a)
    end()
    // Both peers update f while apart: a fork.
    await a.put('book', { title: 'From A', year: 2 }, { id: 'f' })
    await b.put('book', { title: 'From B', year: 3 }, { id: 'f' })
    end = connect(a, b)
    await caughtUp(a, b)
    const fork = await call(srv, 'GET', 'api/records/book/f')
    t.equal(fork.status, 200)
    t.deepEqual(fork.body.versions.map((v: { value: { title: string } }) => v.value.title).sort(), ['From A', 'From B'], 'GET shows both current versions')
    t.deepEqual(new Set(fork.body.versions.map((v: { feed: string }) => v.feed)), new Set([a.writerKey, b.writerKey]), 'each with its author feed')
    const list = await call(srv, 'GET', 'api/records/book?limit=1')
    t.equal(list.body.records.length, 2, 'list shows each head of the forked record (one id)')
    const merged = await call(srv, 'PUT', 'api/records/book/f', { body: { title: 'Merged', year: 4 } })
    t.equal(merged.body.versions.length, 1, 'a PUT merges the fork')
    t.equal(merged.body.versions[0].links.length, 2, '  linking to both heads')
  } finally {
    end()
    await srv.close()
    await a.close()
    await b.close()
  }
})

test('serve: query with the CLI condition syntax, and search', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  await db.putSchema('book', bookSchema)
  await db.putSchema('note', { type: 'object', properties: { text: { type: 'string', search: true } } })
  await db.batch([
    { type: 'put', schema: 'book', id: 'b1', value: { title: 'The Dispossessed', author: 'Le Guin', year: 1974 } },
    { type: 'put', schema: 'book', id: 'b2', value: { title: 'Kindred', author: 'Butler', year: 1979 } },
    { type: 'put', schema: 'book', id: 'b3', value: { title: 'Parable of the Sower', author: 'Butler', year: 1993 } },
    { type: 'put', schema: 'book', id: 'b4', value: { title: 'Dune', author: 'Herbert', year: 1965 } },
    { type: 'put', schema: 'note', id: 'n1', value: { text: 'reread kindred and dune' } }
  ])
  const srv = await serve(db)
  const ids = (r: { body: { records: Array<{ id: string }> } }): string[] => r.body.records.map((x) => x.id)
  try {
    const ge = await call(srv, 'GET', `api/query/book?where=${encodeURIComponent('year>=1975')}`)
    t.equal(ge.status, 200, 'query: 200')
    t.deepEqual(ids(ge), ['b2', 'b3'], 'year>=1975 (typed by the schema: a number range)')
    t.equal(ge.body.truncated, false)
    const and = await call(srv, 'GET', `api/query/book?where=author=Butler&where=${encodeURIComponent('year<1990')}`)
    t.deepEqual(ids(and), ['b2'], 'several where parameters are ANDed')
    const spaced = await call(srv, 'GET', `api/query/book?where=${encodeURIComponent('author=Le Guin')}`)
    t.deepEqual(ids(spaced), ['b1'], 'a value with a space')
    const limited = await call(srv, 'GET', `api/query/book?where=${encodeURIComponent('year>1900')}&limit=2`)
    t.equal(limited.body.records.length, 2, 'limit')
    t.equal(limited.body.truncated, true, 'truncated says more match')
    const malformed = await call(srv, 'GET', 'api/query/book?where=year')
    t.equal(malformed.status, 400, 'a condition without an operator: 400')
    t.equal(malformed.body.error.code, 'ERR_BAD_QUERY')
    const notIndexed = await call(srv, 'GET', 'api/query/book?where=title=Dune')
    t.equal(notIndexed.status, 400, 'a field that is not indexed: 400')
    t.equal(notIndexed.body.error.code, 'ERR_NOT_INDEXED')
    t.equal((await call(srv, 'GET', 'api/query/book')).status, 400, 'no where: 400')
    t.equal((await call(srv, 'GET', `api/query/book?where=year=1&limit=${LIMITS.query.max + 1}`)).status, 400, 'a limit over the maximum: 400')
    t.equal((await call(srv, 'GET', 'api/query/nope?where=a=1')).status, 404, 'query of an unknown schema: 404')

    const hits = await call(srv, 'GET', 'api/search?q=kindred')
    t.equal(hits.status, 200, 'search: 200')
    t.deepEqual(hits.body.hits.map((h: { record: { id: string } }) => h.record.id).sort(), ['b2', 'n1'], 'hits in every schema')
    t.ok(hits.body.hits.every((h: { score: number }) => h.score > 0), 'each with its score')
    const scoped = await call(srv, 'GET', 'api/search?q=kindred&schema=note')
    t.deepEqual(scoped.body.hits.map((h: { record: { id: string } }) => h.record.id), ['n1'], 'schema= scopes the search')
    const one = await call(srv, 'GET', 'api/search?q=kindred%20dune&limit=1')
    t.equal(one.body.hits.length, 1, 'limit')
    t.equal((await call(srv, 'GET', 'api/search')).status, 400, 'no q: 400')
    t.equal((await call(srv, 'GET', 'api/search?q=x&schema=nope')).status, 404, 'an unknown schema: 404')
  } finally {
    await srv.close()
    await db.close()
  }
})

test('serve: the OpenAPI document is served and is the file the package ships', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  const srv = await serve(db)
  try {
    const doc = await call(srv, 'GET', 'api/openapi.json')
    t.equal(doc.status, 200)
    t.deepEqual(doc.body, JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')), 'openapi.json is up to date (npm run openapi -w packages/record-db)')
    const paths = Object.keys(doc.body.paths as Record<string, unknown>).sort()
    t.deepEqual(paths, ['/api/events', '/api/query/{schema}', '/api/records/{schema}', '/api/records/{schema}/{id}', '/api/records/{schema}/{id}/history',
      '/api/schemas', '/api/schemas/{name}', '/api/search', '/api/status'], 'every route is documented')
    t.ok(doc.body.components.schemas.RecordVersion !== undefined && doc.body.components.schemas.Error !== undefined, 'shared schemas are named components')
  } finally {
    await srv.close()
    await db.close()
  }
})

test('serve: token resolution', (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  t.ok(isLoopback('127.0.0.1') && isLoopback('127.1.2.3') && isLoopback('::1') && isLoopback('[::1]') && isLoopback('localhost'), 'loopback addresses')
  t.ok(!isLoopback('0.0.0.0') && !isLoopback('::') && !isLoopback('192.168.1.2') && !isLoopback('example.org'), 'anything else is not')
  const first = resolveToken(dir, '127.0.0.1', {})
  t.ok('file' in first.source && first.source.created, 'generated on first start')
  t.ok(first.token.length >= 40, 'a long random token')
  t.equal((fs.statSync(path.join(dir, 'serve-token')).mode & 0o777), 0o600, 'stored readable by this user only')
  t.equal(resolveToken(dir, '127.0.0.1', {}).token, first.token, 'the same token on the next start')
  const env = resolveToken(dir, '0.0.0.0', { KAPPA_DB_TOKEN: 'a-secret-of-enough-length' })
  t.deepEqual(env, { token: 'a-secret-of-enough-length', source: { env: 'KAPPA_DB_TOKEN' } }, 'KAPPA_DB_TOKEN wins, and allows a non-loopback address')
  t.throws(() => resolveToken(dir, '0.0.0.0', {}), (err: unknown) => err instanceof ServeError && err.code === 'ERR_TOKEN_REQUIRED' && /KAPPA_DB_TOKEN/.test(err.message),
    'a non-loopback address without KAPPA_DB_TOKEN: ERR_TOKEN_REQUIRED, saying what to set')
  t.throws(() => resolveToken(dir, '127.0.0.1', { KAPPA_DB_TOKEN: 'short' }), (err: unknown) => err instanceof ServeError && err.code === 'ERR_BAD_TOKEN', 'a short token: ERR_BAD_TOKEN')
  t.throws(() => resolveToken(dir, '127.0.0.1', { KAPPA_DB_TOKEN: 'has spaces in it, sixteen+' }), /ERR_BAD_TOKEN|at least/, 'a token a header cannot carry: refused')
  t.end()
})

test('serve: a database closed under the server answers 503 ERR_CLOSED', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  await db.putSchema('book', bookSchema)
  const srv = await serve(db)
  try {
    await db.close()
    for (const p of ['api/records/book/x', 'api/schemas', 'api/status']) {
      const r = await call(srv, 'GET', p)
      t.equal(r.status, 503, `GET ${p}: 503`)
      t.equal(r.body.error.code, 'ERR_CLOSED', '  ERR_CLOSED')
    }
  } finally {
    await srv.close()
  }
})
