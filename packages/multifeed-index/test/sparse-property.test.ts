// Sparse downloads in random order (fast-check, fixed seed): after each step the
// index holds exactly the blocks that are local, each once; nothing stalls.
import test from 'tape'
import fc from 'fast-check'
import path from 'node:path'
import Corestore from 'corestore'
import { MemoryLevel } from 'memory-level'
import { MultifeedIndex } from '../src/index.js'
import { closeAtEnd, connect, tmpDir } from '@kappa-ts/test-helpers'
import { countingMap, dataOf, StoreFeeds, append } from './helpers.js'

const LENGTH = 120

test('random sparse download orders: the index always holds exactly the local blocks, once each', async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  const a = new StoreFeeds(closeAtEnd(t, new Corestore(path.join(dir, 'a'))))
  const b = new StoreFeeds(closeAtEnd(t, new Corestore(path.join(dir, 'b'))))
  connect(a, b, t)
  const mem = closeAtEnd(t, new MemoryLevel<string, unknown>({ valueEncoding: 'json' }))
  let run = 0
  let checked = 0
  const range = fc.tuple(fc.nat(LENGTH - 1), fc.integer({ min: 1, max: 25 }))
  await fc.assert(fc.asyncProperty(fc.array(range, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 30 }), async (ranges, maxBatch) => {
    const writer = await a.add({ name: 'w' + run })
    await append(writer, Array.from({ length: LENGTH }, (_, i) => ({ i })))
    const peer = new StoreFeeds(b.store)
    const feed = await peer.add({ key: writer.key as Buffer })
    const done = feed.findingPeers()
    await feed.update({ wait: true })
    done()
    const index = new MultifeedIndex({ multifeed: peer, db: mem.sublevel('r' + run++), map: countingMap, maxBatch })
    await index.ready()
    const local = new Set<number>()
    for (const [start, len] of ranges) {
      const end = Math.min(LENGTH, start + len)
      await feed.download({ start, end }).done()
      for (let i = start; i < end; i++) local.add(i)
      await index.indexed()
      const data = await dataOf(index)
      const seqs = [...data.keys()].map((k) => parseInt(k.split(':')[1]!)).sort((x, y) => x - y)
      if (JSON.stringify(seqs) !== JSON.stringify([...local].sort((x, y) => x - y))) return false
      if (![...data.values()].every((v) => (v as { count: number }).count === 1)) return false
    }
    await index.close()
    checked++
    return true
  }), { seed: 11, numRuns: 12 })
  t.equal(checked, 12, '12 random download orders')
})
