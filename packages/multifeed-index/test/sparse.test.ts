import test from 'tape'
import path from 'node:path'
import Corestore from 'corestore'
import { Multifeed } from '@kappa-ts/multifeed'
import { MultifeedIndex } from '../src/index.js'
import { closeAtEnd, connect, tmpDir } from '@kappa-ts/test-helpers'
import { openDb, countingMap, dataOf, feedKey, StoreFeeds, untilIndexed, append, entries as entriesOf } from './helpers.js'

test('a sparse peer indexes the ranges it has, never stalls on a missing block, and the rest as it arrives', async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  const a = new StoreFeeds(closeAtEnd(t, new Corestore(path.join(dir, 'a'))))
  const b = new StoreFeeds(closeAtEnd(t, new Corestore(path.join(dir, 'b'))))
  const writer = await a.add({ name: 'w' })
  await append(writer, Array.from({ length: 100 }, (_, i) => ({ i })))
  connect(a, b, t)
  const reader = await b.add({ key: writer.key as Buffer })
  const done = reader.findingPeers()
  await reader.update({ wait: true })
  done()
  t.equal(reader.length, 100, 'the peer knows the length')
  await reader.download({ start: 20, end: 40 }).done()
  await reader.download({ start: 60, end: 70 }).done()

  const db = closeAtEnd(t, openDb(dir))
  const index = new MultifeedIndex({ multifeed: b, db, map: countingMap, maxBatch: 7 })
  await index.indexed()
  const key = feedKey(reader)
  const have = [...(await dataOf(index)).keys()].map((k) => parseInt(k.split(':')[1]!)).sort((x, y) => x - y)
  const expected = [...Array.from({ length: 20 }, (_, i) => 20 + i), ...Array.from({ length: 10 }, (_, i) => 60 + i)]
  t.deepEqual(have, expected, 'exactly the downloaded ranges are indexed')
  t.deepEqual(entriesOf(index), { indexed: 30, total: 100 }, 'ready() resolved with blocks still missing')

  // the rest arrives (in two steps, out of order) and is picked up from 'download' events
  await reader.download({ start: 80, end: 100 }).done()
  await untilIndexed(index, () => index.progress().indexed === 50)
  await reader.download({ start: 0, end: 100 }).done()
  await untilIndexed(index, () => index.progress().indexed === 100)
  const all = await dataOf(index)
  t.equal(all.size, 100, 'every entry indexed in the end')
  t.ok([...all.values()].every((v) => (v as { count: number }).count === 1), 'each exactly once')
  t.ok([...all.keys()].every((k) => k.startsWith(key)), 'keys belong to the feed')

  // live: new appends reach the sparse peer only when downloaded
  await append(writer, { i: 100 })
  await reader.update({ wait: true })
  await reader.download({ start: 100, end: 101 }).done()
  await untilIndexed(index, () => index.progress().indexed === 101)
  t.pass('a downloaded live append is indexed')
  await index.close()
})

test('with the multifeed\'s replication, a remote feed appearing later is indexed live', async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  const m1 = closeAtEnd(t, new Multifeed(path.join(dir, 'm1')))
  await m1.ready()
  const m2b = closeAtEnd(t, new Multifeed(path.join(dir, 'm2b'), { key: m1.key }))
  const w1 = await m1.writer()
  await append(w1, Array.from({ length: 50 }, (_, i) => ({ i })))
  const w2 = await m2b.writer()
  await append(w2, [{ mine: 0 }])
  const db = closeAtEnd(t, openDb(dir))
  const index = new MultifeedIndex({ multifeed: m2b, db, map: countingMap })
  await index.indexed()
  t.deepEqual(entriesOf(index), { indexed: 1, total: 1 }, 'only the local feed so far')
  connect(m1, m2b, t)
  await untilIndexed(index, () => index.progress().indexed === 51)
  await append(w1, { i: 50 })
  await untilIndexed(index, () => index.progress().indexed === 52)
  const data = await dataOf(index)
  t.equal(data.size, 52, 'local and remote entries indexed')
  t.ok([...data.values()].every((v) => (v as { count: number }).count === 1), 'each once')
  await index.close()
})

test('a block the feed holds before its download event arrives is not taken for missing by indexed()', async (t) => {
  // hypercore updates a feed's contiguousLength a moment before it emits 'download';
  // a feed that never emits it is the limit case of that window
  const dir = tmpDir(t, 'kappa-mfi-')
  const a = new StoreFeeds(closeAtEnd(t, new Corestore(path.join(dir, 'a'))))
  const store = closeAtEnd(t, new Corestore(path.join(dir, 'b')))
  const writer = await a.add({ name: 'w' })
  await append(writer, [{ i: 0 }, { i: 1 }], 2)
  connect(a, store, t)
  const real = store.get({ key: writer.key as Buffer, valueEncoding: 'binary' })
  await real.ready()
  const silent = new Proxy(real, {
    get (target, prop, receiver) {
      if (prop === 'on' || prop === 'off') {
        return (event: string, fn: (...args: unknown[]) => void) => {
          if (event !== 'download') target[prop](event, fn)
          return receiver
        }
      }
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v
    }
  })
  const feeds = { feeds: () => [silent], feed: () => silent, on: () => {}, off: () => {} }
  const db = closeAtEnd(t, openDb(dir))
  const index = new MultifeedIndex({ multifeed: feeds, db, map: countingMap })
  const done = real.findingPeers()
  await real.update({ wait: true })
  done()
  await index.indexed() // block 0 not here yet: looked at and found missing
  t.equal((await dataOf(index)).size, 0, 'nothing local at first')
  await real.download({ start: 0, end: 1 }).done()
  t.equal(real.contiguousLength, 1, 'the feed holds the block (and will never say so by event)')
  await index.indexed()
  t.equal((await dataOf(index)).size, 2, 'indexed() waited for it and its two entries are indexed')
  await index.close()
})
