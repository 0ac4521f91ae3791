import test from 'tape'
import { MultifeedIndex } from '../src/index.js'
import { fixture, countingMap, dataOf, append, entries as entriesOf } from './helpers.js'

test('a version change clears data and cursors in one step and rebuilds from the logs; old generation removed', async (t) => {
  const { multifeed, db } = fixture(t)
  const w = await multifeed.writer()
  await append(w, Array.from({ length: 20 }, (_, i) => ({ i })))
  const sub = db.sublevel('view')
  let index = new MultifeedIndex({ multifeed, db: sub, map: countingMap, version: 1 })
  await index.indexed()
  // something the old version wrote that the new one would never write
  await index.data.put('stale-key', { from: 'v1' })
  t.equal((await dataOf(index)).size, 21)
  const gen1 = index.generation
  await index.close()

  // same version: nothing redone
  let mapped = 0
  index = new MultifeedIndex({ multifeed, db: sub, map: (e, b, c) => { mapped += e.length; return countingMap(e, b, c) }, version: 1 })
  await index.indexed()
  t.equal(mapped, 0, 'same version reopens without reindexing')
  await index.close()

  index = new MultifeedIndex({ multifeed, db: sub, map: (e, b, c) => { mapped += e.length; return countingMap(e, b, c) }, version: 2 })
  await index.indexed()
  t.equal(mapped, 20, 'new version reindexes every entry')
  t.equal(index.generation, gen1 + 1, 'a fresh generation')
  const data = await dataOf(index)
  t.equal(data.get('stale-key'), undefined, 'old data is gone')
  t.equal(data.size, 20, 'rebuilt from the logs')
  t.ok([...data.values()].every((v) => (v as { count: number }).count === 1), 'each once (cursors were cleared with the data)')
  t.deepEqual(entriesOf(index), { indexed: 20, total: 20 })
  await index.close()
  // the old generation is deleted from disk
  let oldKeys = 0
  for await (const _ of sub.sublevel('g' + gen1).keys()) oldKeys++
  t.equal(oldKeys, 0, 'old generation cleared')
})
