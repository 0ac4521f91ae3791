import test from 'tape'
import { MemoryLevel } from 'memory-level'
import { Level } from 'level'
import { UnorderedMaterializedKV, UmkvError, type Doc } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

const doc = (id: string, key: string, links: string[] = []): Doc => ({ id, key, links })

test('a fork shows several heads and a doc linking them all heals it', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('a', 'k')])
  t.deepEqual(await kv.get('k'), ['a'])
  await kv.batch([doc('c', 'k', ['a']), doc('b', 'k', ['a'])])
  t.deepEqual(await kv.get('k'), ['b', 'c'], 'two docs replacing the same doc fork the key (sorted)')
  await kv.batch([doc('d', 'k', ['b', 'c'])])
  t.deepEqual(await kv.get('k'), ['d'], 'the merge doc is the only head')
})

test('unknown key gives an empty array', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  t.deepEqual(await kv.get('nothing'), [])
  await kv.batch([doc('a', 'k')])
  t.deepEqual(await kv.get('nothing'), [])
})

test('an old doc arriving after the doc that replaced it never becomes a head', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('b', 'k', ['a'])])
  t.equal(await kv.isLinked('k', 'a'), true)
  await kv.batch([doc('a', 'k')])
  t.deepEqual(await kv.get('k'), ['b'])
})

test('several docs of one key in one call each see the previous ones', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('a', 'k'), doc('b', 'k', ['a']), doc('c', 'k', ['b']), doc('x', 'j')])
  t.deepEqual(await kv.get('k'), ['c'])
  t.deepEqual(await kv.get('j'), ['x'])
  await kv.batch([doc('e', 'k', ['d']), doc('d', 'k', ['c'])])
  t.deepEqual(await kv.get('k'), ['e'], 'in-batch out-of-order arrival too')
})

test('duplicate docs in one batch and across batches are harmless', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('a', 'k'), doc('a', 'k'), doc('b', 'k', ['a']), doc('b', 'k', ['a'])])
  t.deepEqual(await kv.get('k'), ['b'])
  await kv.batch([doc('a', 'k'), doc('b', 'k', ['a'])])
  t.deepEqual(await kv.get('k'), ['b'], 'replaying old docs changes nothing')
})

test('links to ids of another key are ignored: heads are per key', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('a', 'k1'), doc('b', 'k2', ['a', 'z'])])
  t.deepEqual(await kv.get('k1'), ['a'], 'a doc of k2 does not replace a doc of k1')
  await kv.batch([doc('z', 'k1')])
  t.deepEqual(await kv.get('k1'), ['a', 'z'], 'nor one that arrives later')
  t.equal(await kv.isLinked('k1', 'z'), false)
  t.equal(await kv.isLinked('k2', 'z'), true)
})

test('a doc that links to itself is never a head', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('a', 'k', ['a'])])
  t.deepEqual(await kv.get('k'), [])
})

test('keys with separators and odd characters do not collide', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('x', 'a!b'), doc('y', 'a', ['b!x']), doc('b!x', 'a'), doc('z', ''), doc('é', 'ключ')])
  t.deepEqual(await kv.get('a!b'), ['x'], 'linking "b!x" under key "a" does not touch id "x" under key "a!b"')
  t.deepEqual(await kv.get('a'), ['y'])
  t.deepEqual(await kv.get(''), ['z'])
  t.deepEqual(await kv.get('ключ'), ['é'])
})

test('ops() writes nothing; committed in an external batch with other writes it takes effect atomically', async (t) => {
  const root = new MemoryLevel<string, string>()
  const viewData = root.sublevel<string, unknown>('view', { valueEncoding: 'json' })
  const kv = new UnorderedMaterializedKV(viewData.sublevel('umkv'))
  await kv.batch([doc('a', 'k')])

  const ops = await kv.ops([doc('b', 'k', ['a']), doc('c', 'j')])
  t.deepEqual(await kv.get('k'), ['a'], 'nothing visible before commit')

  // an indexer's chained batch on the root db: the view's ops, its own value and a cursor
  const batch = root.batch()
  for (const op of ops) {
    if (op.type === 'put') batch.put(op.key, op.value, op)
    else batch.del(op.key, op)
  }
  batch.put('b', { value: 1 }, { sublevel: viewData })
  batch.put('cursor', '42')
  await batch.write()

  t.deepEqual(await kv.get('k'), ['b'])
  t.deepEqual(await kv.get('j'), ['c'])
  t.deepEqual(await viewData.get('b'), { value: 1 })
  t.equal(await root.get('cursor'), '42')

  // the array form on the root db works the same
  await root.batch([...await kv.ops([doc('d', 'k', ['b'])]), { type: 'put', key: 'cursor', value: '43' }])
  t.deepEqual(await kv.get('k'), ['d'])
  t.equal(await root.get('cursor'), '43')
})

