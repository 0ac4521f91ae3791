// Two peers replicating over piped streams: authorization, forks and merges, deletes,
// queries and search on the replica.
import test from 'tape'
import { eventually, connect, openPair, tmpDir, type TestLike } from '@kappa-ts/test-helpers'
import { collect, caughtUp, openDb, personSchema } from './helpers.js'
import type { RecordDB } from '../src/index.js'

/** Two databases of one app in `mode`, closed when the test ends. */
function pair (t: TestLike, mode: 'authorized' | 'open'): Promise<[RecordDB, RecordDB]> {
  return openPair(t, (dir, first?: RecordDB) => openDb(dir, { key: first?.key, mode }), 'kappa-rdb-')
}

const names = (rs: Array<{ value?: unknown }>): string[] => rs.map((r) => (r.value as { name: string }).name).sort()

test('authorized mode: an unauthorized writer is replicated but invisible until authorized; revocation', async (t) => {
  const [a, b] = await pair(t, 'authorized')
  connect(a, b, t)
  t.equal(a.writerKey, a.root, 'the creator is the root')
  t.notEqual(b.writerKey, b.root)
  t.equal(b.root, a.root, 'the same root on both')
  await a.putSchema('person', personSchema)
  await a.put('person', { name: 'from root', city: 'Oslo', bio: 'root words' }, { id: 'r1' })
  await caughtUp(b, a)
  t.deepEqual(names(await b.get('person', 'r1')), ['from root'], 'B sees the root record')

  // B writes while unauthorized: replicated to A, but counted nowhere.
  await b.put('person', { name: 'from b', city: 'Oslo', bio: 'secret words' }, { id: 'b1' })
  await b.put('person', { name: 'b overwrites root', city: 'Lima' }, { id: 'r1' })
  await caughtUp(a, b)
  t.equal(a.kappa.feed(b.writerKey)?.length, 2, "A holds B's entries")
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    t.deepEqual(await db.get('person', 'b1'), [], `${peer}: B's record is invisible`)
    t.deepEqual(names(await db.get('person', 'r1')), ['from root'], `${peer}: B's update of r1 does not count`)
    t.deepEqual(names(await collect(db.query('person', { where: { city: 'Oslo' } }))), ['from root'], `${peer}: query ignores B`)
    t.deepEqual(await db.search('secret'), [], `${peer}: search ignores B`)
  }

  // The root authorizes B: B's earlier records appear on both peers with no restart or reindex.
  await a.authorize(b.writerKey, { note: 'laptop' })
  await caughtUp(b, a)
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    t.deepEqual(names(await db.get('person', 'b1')), ['from b'], `${peer}: B's record is visible`)
    t.deepEqual(names(await db.get('person', 'r1')), ['b overwrites root'], `${peer}: B's update now replaces the root's version`)
    t.deepEqual(names(await collect(db.query('person', { where: { city: 'Oslo' } }))), ['from b'], `${peer}: query`)
    t.deepEqual((await db.search('secret')).map((h) => h.record.id), ['b1'], `${peer}: search`)
  }
  t.equal((await a.authorizations()).get(b.writerKey), Infinity)

  // Revocation at B's current length: what B wrote before still counts, what comes after does not.
  await a.revoke(b.writerKey)
  await caughtUp(b, a)
  await b.put('person', { name: 'after revocation', city: 'Oslo' }, { id: 'b2' })
  await b.put('person', { name: 'b1 changed late' }, { id: 'b1' })
  await caughtUp(a, b)
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    t.deepEqual(await db.get('person', 'b2'), [], `${peer}: a record after the revocation does not count`)
    t.deepEqual(names(await db.get('person', 'b1')), ['from b'], `${peer}: an update after the revocation does not count`)
    t.equal((await db.authorizations()).get(b.writerKey), 2, `${peer}: B counts its first 2 records`)
  }
  const st = await a.status()
  t.equal(st.feeds.find((f) => f.key === b.writerKey)?.counted, 2, 'status shows it')
})

test('authorization through a chain reaches the same state whatever order peers receive records in; a grantor revokes', async (t) => {
  // C is authorized by B, B by the root; C's peer gets C's grant before B's.
  const dirs = [tmpDir(t, 'kappa-rdb-'), tmpDir(t, 'kappa-rdb-'), tmpDir(t, 'kappa-rdb-')]
  const root = await openDb(dirs[0] as string)
  const b = await openDb(dirs[1] as string, { key: root.key })
  const c = await openDb(dirs[2] as string, { key: root.key })
  try {
    await root.putSchema('person', personSchema)
    let stop = connect(root, c)
    await caughtUp(c, root)
    stop()
    await c.put('person', { name: 'by c' }, { id: 'c1' })
    stop = connect(b, c)
    await caughtUp(b, c)
    await b.authorize(c.writerKey) // B is not authorized yet: this counts only once B is
    await caughtUp(c, b)
    stop()
    t.deepEqual(await c.get('person', 'c1'), [], 'C: grant from an unauthorized feed counts nothing')
    await root.authorize(b.writerKey)
    stop = connect(root, c)
    await caughtUp(c, root)
    t.deepEqual(names(await c.get('person', 'c1')), ['by c'], 'C: the chain root -> B -> C counts')
    await caughtUp(root, b) // root never talked to B directly: it gets B's feed through C
    await caughtUp(root, c)
    t.deepEqual(names(await root.get('person', 'c1')), ['by c'], 'root agrees')
    t.deepEqual([...(await root.authorizations())].sort(), [...(await c.authorizations())].sort(), 'same limits on both')
    stop()

    // The granting feed (B, not the root) revokes C at C's length as B knows it (1 record).
    await b.revoke(c.writerKey)
    await c.put('person', { name: 'after b revoked' }, { id: 'c2' })
    stop = connect(b, c)
    await caughtUp(c, b)
    stop()
    stop = connect(root, c)
    await caughtUp(root, c)
    await caughtUp(root, b)
    for (const [peer, db] of [['root', root], ['C', c]] as const) {
      t.deepEqual(names(await db.get('person', 'c1')), ['by c'], `${peer}: C's record before the revocation still counts`)
      t.deepEqual(await db.get('person', 'c2'), [], `${peer}: C's record after its grantor revoked it does not`)
      t.equal((await db.authorizations()).get(c.writerKey), 1, `${peer}: C counts 1 record`)
    }
    stop()
  } finally {
    await root.close(); await b.close(); await c.close()
  }
})

