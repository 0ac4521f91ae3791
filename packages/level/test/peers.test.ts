// Two peers share one KappaLevel: each reads the other's writes; concurrent writes
// of one key converge to the same value on both by the conflict rule.
import test from 'tape'
import { KappaLevel } from '../src/index.js'
import { connect, synced, twoPeers } from './helpers.js'

function writerOf (db: KappaLevel): string {
  return db.kappa.feeds().find((f) => f.writable)!.key!.toString('hex')
}

test('each peer reads the other\'s writes, in key order, range reads included', async (t) => {
  const { a, b } = await twoPeers(t)
  await a.batch([{ type: 'put', key: 'a1', value: 'from a' }, { type: 'put', key: 'c1', value: 'from a' }])
  await b.batch([{ type: 'put', key: 'b1', value: 'from b' }, { type: 'put', key: 'd1', value: 'from b' }])
  const end = connect(a, b)
  await synced(a, b)
  const expected = [['a1', 'from a'], ['b1', 'from b'], ['c1', 'from a'], ['d1', 'from b']]
  t.deepEqual(await a.iterator().all(), expected, 'a has both')
  t.deepEqual(await b.iterator().all(), expected, 'b has both')
  t.deepEqual(await b.keys({ gt: 'a1', lte: 'c1' }).all(), ['b1', 'c1'], 'a range read on b')
  // live: a write on one side reaches the other while connected
  await b.del('a1')
  await synced(a, b)
  t.equal(await a.get('a1'), undefined, 'b deleted a key a wrote; a sees it gone')
  t.equal((await a.heads('a1')).length, 1, 'the delete replaced a\'s put: no conflict')
  end()
})

test('concurrent writes of one key: equal clocks, the greater writer key wins on both peers; heads() shows both', async (t) => {
  const { a, b } = await twoPeers(t)
  await a.put('k', 'a')
  await b.put('k', 'b')
  const end = connect(a, b)
  await synced(a, b)
  const winner = writerOf(a) > writerOf(b) ? 'a' : 'b'
  t.equal(await a.get('k'), winner, `a reads ${winner}`)
  t.equal(await b.get('k'), winner, `b reads ${winner}`)
  const ha = await a.heads('k')
  const hb = await b.heads('k')
  t.equal(ha.length, 2, 'two heads')
  t.deepEqual(ha, hb, 'the same heads on both peers')
  t.deepEqual(ha.map((h) => h.value).sort(), ['a', 'b'])
  t.equal(ha.find((h) => h.winner)?.value, winner, 'the winner is marked')

  // a write that saw both heads replaces both: the conflict heals on both peers
  await a.put('k', 'merged')
  await synced(a, b)
  t.deepEqual((await b.heads('k')).map((h) => [h.value, h.clock]), [['merged', 2]], 'one head again')
  t.equal(await b.get('k'), 'merged')
  end()
})

test('the longer history wins whatever the writer keys: clock before key', async (t) => {
  const { a, b } = await twoPeers(t)
  // the peer with the smaller key writes twice, the other once, without seeing each other
  const [low, high] = writerOf(a) < writerOf(b) ? [a, b] : [b, a]
  await low.put('k', 'first')
  await low.put('k', 'second')
  await high.put('k', 'concurrent')
  const end = connect(a, b)
  await synced(a, b)
  t.equal(await a.get('k'), 'second', 'clock 2 beats clock 1 on a')
  t.equal(await b.get('k'), 'second', 'and on b')
  t.deepEqual((await a.heads('k')).map((h) => h.clock).sort(), [1, 2])
  end()
})

test('a concurrent delete and put: the rule decides, the same on both; the losing put stays a head', async (t) => {
  const { a, b } = await twoPeers(t)
  await a.put('k', 'v0')
  let end = connect(a, b)
  await synced(a, b)
  end()
  await a.del('k') // clock 2
  await b.put('k', 'v1') // clock 2
  end = connect(a, b)
  await synced(a, b)
  const putWins = writerOf(b) > writerOf(a)
  const expected = putWins ? 'v1' : undefined
  t.equal(await a.get('k'), expected, `a: ${putWins ? 'the put' : 'the delete'} wins`)
  t.equal(await b.get('k'), expected, 'b agrees')
  t.deepEqual(await a.keys().all(), putWins ? ['k'] : [], 'range reads agree with get')
  const heads = await b.heads('k')
  t.deepEqual(heads.map((h) => h.deleted).sort(), [false, true], 'both writes are heads')
  t.equal(heads.find((h) => !h.deleted)?.value, 'v1', 'the put keeps its value as a head')
  end()
})
