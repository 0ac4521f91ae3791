// One peer: schemas and validation, writes, reads, queries, search, batches.
import test from 'tape'
import { RecordDbError, ValidationError, type RecordDB } from '../src/index.js'
import { closeAtEnd, tmpDir, type TestLike } from '@kappa-ts/test-helpers'
import { collect, openDb, personSchema } from './helpers.js'

/** Runs `fn` on a fresh database, closed (then its folder removed) when the test ends. */
async function withDb (t: TestLike, fn: (db: RecordDB) => Promise<void>): Promise<void> {
  await fn(closeAtEnd(t, await openDb(tmpDir(t, 'kappa-rdb-'))))
}

async function codeOf (p: Promise<unknown>): Promise<string | undefined> {
  try { await p } catch (err) { return (err as RecordDbError).code }
  return undefined
}

function feedLength (db: RecordDB): number {
  return db.kappa.feed(db.writerKey)?.length ?? -1
}

test('validation accepts and rejects as the JSON Schema says; a rejected put changes nothing', async (t) => {
  await withDb(t, async (db) => {
    await db.putSchema('person', personSchema)
    const id = await db.put('person', { name: 'Ada', age: 36, city: 'London' })
    t.deepEqual((await db.get('person', id)).map((v) => v.value), [{ name: 'Ada', age: 36, city: 'London' }], 'valid value stored')

    const before = feedLength(db)
    const bad: Array<[unknown, string, string]> = [
      [{ age: 3 }, '/name', 'required'],
      [{ name: '' }, '/name', 'minLength'],
      [{ name: 'x', age: -1 }, '/age', 'minimum'],
      [{ name: 'x', age: 1.5 }, '/age', 'type'],
      [{ name: 'x', extra: true }, '', 'additionalProperties'],
      [{ name: 'x', tags: ['ok', 3] }, '/tags/1', 'type'],
      ['a string', '', 'type']
    ]
    for (const [value, path, rule] of bad) {
      try {
        await db.put('person', value)
        t.fail(`accepted ${JSON.stringify(value)}`)
      } catch (err) {
        t.ok(err instanceof ValidationError, `${JSON.stringify(value)} rejected`)
        const e = err as ValidationError
        t.equal(e.code, 'ERR_VALIDATION')
        t.equal(e.schema, 'person')
        t.equal(e.path, path, `path ${path}`)
        t.equal(e.rule, rule, `rule ${rule}`)
      }
    }
    // An update of an existing record that fails validation leaves the record as it was.
    t.ok(await codeOf(db.put('person', { name: 'Ada', age: 'old' }, { id })) === 'ERR_VALIDATION')
    t.equal(feedLength(db), before, 'nothing appended by rejected puts')
    const [ada] = await db.get('person', id)
    t.deepEqual(ada?.value, { name: 'Ada', age: 36, city: 'London' }, 'record unchanged')
    t.equal((await collect(db.list('person'))).length, 1, 'still one record')

    t.equal(await codeOf(db.put('nope', { a: 1 })), 'ERR_UNKNOWN_SCHEMA', 'unknown schema')
    t.equal(await codeOf(db.putSchema('broken', { type: 'not-a-type' })), 'ERR_BAD_SCHEMA')
    t.equal(await codeOf(db.putSchema('core/source', { type: 'object' })), 'ERR_RESERVED_SCHEMA')
    t.equal(await codeOf(db.put('person', { name: 'x' }, { id: 'bad\u0001id' })), 'ERR_BAD_ID')
    t.equal(feedLength(db), before, 'still nothing appended')
  })
})