test('concurrent updates fork; a put on the fork merges; a delete hides the record everywhere', async (t) => {
  const [a, b] = await pair(t, 'authorized')
  await a.putSchema('person', personSchema)
  await a.authorize(b.writerKey)
  await a.put('person', { name: 'v0', city: 'Oslo', bio: 'original' }, { id: 'x' })
  let stop = connect(a, b)
  await caughtUp(b, a)
  stop()
  // Offline, both update x.
  await a.put('person', { name: 'a-edit', city: 'Oslo', bio: 'alpha' }, { id: 'x' })
  await b.put('person', { name: 'b-edit', city: 'Lima', bio: 'bravo' }, { id: 'x' })
  stop = connect(a, b)
  await caughtUp(a, b)
  await caughtUp(b, a)
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    const vs = await db.get('person', 'x')
    t.deepEqual(names(vs), ['a-edit', 'b-edit'], `${peer}: a fork shows both versions`)
    t.deepEqual(vs.map((v) => v.feed).sort(), [a.writerKey, b.writerKey].sort(), `${peer}: with their authors`)
    t.deepEqual(names(await collect(db.query('person', { where: { city: 'Oslo' } }))), ['a-edit'], `${peer}: query sees the Oslo head`)
    t.deepEqual((await db.search('bravo')).map((h) => h.record.id), ['x'], `${peer}: search sees both heads`)
  }
  await b.put('person', { name: 'merged', city: 'Pune' }, { id: 'x' })
  await caughtUp(a, b)
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    const vs = await db.get('person', 'x')
    t.deepEqual(names(vs), ['merged'], `${peer}: the merge replaces both heads`)
    t.equal(vs[0]?.links.length, 2, `${peer}: it links to both`)
    t.deepEqual(await collect(db.query('person', { where: { city: 'Oslo' } })), [], `${peer}: no stale query hit`)
  }
  await a.del('person', 'x')
  await caughtUp(b, a)
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    t.deepEqual(await db.get('person', 'x'), [], `${peer}: deleted`)
    t.deepEqual(await collect(db.list('person')), [], `${peer}: not listed`)
    t.deepEqual(await db.search('merged'), [], `${peer}: not found`)
    t.deepEqual((await db.history('person', 'x')).map((v) => v.op), ['put', 'put', 'put', 'put', 'del'], `${peer}: history has all`)
  }
  stop()
})

test('open mode: every feed counts; query and search on the replica', async (t) => {
  const [a, b] = await pair(t, 'open')
  connect(a, b, t)
  await a.putSchema('person', personSchema)
  await caughtUp(b, a)
  const cities = ['Oslo', 'Lima', 'Pune']
  await a.batch(Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, schema: 'person', id: `a${i}`, value: { name: `a${i}`, age: i, city: cities[i % 3] as string, bio: i % 10 === 0 ? 'zebra' : 'horse' } })))
  await b.batch(Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, schema: 'person', id: `b${i}`, value: { name: `b${i}`, age: i, city: cities[i % 3] as string, bio: i % 10 === 0 ? 'zebra' : 'horse' } })))
  await caughtUp(a, b)
  await caughtUp(b, a)
  await eventually(async () => (await collect(a.list('person'))).length === 60, 'A lists 60')
  for (const db of [a, b]) {
    t.equal((await collect(db.list('person'))).length, 60)
    const q = names(await collect(db.query('person', { where: { city: 'Lima', age: { lt: 10 } } })))
    t.deepEqual(q, ['a1', 'a4', 'a7', 'b1', 'b4', 'b7'])
    t.deepEqual((await db.search('zebra', { limit: 100 })).map((h) => h.record.id).sort(), ['a0', 'a10', 'a20', 'b0', 'b10', 'b20'])
  }
})

test('malformed entries from a peer are skipped the same way everywhere, indexing goes on', async (t) => {
  const [a, b] = await pair(t, 'open')
  connect(a, b, t)
  await a.putSchema('person', personSchema)
  await caughtUp(b, a)
  const raw = await b.kappa.writer()
  await raw.append([
    'just a string',
    null,
    { id: 'x', schema: 'person', op: 'put', timestamp: 1, links: [] }, // put without a value
    { id: 'y', schema: 'person', op: 'put', value: { name: 'bad links' }, timestamp: 1, links: ['nope'] },
    { id: 'z\u0000', schema: 'person', op: 'put', value: { name: 'bad id' }, timestamp: 1, links: [] },
    { id: 'ok', schema: 'person', op: 'put', value: { name: 'fine', bio: 'survivor' }, timestamp: 1, links: [] }
  ])
  await caughtUp(a, b)
  for (const [peer, db] of [['A', a], ['B', b]] as const) {
    t.deepEqual((await collect(db.list('person'))).map((r) => r.id), ['ok'], `${peer}: only the well-formed record`)
    t.deepEqual((await db.search('survivor')).map((h) => h.record.id), ['ok'], `${peer}: and it is searchable`)
    t.equal(db.kappa.status().records?.state === 'error', false, `${peer}: the view is not in error`)
  }
})
