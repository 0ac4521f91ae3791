// Ordered reads: query({ where, order, reverse, limit }) on single and compound indexes
// against a reference model (fast-check, fixed seed), count(), values(), and the fork
// rule (winner) that get() orders by.
import test from 'tape'
import fc from 'fast-check'
import { compareVersions, winner, type RecordDB, type RecordVersion } from '../src/index.js'
import { tmpDir, type TestLike } from '@kappa-ts/test-helpers'
import { collect, openDb } from './helpers.js'

// First values chosen to sit on the boundaries of the compound key encoding: a prefix of
// another, an escaped \x00 and \x01 right after one, the empty string; numbers of both signs.
const ROOMS = ['', 'a', 'a\u0000', 'a\u0001', 'a\u0001b', 'ab', 'b', 'é']
const event = {
  type: 'object',
  required: ['room', 'at'],
  indexes: [['room', 'at'], ['room', 'kind', 'at']],
  properties: {
    room: { type: 'string', index: true },
    kind: { type: ['string', 'boolean', 'null'], index: true },
    at: { type: 'number', index: true },
    tags: { type: 'array', items: { type: 'string' }, index: true }
  }
}

interface Ev { id: string; room: string; kind: string | boolean | null; at: number; tags: string[] }

async function withEvents (t: TestLike, fn: (db: RecordDB, live: Ev[]) => Promise<void>): Promise<void> {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir, { schemas: { 'app/event': { schema: event } } })
  try {
    // 240 events, then every 7th updated (a stale version stays in the indexes) and every 11th deleted
    const all: Ev[] = []
    let seed = 7
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
    for (let i = 0; i < 240; i++) {
      const kinds = ['msg', 'join', true, false, null] as const
      all.push({ id: `e${String(i).padStart(3, '0')}`, room: ROOMS[rand(ROOMS.length)] as string, kind: kinds[rand(kinds.length)] as Ev['kind'], at: rand(40) - 20 + (rand(2) === 0 ? 0.5 : 0), tags: ['x', 'y', 'z'].slice(0, rand(4)) })
    }
    await db.batch(all.map((e) => ({ type: 'put' as const, schema: 'app/event', id: e.id, value: { room: e.room, kind: e.kind, at: e.at, tags: e.tags } })))
    const live = new Map(all.map((e) => [e.id, e]))
    for (const [i, e] of all.entries()) {
      if (i % 7 === 0) {
        const moved = { ...e, room: ROOMS[(ROOMS.indexOf(e.room) + 1) % ROOMS.length] as string, at: e.at + 3 }
        await db.put('app/event', { room: moved.room, kind: moved.kind, at: moved.at, tags: moved.tags }, { id: e.id })
        live.set(e.id, moved)
      } else if (i % 11 === 0) {
        await db.del('app/event', e.id)
        live.delete(e.id)
      }
    }
    await fn(db, [...live.values()])
  } finally {
    await db.close()
  }
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0)

test('query by [room, at] and [room, kind, at] in order, with ranges, reverse and limit, equals a sorted model (fast-check)', async (t) => {
  await withEvents(t, async (db, live) => {
    const at = fc.oneof(fc.constant(undefined), fc.integer({ min: -22, max: 22 }).map((n) => n / 2))
    const query = fc.record({
      room: fc.constantFrom(...ROOMS),
      kind: fc.oneof(fc.constant(undefined), fc.constantFrom<string | boolean | null>('msg', 'join', true, false, null)),
      gt: at, gte: at, lt: at, lte: at,
      reverse: fc.boolean(),
      limit: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 12 }))
    })
    let runs = 0
    await fc.assert(fc.asyncProperty(query, async (q) => {
      const range: Record<string, number> = {}
      for (const op of ['gt', 'gte', 'lt', 'lte'] as const) if (q[op] !== undefined) range[op] = q[op]
      const where: Record<string, unknown> = { room: q.room }
      if (q.kind !== undefined) where.kind = q.kind
      if (Object.keys(range).length > 0) where.at = range
      const opts = { where: where as never, order: 'at', reverse: q.reverse, ...(q.limit === undefined ? {} : { limit: q.limit }) }
      const got = (await collect(db.query('app/event', opts))).map((v) => v.id)
      const want = live
        .filter((e) => e.room === q.room && (q.kind === undefined || e.kind === q.kind))
        .filter((e) => (range.gt === undefined || e.at > range.gt) && (range.gte === undefined || e.at >= range.gte) &&
          (range.lt === undefined || e.at < range.lt) && (range.lte === undefined || e.at <= range.lte))
        .sort((a, b) => cmp(a.at, b.at) || cmp(a.id, b.id))
        .map((e) => e.id)
      if (q.reverse) want.reverse()
      runs++
      return JSON.stringify(got) === JSON.stringify(q.limit === undefined ? want : want.slice(0, q.limit))
    }), { seed: 42, numRuns: 300 })
    t.pass(`${runs} queries: the order, the bounds, reverse and limit match the model`)

    const byAt = (await collect(db.query('app/event', { order: 'at' }))).map((v) => v.value as Ev)
    t.deepEqual(byAt.map((e) => e.at), [...live].sort((a, b) => a.at - b.at).map((e) => e.at), 'order alone: every record, from the field\'s own index')
    const tagged = await collect(db.query('app/event', { where: { tags: 'y' }, order: 'at', reverse: true, limit: 5 }))
    t.deepEqual(tagged.map((v) => (v.value as Ev).at), live.filter((e) => e.tags.includes('y')).map((e) => e.at).sort((a, b) => b - a).slice(0, 5),
      'a condition the order\'s index does not cover is checked on each hit')
    try {
      await db.query('app/event', { where: { kind: 'msg' }, order: 'room' }).next()
      await db.query('app/event', { where: { tags: 'x' }, order: 'kind' }).next()
      t.pass('orders an index gives are accepted')
      await db.query('app/event', { where: { room: 'a' }, order: 'id' }).next()
      t.fail('an order no index gives')
    } catch (err) {
      t.equal((err as { code?: string }).code, 'ERR_NOT_INDEXED', 'an order no index gives: ERR_NOT_INDEXED')
    }
  })
})