test('an abandoned ops() result leaves the store unchanged', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await kv.batch([doc('a', 'k')])
  await kv.ops([doc('b', 'k', ['a'])])
  t.deepEqual(await kv.get('k'), ['a'])
  t.equal(await kv.isLinked('k', 'a'), false)
})

test('concurrent batch() calls do not lose each other\'s updates', async (t) => {
  const kv = new UnorderedMaterializedKV(new MemoryLevel())
  await Promise.all([
    kv.batch([doc('a', 'k')]),
    kv.batch([doc('b', 'k')]),
    kv.batch([doc('c', 'k', ['a'])])
  ])
  t.deepEqual(await kv.get('k'), ['b', 'c'])
})

test('invalid docs are rejected with ERR_INVALID_DOC and nothing is stored', async (t) => {
  const db = new MemoryLevel()
  const kv = new UnorderedMaterializedKV(db)
  const bad: Array<[string, unknown]> = [
    ['not an array', { id: 'a', key: 'k', links: [] }],
    ['null doc', [doc('ok', 'k'), null]],
    ['missing id', [doc('ok', 'k'), { key: 'k', links: [] }]],
    ['empty id', [{ id: '', key: 'k', links: [] }]],
    ['numeric id', [{ id: 1, key: 'k', links: [] }]],
    ['missing key', [doc('ok', 'k'), { id: 'b', links: [] }]],
    ['links not an array', [doc('ok', 'k'), { id: 'b', key: 'k', links: 'a' }]],
    ['missing links', [{ id: 'b', key: 'k' }]],
    ['bad link', [doc('ok', 'k'), { id: 'b', key: 'k', links: ['a', 7] }]],
    ['lone surrogate', [{ id: 'b', key: '\ud800', links: [] }]]
  ]
  for (const [name, docs] of bad) {
    for (const call of ['batch', 'ops'] as const) {
      try {
        await kv[call](docs as Doc[])
        t.fail(`${call}: ${name} accepted`)
      } catch (err) {
        t.ok(err instanceof UmkvError && err.code === 'ERR_INVALID_DOC', `${call}: ${name} -> ERR_INVALID_DOC`)
      }
    }
  }
  const e = await kv.batch([doc('ok', 'k'), { id: 'b', key: 'k' } as Doc]).catch((err: unknown) => err)
  t.equal((e as UmkvError).index, 1, 'the error names the bad doc')
  t.deepEqual(await db.keys().all(), [], 'nothing was written')
  t.deepEqual(await kv.get('k'), [])

  const k = await kv.get(5 as unknown as string).catch((err: unknown) => err)
  t.equal((k as UmkvError).code, 'ERR_INVALID_KEY')
  await kv.batch([doc('a', 'k')])
  t.deepEqual(await kv.get('k'), ['a'], 'still usable after rejecting bad input')
})

test('heads persist in a classic-level folder across reopen', async (t) => {
  const dir = tmpDir(t, 'kappa-umkv-')
  let db = new Level<string, string>(dir)
  let kv = new UnorderedMaterializedKV(db.sublevel('umkv'))
  await kv.batch([doc('a', 'k'), doc('b', 'k', ['a']), doc('c', 'k', ['a'])])
  await db.close()

  db = new Level<string, string>(dir)
  kv = new UnorderedMaterializedKV(db.sublevel('umkv'))
  t.deepEqual(await kv.get('k'), ['b', 'c'])
  await kv.batch([doc('a', 'k')])
  t.deepEqual(await kv.get('k'), ['b', 'c'], 'the linked marker survived the reopen')
  await db.batch(await kv.ops([doc('d', 'k', ['b', 'c'])]))
  t.deepEqual(await kv.get('k'), ['d'])
  await db.close()
})