test('batch validates everything first, then writes in ONE append: all or nothing', async (t) => {
  await withDb(t, async (db) => {
    await db.putSchema('person', personSchema)
    const feed = db.kappa.feed(db.writerKey)
    if (feed === undefined) throw new Error('no writer feed')
    let appends = 0
    feed.on('append', () => { appends++ })
    const before = feed.length
    t.equal(await codeOf(db.batch([
      { type: 'put', schema: 'person', value: { name: 'ok 1' } },
      { type: 'put', schema: 'person', value: { name: 'ok 2' } },
      { type: 'put', schema: 'person', value: { name: 42 } }
    ])), 'ERR_VALIDATION', 'one bad op fails the batch')
    t.equal(feed.length, before, 'nothing of it was written')
    t.equal(await codeOf(db.batch([{ type: 'del', schema: 'person', id: 'missing' }])), 'ERR_NOT_FOUND')
    t.equal(await codeOf(db.batch([
      { type: 'put', schema: 'person', value: { name: 'a' }, id: 'same' },
      { type: 'put', schema: 'person', value: { name: 'b' }, id: 'same' }
    ])), 'ERR_BATCH', 'one record twice in a batch')

    const ids = await db.batch([
      { type: 'put', schema: 'person', value: { name: 'one' }, id: 'p1' },
      { type: 'put', schema: 'person', value: { name: 'two' } },
      { type: 'put', schema: 'person', value: { name: 'three' } }
    ])
    t.equal(ids.length, 3)
    t.equal(ids[0], 'p1')
    t.equal(feed.length, before + 1, 'three entries, in one block')
    t.equal(appends, 1, 'in one append')
    const ids2 = await db.batch([
      { type: 'put', schema: 'person', value: { name: 'uno' }, id: 'p1' },
      { type: 'del', schema: 'person', id: ids[1] as string }
    ])
    t.equal(appends, 2)
    t.deepEqual(ids2, ['p1', ids[1]])
    t.deepEqual((await db.get('person', 'p1')).map((v) => v.value), [{ name: 'uno' }], 'updated in the batch')
    t.deepEqual(await db.get('person', ids[1] as string), [], 'deleted in the batch')
  })
})

test('put links to the current heads, get/history/del/list', async (t) => {
  await withDb(t, async (db) => {
    await db.putSchema('person', personSchema)
    const id = await db.put('person', { name: 'Grace', age: 85 })
    const [v1] = await db.get('person', id)
    await db.put('person', { name: 'Grace Hopper', age: 85 }, { id })
    const current = await db.get('person', id)
    t.equal(current.length, 1, 'an ordinary update does not fork')
    t.deepEqual(current[0]?.links, [v1?.ref], 'it links to the previous head')
    t.equal(current[0]?.feed, db.writerKey, 'author feed')
    t.ok(Number.isSafeInteger(current[0]?.address.block) && Number.isSafeInteger(current[0]?.address.index), 'address in the feed')
    t.equal(current[0]?.ref, `${db.writerKey}@${current[0]?.address.block}.${current[0]?.address.index}`, 'ref is the entry id')
    t.ok((current[0]?.timestamp ?? 0) >= (v1?.timestamp ?? Infinity), 'timestamp')

    for (const name of ['a', 'b', 'c', 'd']) await db.put('person', { name }, { id: `id-${name}` })
    await db.del('person', 'id-b')
    t.deepEqual(await db.get('person', 'id-b'), [], 'deleted')
    t.equal(await codeOf(db.del('person', 'id-b')), 'ERR_NOT_FOUND', 'deleting twice')
    const hist = await db.history('person', 'id-b')
    t.deepEqual(hist.map((h) => h.op), ['put', 'del'], 'history keeps every version')
    const ids = (await collect(db.list('person'))).map((r) => r.id)
    t.deepEqual(ids.filter((x) => x.startsWith('id-')), ['id-a', 'id-c', 'id-d'], 'list in id order without the deleted one')
    t.deepEqual((await collect(db.list('person', { gt: 'id-a', lte: 'id-d', reverse: true }))).map((r) => r.id), ['id-d', 'id-c'])
    t.deepEqual((await collect(db.list('person', { gte: 'id-', limit: 2 }))).map((r) => r.id), ['id-a', 'id-c'])
    // A deleted record can come back with a put (it links to the tombstone).
    await db.put('person', { name: 'b again' }, { id: 'id-b' })
    t.deepEqual((await db.get('person', 'id-b')).map((v) => v.value), [{ name: 'b again' }])
  })
})

