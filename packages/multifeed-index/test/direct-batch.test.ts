// The index commits through a batch that skips abstract-level's per-sublevel copies: it must write
// exactly what a sublevel's own chained batch writes.
import test from 'tape'
import { MemoryLevel } from 'memory-level'
import { Level } from 'level'
import { directBatch } from '../src/direct-batch.js'
import type { IndexBatch, IndexDb } from '../src/store.js'
import { tmpDir } from '@kappa-ts/test-helpers'

type AnyDb = any

async function rawContent (root: AnyDb): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = []
  for await (const [k, v] of root.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' })) {
    out.push([Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')])
  }
  return out
}

/** The same operations, of every kind the option set allows, into a batch of `db` (below `root`). */
function fill (batch: IndexBatch, root: AnyDb, db: AnyDb): void {
  const data = db.sublevel('g0').sublevel('data', { valueEncoding: 'json' })
  const sibling = root.sublevel('elsewhere', { valueEncoding: 'json' })
  batch.put('plain', 'text')
  batch.put('obj', { a: 1 }, { valueEncoding: 'json' })
  batch.put('k1', { v: [1, 2] }, { sublevel: data })
  batch.put('raw', 'utf8 value', { sublevel: data, valueEncoding: 'utf8' })
  batch.put(Buffer.from([0, 1, 255]), Buffer.from('bytes'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  batch.put(new Uint8Array([7, 8]), 'view key', { keyEncoding: 'view' })
  batch.put('outside', { x: true }, { sublevel: sibling })
  batch.del('gone')
  batch.del('k0', { sublevel: data })
  batch.del('old', { sublevel: sibling })
}

async function seed (root: AnyDb, db: AnyDb): Promise<void> {
  await db.put('gone', 'x')
  await db.sublevel('g0').sublevel('data', { valueEncoding: 'json' }).put('k0', 1)
  await root.sublevel('elsewhere').put('old', 'y')
}

for (const depth of [1, 2, 3]) {
  test(`direct batch writes the bytes a sublevel's own batch writes (sublevel depth ${depth}, classic-level and memory-level)`, async (t) => {
    const dir = tmpDir(t, 'kappa-mfi-')
    const pairs: Array<[AnyDb, AnyDb]> = [
      [new Level(dir + '/a', { valueEncoding: 'json' }), new Level(dir + '/b', { valueEncoding: 'json' })],
      [new MemoryLevel(), new MemoryLevel()]
    ]
    for (const [rootA, rootB] of pairs) {
      const nest = (root: AnyDb): AnyDb => {
        let db = root
        for (let i = 0; i < depth; i++) db = db.sublevel('s' + i)
        return db
      }
      const a = nest(rootA)
      const b = nest(rootB)
      await seed(rootA, a)
      await seed(rootB, b)
      const direct = directBatch(a as IndexDb)
      t.equal(direct.constructor.name, 'DirectBatch', 'the direct path is taken')
      t.equal(direct.db, a, 'batch.db is the sublevel, as with its own batch')
      fill(direct, rootA, a)
      t.equal(direct.length, 10)
      await direct.write()
      const plain = b.batch()
      fill(plain, rootB, b)
      await plain.write()
      const got = await rawContent(rootA)
      t.deepEqual(got, await rawContent(rootB), 'same keys and values, byte for byte')
      t.ok(got.length >= 7)
      await rootA.close()
      await rootB.close()
    }
  })
}

test('a direct batch closed without write() writes nothing', async (t) => {
  const root = new MemoryLevel()
  const db = root.sublevel('a').sublevel('b') as unknown as IndexDb
  await db.open()
  const batch = directBatch(db)
  batch.put('k', 'v')
  await batch.close()
  t.deepEqual(await rawContent(root), [])
  await root.close()
})

test('levels with prewrite hooks or write listeners keep abstract-level\'s own batch (they see every op)', async (t) => {
  const root = new MemoryLevel()
  const mid = root.sublevel('mid')
  const db = mid.sublevel('db')
  await db.open()
  const seen: string[] = []
  mid.hooks.prewrite.add((op: { key: unknown }) => { seen.push(String(op.key)) })
  const batch = directBatch(db as unknown as IndexDb)
  t.notEqual(batch.constructor.name, 'DirectBatch')
  batch.put('k', 'v')
  await batch.write()
  t.deepEqual(seen, ['!db!k'], 'the middle level\'s hook ran on the op')
  t.equal(await db.get('k'), 'v')

  const other = root.sublevel('other').sublevel('db')
  await other.open()
  const written: unknown[] = []
  other.on('write', (ops: unknown[]) => { written.push(...ops) })
  const b2 = directBatch(other as unknown as IndexDb)
  b2.put('x', '1')
  await b2.write()
  t.equal(written.length, 1, 'the write event fired with the op')
  await root.close()
})