test('the db\'s own default encodings do not matter', async (t) => {
  const root = new MemoryLevel<string, string>()
  const jsonDb = root.sublevel<string, unknown>('json', { valueEncoding: 'json' })
  const kv = new UnorderedMaterializedKV(jsonDb)
  await kv.batch([doc('a', 'k'), doc('b', 'k')])
  await root.batch(await kv.ops([doc('c', 'k', ['a'])]))
  t.deepEqual(await kv.get('k'), ['b', 'c'])
  t.equal(await jsonDb.get('h!k', { valueEncoding: 'utf8' }), '["b","c"]', 'stored as documented')
})

test('opsWithHeads() gives the ops and the new heads of every key they rewrite', async (t) => {
  const db = new MemoryLevel()
  const kv = new UnorderedMaterializedKV(db)
  await kv.batch([doc('a', 'k'), doc('x', 'j')])
  const { ops, heads } = await kv.opsWithHeads([doc('b', 'k', ['a']), doc('c', 'k', ['a']), doc('x', 'j')])
  t.deepEqual([...heads], [['k', ['b', 'c']]], 'k forked; j unchanged (its doc is a duplicate) is absent')
  t.deepEqual(ops, (await kv.ops([doc('b', 'k', ['a']), doc('c', 'k', ['a']), doc('x', 'j')])), 'same ops as ops()')
  await db.batch(ops)
  t.deepEqual(await kv.get('k'), ['b', 'c'])
  const emptied = await kv.opsWithHeads([doc('d', 'k', ['b', 'c', 'd'])])
  t.deepEqual([...emptied.heads], [['k', []]], 'a key left without heads reports []')
})

test('docs of keys never seen before need no link-marker reads', async (t) => {
  const db = new MemoryLevel()
  const kv = new UnorderedMaterializedKV(db)
  let lookups = 0
  const hasMany = db.hasMany.bind(db)
  db.hasMany = ((...args: Parameters<typeof hasMany>) => { lookups++; return hasMany(...args) }) as typeof db.hasMany
  await kv.batch([doc('a', 'k1'), doc('b', 'k2'), doc('c', 'k2', ['b'])])
  t.equal(lookups, 0, 'first batch: no marker lookups')
  t.deepEqual(await kv.get('k2'), ['c'])
  await kv.batch([doc('d', 'k3'), doc('b', 'k2')])
  t.equal(lookups, 1, 'a batch with a known key looks up its docs\' markers')
  t.deepEqual(await kv.get('k2'), ['c'], 'the replaced doc arriving again stays replaced')
})

test('a key left without heads keeps a record, so a late replaced doc stays out', async (t) => {
  const db = new MemoryLevel()
  const kv = new UnorderedMaterializedKV(db)
  await kv.batch([doc('x', 'k', ['x', 'a'])])
  t.equal(await db.get('h!k', { valueEncoding: 'utf8' }), '[]', 'stored as documented')
  await kv.batch([doc('a', 'k')])
  t.deepEqual(await kv.get('k'), [], 'a was linked before it arrived')
})

test('data of the first storage format (no format record) is read the old way', async (t) => {
  const db = new MemoryLevel()
  // format 1 deleted the heads record of a key left without heads, keeping only its markers
  await db.put('l!1!k!a', '1', { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  const kv = new UnorderedMaterializedKV(db)
  await kv.batch([doc('a', 'k'), doc('b', 'j')])
  t.deepEqual(await kv.get('k'), [], 'the stored marker is honoured for a key without a heads record')
  t.deepEqual(await kv.get('j'), ['b'])
  t.equal(await db.get('format', { valueEncoding: 'utf8' }), undefined, 'not marked as the new format')
})

test('a fresh db is marked with the storage format by its first commit', async (t) => {
  const db = new MemoryLevel()
  const kv = new UnorderedMaterializedKV(db)
  await kv.ops([doc('a', 'k')])
  t.equal(await db.get('format', { valueEncoding: 'utf8' }), undefined, 'an abandoned result writes nothing')
  await kv.batch([doc('a', 'k')])
  t.equal(await db.get('format', { valueEncoding: 'utf8' }), '2')
  const again = new UnorderedMaterializedKV(db)
  t.deepEqual((await again.ops([doc('b', 'k', ['a'])])).map((op) => op.key), ['h!k', 'l!1!k!a'], 'no format op once stored')
})