test('query on indexed fields: equality, ranges, arrays, several conditions; only current versions', async (t) => {
  await withDb(t, async (db) => {
    await db.putSchema('person', personSchema)
    const rows = [
      { name: 'p0', age: 20, city: 'Oslo', tags: ['x', 'y'] },
      { name: 'p1', age: 30, city: 'Lima', tags: ['y'] },
      { name: 'p2', age: 40, city: 'Oslo' },
      { name: 'p3', age: 50, city: 'Oslo', tags: ['z'] },
      { name: 'p4', age: -0, city: 'Pune' }
    ]
    for (const [i, r] of rows.entries()) await db.put('person', r, { id: `p${i}` })
    const names = async (where: Record<string, unknown>, limit?: number): Promise<string[]> =>
      (await collect(db.query('person', limit === undefined ? { where: where as never } : { where: where as never, limit }))).map((r) => (r.value as { name: string }).name).sort()
    t.deepEqual(await names({ city: 'Oslo' }), ['p0', 'p2', 'p3'])
    t.deepEqual(await names({ age: { gte: 30, lt: 50 } }), ['p1', 'p2'])
    t.deepEqual(await names({ age: { gt: 30 } }), ['p2', 'p3'])
    t.deepEqual(await names({ age: { lte: 20 } }), ['p0', 'p4'])
    t.deepEqual(await names({ city: 'Oslo', age: { gt: 25 } }), ['p2', 'p3'], 'two conditions')
    t.deepEqual(await names({ tags: 'y' }), ['p0', 'p1'], 'array values are each indexed')
    t.deepEqual(await names({ city: { gte: 'M', lt: 'P' } }), ['p0', 'p2', 'p3'], 'string range')
    t.equal((await names({ city: 'Oslo' }, 2)).length, 2, 'limit')
    t.deepEqual(await names({ age: '20' }), [], 'types do not mix: "20" is not 20')

    await db.put('person', { name: 'p0', age: 21, city: 'Bergen' }, { id: 'p0' })
    await db.del('person', 'p3')
    t.deepEqual(await names({ city: 'Oslo' }), ['p2'], 'old version and deleted record are not returned')
    t.deepEqual(await names({ age: 21 }), ['p0'])

    t.equal(await codeOf(collect(db.query('person', { where: { name: 'p1' } }))), 'ERR_NOT_INDEXED')
    t.equal(await codeOf(collect(db.query('person', { where: { age: { near: 3 } } as never }))), 'ERR_BAD_QUERY')
    t.equal(await codeOf(collect(db.query('person', { where: { age: { gt: 1, lt: 'z' } } }))), 'ERR_BAD_QUERY')
  })
})

test('search ranks by BM25 over searchable fields, returns live versions only', async (t) => {
  await withDb(t, async (db) => {
    await db.putSchema('person', personSchema)
    await db.putSchema('note', { type: 'object', properties: { text: { type: 'string', search: true }, hidden: { type: 'string' } } })
    await db.put('person', { name: 'Ada Lovelace', bio: 'wrote the first program for the analytical engine' }, { id: 'ada' })
    await db.put('person', { name: 'Charles Babbage', bio: 'designed the analytical engine and the difference engine, engine engine' }, { id: 'cb' })
    await db.put('person', { name: 'Alan Turing', bio: 'computability, the Turing machine' }, { id: 'at' })
    await db.put('note', { text: 'an engine note', hidden: 'lovelace' }, { id: 'n1' })

    const hits = await db.search('engine')
    t.deepEqual(hits.map((h) => h.record.id).sort(), ['ada', 'cb', 'n1'], 'every engine doc, none other')
    t.equal(hits[0]?.record.id, 'cb', 'most occurrences ranks first')
    t.ok(hits.every((h, i) => i === 0 || (hits[i - 1]?.score ?? 0) >= h.score), 'sorted by score')
    t.deepEqual((await db.search('engine', { schema: 'note' })).map((h) => h.record.id), ['n1'], 'schema filter')
    t.deepEqual((await db.search('lovelace')).map((h) => h.record.id), ['ada'], 'non-searchable fields are not indexed')
    t.deepEqual((await db.search('ada turing')).map((h) => h.record.id).sort(), ['ada', 'at'], 'any term matches')
    t.equal((await db.search('engine', { limit: 1 })).length, 1, 'limit')
    t.deepEqual(await db.search('the of'), [], 'only stop words')

    await db.put('person', { name: 'Ada King', bio: 'countess' }, { id: 'ada' })
    t.notOk((await db.search('analytical')).some((h) => h.record.id === 'ada'), 'an old version is not found')
    t.deepEqual((await db.search('countess')).map((h) => h.record.id), ['ada'], 'the new one is')
    await db.del('person', 'cb')
    t.notOk((await db.search('babbage')).length, 'a deleted record is not found')
  })
})