test('count() equals what query() yields; values() lists each live value once, in order', async (t) => {
  await withEvents(t, async (db, live) => {
    for (const room of ROOMS) {
      t.equal(await db.count('app/event', { where: { room } }), live.filter((e) => e.room === room).length, `count of room ${JSON.stringify(room)}`)
    }
    t.equal(await db.count('app/event', { where: { room: 'a', at: { gte: 0 } } }), live.filter((e) => e.room === 'a' && e.at >= 0).length, 'with a range')
    const rooms = await collect(db.values('app/event', 'room'))
    t.deepEqual(rooms, [...new Set(live.map((e) => e.room))].sort(), 'distinct rooms of live records, in index order')
    const kinds = await collect(db.values('app/event', 'kind'))
    t.deepEqual(kinds, [null, false, true, 'join', 'msg'].filter((k) => live.some((e) => e.kind === k)), 'types in index order: null, false, true, strings')
    t.deepEqual(await collect(db.values('app/event', 'tags')), ['x', 'y', 'z'].filter((x) => live.some((e) => e.tags.includes(x))), 'array fields give their elements')
    t.deepEqual(await collect(db.values('app/event', 'at', { limit: 3 })), [...new Set(live.map((e) => e.at))].sort((a, b) => a - b).slice(0, 3), 'numbers in numeric order, negative ones first; limit')
  })
  // append-only counting reads keys only; long strings share an encoding and are told apart
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir, { mode: 'open', schemas: { 'app/msg': { schema: { type: 'object', properties: { ch: { type: 'string', index: true } } }, appendOnly: true } } })
  try {
    const long = 'z'.repeat(512)
    await db.batch(['a', 'a', 'b', `${long}1`, `${long}2`, `${long}2`].map((ch) => ({ type: 'put' as const, schema: 'app/msg', value: { ch } })))
    t.equal(await db.count('app/msg', { where: { ch: 'a' } }), 2, 'append-only: counted from the index')
    t.equal(await db.count('app/msg', { where: { ch: `${long}2` } }), 2, 'a value longer than the index keeps: counted exactly')
    t.deepEqual(await collect(db.values('app/msg', 'ch')), ['a', 'b', `${long}1`, `${long}2`], 'values sharing their first 512 characters are each listed')
  } finally {
    await db.close()
  }
})

test('winner(): the greatest (timestamp, feed, address), whatever the order of the versions (fast-check); get() orders by it', async (t) => {
  const version = fc.record({
    feed: fc.constantFrom('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)),
    block: fc.nat(12),
    index: fc.nat(3),
    timestamp: fc.integer({ min: 0, max: 3 })
  }).map((v): RecordVersion => ({
    schema: 's', id: 'x', op: 'put', value: 1, links: [], timestamp: v.timestamp, feed: v.feed,
    address: { block: v.block, index: v.index }, ref: `${v.feed}@${v.block}.${v.index}`
  }))
  let runs = 0
  fc.assert(fc.property(fc.uniqueArray(version, { minLength: 1, maxLength: 6, selector: (v) => v.ref }), fc.nat(), (vs, rot) => {
    const shuffled = [...vs.slice(rot % vs.length), ...vs.slice(0, rot % vs.length)].reverse()
    const w = winner(vs)
    runs++
    return w !== null && w.ref === winner(shuffled)?.ref && vs.every((v) => compareVersions(v, w) <= 0) &&
      // numeric addresses: block 10 comes after block 9
      vs.every((v) => v.timestamp !== w.timestamp || v.feed !== w.feed || v.address.block <= w.address.block)
  }), { seed: 8, numRuns: 300 })
  t.pass(`${runs} runs: the choice never depends on the order, and it is the greatest`)
  t.equal(winner([]), null, 'no versions, no winner')

  // a fork made by two writers at the same time: get() lists both, the winner last
  const da = tmpDir(t, 'kappa-rdb-')
  const db = tmpDir(t, 'kappa-rdb-')
  let clock = 5
  const a = await openDb(da, { mode: 'open', now: () => clock })
  const b = await openDb(db, { mode: 'open', key: a.key, now: () => clock })
  try {
    await a.putSchema('doc', { type: 'object' })
    const sa = a.replicate(true)
    const sb = b.replicate(false)
    sa.pipe(sb).pipe(sa)
    await b.synced()
    sa.destroy()
    clock = 100
    await a.put('doc', { by: 'a' }, { id: 'd' })
    await b.put('doc', { by: 'b' }, { id: 'd' })
    const s2a = a.replicate(true)
    const s2b = b.replicate(false)
    s2a.pipe(s2b).pipe(s2a)
    await a.synced()
    await b.synced()
    const fa = await a.get('doc', 'd')
    const fb = await b.get('doc', 'd')
    t.equal(fa.length, 2, 'a fork: two current versions')
    t.deepEqual(fa.map((v) => v.ref), fb.map((v) => v.ref), 'listed in the same order on both peers')
    t.equal(fa.at(-1)?.ref, winner(fa)?.ref, 'the winner is the last')
    t.equal(winner(fa)?.feed, [a.writerKey, b.writerKey].sort()[1], 'same timestamp: the greater feed key wins')
    s2a.destroy()
  } finally {
    await a.close()
    await b.close()
  }
})