test('a schema that marks more fields later indexes the records already stored', async (t) => {
  await withDb(t, async (db) => {
    await db.putSchema('item', { type: 'object', properties: { color: { type: 'string' }, text: { type: 'string' } } })
    await db.put('item', { color: 'red', text: 'alpha beta' }, { id: 'i1' })
    await db.put('item', { color: 'blue', text: 'gamma' }, { id: 'i2' })
    t.equal(await codeOf(collect(db.query('item', { where: { color: 'red' } }))), 'ERR_NOT_INDEXED')
    t.deepEqual(await db.search('alpha'), [])
    await db.putSchema('item', { type: 'object', properties: { color: { type: 'string', index: true }, text: { type: 'string', search: true } } })
    t.deepEqual((await collect(db.query('item', { where: { color: 'red' } }))).map((r) => r.id), ['i1'], 'old record now queryable')
    t.deepEqual((await db.search('gamma')).map((h) => h.record.id), ['i2'], 'and searchable')
    t.deepEqual(await db.schemas(), ['item'])
  })
})

test('import: bad rows are reported and skipped; repeated and existing ids update without forking', async (t) => {
  const { Readable } = await import('node:stream')
  const { importRows, parseRows } = await import('../src/index.js')
  await withDb(t, async (db) => {
    await db.putSchema('person', personSchema)
    const ndjson = [
      '{"id":"a","value":{"name":"A1"}}',
      '{"id":"b","value":{"name":"B1","age":-3}}',
      'not json',
      '{"id":"c","value":{"name":"C1"}}',
      '{"id":"a","value":{"name":"A2"}}'
    ].join('\n')
    const progress: number[] = []
    const s1 = await importRows(db, parseRows(Readable.from([ndjson]), 'export'), { schema: 'person', batchSize: 2, onProgress: (p) => progress.push(p.imported) })
    t.deepEqual([s1.rows, s1.imported, s1.rejected], [5, 3, 2])
    t.deepEqual(s1.errors.map((e) => e.line), [2, 3], 'bad rows by line')
    t.match(s1.errors[0]?.error ?? '', /minimum/, 'with the reason')
    t.ok(progress.length > 0, 'progress reported')
    t.deepEqual((await db.get('person', 'a')).map((v) => v.value), [{ name: 'A2' }], 'the later row replaced the earlier: one head')
    t.equal((await db.history('person', 'a')).length, 2)
    // Into a schema that has records: an existing id is linked, not forked.
    const s2 = await importRows(db, parseRows(Readable.from(['{"id":"c","value":{"name":"C2"}}\n{"id":"d","value":{"name":"D1"}}\n']), 'export'), { schema: 'person' })
    t.equal(s2.imported, 2)
    t.deepEqual((await db.get('person', 'c')).map((v) => v.value), [{ name: 'C2' }], 'existing record updated, no fork')
    t.deepEqual((await collect(db.list('person'))).map((r) => r.id), ['a', 'c', 'd'])
    const csv = 'name,age,city\nEve,41,Oslo\nMallory,old,Oslo\n'
    const s3 = await importRows(db, parseRows(Readable.from([csv]), 'csv'), { schema: 'person', coerce: true })
    t.deepEqual([s3.imported, s3.rejected], [1, 1])
    t.deepEqual((await collect(db.query('person', { where: { age: 41 } }))).map((r) => r.value), [{ name: 'Eve', age: 41, city: 'Oslo' }], 'CSV strings coerced to the schema types')
  })
})
