// Many feeds (issue 19): reopening opens no feed, a feed opens when something needs
// it and closes when nothing does, lengths survive a clean close and a kill -9, and
// fetching is bounded.
import test from 'tape'
import Corestore from 'corestore'
import path from 'node:path'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { killWhenPrinted, tmpDir } from '@kappa-ts/test-helpers'
import { Multifeed, appendEntries, type Feed } from '../src/index.js'
import { BULK_CACHE_PREFIX } from '../src/bulk-cache.js'
import { pipe, twoPeers, until, held, readAt } from './helpers.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lazy-child.js')

/** `n` local writers with `entries` one-entry blocks each, made `parallel` at a time. */
async function writers (m: Multifeed, n: number, entries = 1, parallel = 32): Promise<string[]> {
  const keys: string[] = new Array(n)
  for (let first = 0; first < n; first += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, n - first) }, async (_, j) => {
      const i = first + j
      const w = await m.writer(`w${i}`)
      for (let e = 0; e < entries; e++) await appendEntries(w, [{ w: i, e }])
      keys[i] = hex(w.key)
    }))
  }
  return keys
}

/** Ends every connection of `a` (to `b`, over `link`) and closes both (their folders go with the test). */
async function endPair (a: Multifeed, b: Multifeed, link: Promise<void>): Promise<void> {
  for (const s of a.peers) s.stream.destroy()
  await link
  await a.close(); await b.close()
}

/** Resolves on the next `event`; keeps the process alive meanwhile (idle timers are unref'd). */
function next (emitter: Multifeed, event: 'feed-close' | 'feed-open'): Promise<void> {
  const alive = setInterval(() => {}, 1000)
  return new Promise<void>((resolve) => emitter.once(event, () => resolve())).finally(() => clearInterval(alive))
}

/** A Corestore on `dir` that counts the hypercores it opens (each core once, however many sessions). */
function countingStore (dir: string): { store: Corestore; opened: () => number } {
  const store = new Corestore(dir)
  let n = 0
  ;(store as unknown as { watch(fn: () => void): void }).watch(() => { n++ })
  return { store, opened: () => n }
}

test('reopening 300 feeds opens none of them; get() opens one, idle feeds close again', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const first = new Multifeed(dir)
  await first.ready()
  const byWriter = await writers(first, 300, 2)
  const keys = first.keys()
  await first.close()

  const { store, opened } = countingStore(dir)
  const m = new Multifeed(store, { idleTimeout: 50 })
  await m.ready()
  t.equal(opened(), 1, 'ready() opened one hypercore: the feed list, not one of the 300 feeds')
  t.ok(m.keys().length === 300 && m.keys().every((k, i) => k === keys[i]), 'every feed is known, in the order added')
  t.deepEqual(m.feeds(), [], 'and none is open')
  t.ok(keys.every((k) => m.lengths(k)?.length === 2 && m.lengths(k)?.contiguousLength === 2), 'lengths of every feed, from the snapshot, without opening it')
  t.deepEqual(m.totals(), { feeds: 300, length: 600, contiguousLength: 600 }, 'and their sums')

  const some = byWriter[123]!
  const feed = await m.get(some)
  t.equal(opened(), 2, 'get() opened that one feed')
  t.equal(hex(feed!.key), some, 'the feed asked for')
  t.deepEqual(await readAt(m, some, 1), { w: 123, e: 1 }, 'its entries read back')
  await next(m, 'feed-close')
  t.deepEqual(m.feeds(), [], 'nothing held it: it closed after idleTimeout')
  t.equal(await m.get('00'.repeat(32)), undefined, 'get() of a key that is not a feed of the set: undefined, nothing opened')
  t.equal(opened(), 2, 'nothing else was opened')
  await m.close()
  await store.close()
})

test('hold() keeps a feed open until release(); writer() holds its feed until close()', async (t) => {
  t.timeoutAfter(60_000)
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir, { idleTimeout: 20, maxIdleFeeds: 0 })
  await m.ready()
  const [a, b] = await writers(m, 2)
  await m.close()
  const m2 = new Multifeed(dir, { idleTimeout: 20, maxIdleFeeds: 0 })
  await m2.ready()
  const fa = await m2.hold(a!)
  const fb = await m2.hold(b!)
  m2.release(b!)
  t.equal(m2.feed(b!), undefined, 'released with maxIdleFeeds 0: closed at once')
  t.equal(m2.feed(a!), fa, 'held: still open')
  const other = await m2.get(b!)
  t.notEqual(other, undefined, 'get() reopened the released feed')
  t.equal(m2.feed(b!), undefined, 'and, nothing holding it with maxIdleFeeds 0, closed it again')
  t.equal(m2.feed(a!), fa, 'the held feed stayed open meanwhile')
  t.ok(fb!.closed || fb!.closing !== null, 'the released session was closed')
  const w = await m2.writer('w1')
  t.equal(hex(w.key), b, 'writer(name) of a known writer: its feed, opened by key')
  t.ok(w.writable, 'and writable (Corestore keeps a local core\'s key pair)')
  await appendEntries(w, [{ again: true }])
  const c = await m2.get(a!)
  t.equal(c, fa, 'get() of a held feed: the open session')
  m2.release(a!)
  t.ok(m2.feed(a!) === undefined, 'a released feed closed...')
  t.equal(m2.feed(b!), w, '...while the writer stayed open')
  t.deepEqual(m2.lengths(b!), { fork: 0, length: 2, contiguousLength: 2 }, 'and its lengths follow its appends')
  await m2.close()
})

test('close() leaves RocksDB no log to replay: the next open does not redo the writes of the last session', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  await m.ready()
  await writers(m, 100, 2)
  const logBytes = (): number => readdirSync(path.join(dir, 'db')).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(path.join(dir, 'db', f)).size, 0)
  t.ok(logBytes() > 0, `while open, RocksDB's write-ahead log holds the session's writes (${logBytes()} bytes)`)
  await m.close()
  t.equal(logBytes(), 0, 'after close() it is empty: they were flushed to tables')
  const again = new Multifeed(dir)
  await again.ready()
  t.equal(again.size, 100, 'and every feed is there after a reopen')
  await again.close()
})

test('after kill -9 the lengths come from storage, and a feed added after the last snapshot is back', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  await m.ready()
  await writers(m, 20)
  const keys = m.keys()
  await m.close() // a clean close: a snapshot of 20 feeds of 1 block
  // The child reopens, appends to the first 10 feeds and makes a new one, then is killed.
  const out = await killWhenPrinted(child, [dir])
  const added = /added ([0-9a-f]{64})/.exec(out)?.[1]
  t.ok(added !== undefined, 'the child added a feed and was killed without closing')

  const { store, opened } = countingStore(dir)
  const again = new Multifeed(store)
  await again.ready()
  t.equal(opened(), 1, 'still nothing opened but the feed list')
  t.ok(again.keys().length === 21 && [...keys, added].every((k, i) => again.keys()[i] === k), 'the feed added after the snapshot is known (read from the list\'s records)')
  t.ok(keys.slice(0, 10).every((k) => again.lengths(k)?.length === 3), 'feeds appended to before the kill: their new lengths (the snapshot was not trusted)')
  t.ok(keys.slice(10).every((k) => again.lengths(k)?.length === 1), 'the others: unchanged')
  t.deepEqual(again.lengths(added!), { fork: 0, length: 1, contiguousLength: 1 }, 'the new feed: its length too')
  await again.close()
  await store.close()
})

test('peers holding the same 300 feeds exchange digests and no feed list; after one append, only what changed', async (t) => {
  const da = tmpDir(t, 'kappa-multifeed-'); const db = tmpDir(t, 'kappa-multifeed-')
  let a = new Multifeed(da)
  await a.ready()
  const b = new Multifeed(db, { key: a.key })
  await b.ready()
  const keys = await writers(a, 300)
  let link = pipe(a.replicate(true), b.replicate(false))
  await until([b], () => keys.every((k) => held(b, k) === 1), 'b to fetch all 300 feeds')
  for (const m of [a, b]) for (const s of m.peers) s.stream.destroy()
  await link
  // a restarts (its writers are no longer in use, so nothing makes it list them)
  await a.close()
  a = new Multifeed(da)
  await a.ready()

  // Reconnect with nothing changed: count what each side tells the other, and the bytes.
  const told = { a: 0, b: 0 }
  a.on('remote-feeds', (_p, ks) => { told.a += ks.length })
  b.on('remote-feeds', (_p, ks) => { told.b += ks.length })
  let bytes = 0
  const sa = a.replicate(true)
  const sb = b.replicate(false)
  sa.on('data', (d: Buffer) => { bytes += d.byteLength })
  sb.on('data', (d: Buffer) => { bytes += d.byteLength })
  link = pipe(sa, sb)
  await until([a, b], () => a.peers.length === 1 && b.peers.length === 1 && a.remoteFeeds(a.peers[0]!.stream)?.settled === true &&
    b.remoteFeeds(b.peers[0]!.stream)?.settled === true, 'both to settle')
  t.deepEqual(told, { a: 0, b: 0 }, 'neither side listed a single feed: their digests matched')
  t.ok(bytes < 8 * 1024, `${bytes} bytes on the wire for 300 feeds in sync (the v2 protocol sent every key: 9,600 bytes of keys alone)`)
  t.deepEqual(a.feeds(), [], 'a opened none of its feeds for b')

  // One append: only that feed's state goes to b, and only that feed is fetched.
  const openedOnB: string[] = []
  b.on('feed-open', (f) => openedOnB.push(hex(f.key)))
  const w = await a.get(keys[7]!)
  await appendEntries(w!, [{ more: true }])
  await until([b], () => held(b, keys[7]!) === 2, 'b to fetch the new block')
  t.ok(told.b <= 2, `b heard of ${told.b} feed state(s), not 300`)
  t.ok(openedOnB.every((k) => k === keys[7]), `b opened only the feed that changed (${openedOnB.length} opening(s))`)
  sa.destroy()
  await link
  await a.close(); await b.close()
})

test('a peer behind on 200 known feeds fetches them at most maxSyncing at a time, and all of them', async (t) => {
  const [a, b] = await twoPeers(t, { maxSyncing: 8, maxIdleFeeds: 0, idleTimeout: 10 })
  await b.ready()
  const keys = await writers(a, 200)
  let link = pipe(a.replicate(true), b.replicate(false))
  await until([b], () => keys.every((k) => held(b, k) === 1), 'b to know all 200 feeds')
  for (const s of a.peers) s.stream.destroy()
  await link
  // a appends to all of them while b is away: b now knows every feed and is behind on each.
  for (const k of keys) { const f = await a.hold(k); await appendEntries(f!, [{ second: true }]); a.release(k) }

  let most = 0
  const watch = (): void => { most = Math.max(most, b.syncing.active) }
  b.on('feed-open', watch)
  b.on('lengths', watch)
  link = pipe(a.replicate(true), b.replicate(false))
  await until([b], () => { watch(); return keys.every((k) => held(b, k) === 2) }, 'b to fetch the second block of every feed')
  t.ok(most >= 1 && most <= 8, `at most maxSyncing (8) fetched at once (${most})`)
  t.equal(b.syncing.waiting, 0, 'and none left waiting')
  await endPair(a, b, link)
})

test('an open remote feed is fetched whole as it grows: gaps of a few blocks (asked block by block) and of many (one range), on both sides of the switch', async (t) => {
  const [a, b] = await twoPeers(t)
  const small = await a.writer('small')
  const large = await a.writer('large')
  const blocks = async (w: Feed, n: number, tag: string): Promise<void> => { for (let i = 0; i < n; i++) await appendEntries(w, [{ tag, i }]) }
  await blocks(small, 1, 'first')
  await blocks(large, 65, 'first') // one block over the block-by-block bound: a range from the start
  const sk = hex(small.key); const lk = hex(large.key)
  const link = pipe(a.replicate(true), b.replicate(false))
  await until([b], () => held(b, sk) === 1 && held(b, lk) === 65, 'b to hold both feeds')
  // b keeps both open; a grows them while connected
  await b.hold(sk); await b.hold(lk)
  await blocks(small, 3, 'second') // a small gap
  await until([b], () => held(b, sk) === 4, 'b to fetch a gap of 3 blocks')
  await blocks(small, 70, 'third') // a large gap on a feed fetched block by block so far
  await blocks(large, 2, 'second') // a small gap on a feed with a live range
  await until([b], () => held(b, sk) === 74 && held(b, lk) === 67, 'b to fetch a gap of 70 blocks and one of 2')
  await blocks(small, 1, 'fourth')
  await until([b], () => held(b, sk) === 75, 'and the next block after the range')
  t.deepEqual(await readAt(b, sk, 74), { tag: 'fourth', i: 0 }, 'the last block reads back')
  t.deepEqual(await readAt(b, lk, 66), { tag: 'second', i: 1 }, 'on both feeds')
  t.equal(b.lengths(sk)?.contiguousLength, 75, 'every block of the small feed is held')
  b.release(sk); b.release(lk)
  await endPair(a, b, link)
})

test('serving is bounded: a fresh peer fetching 12 feeds at once never has the source open more than maxServing of them for it, and gets all 12', async (t) => {
  const da = tmpDir(t, 'kappa-multifeed-'); const db = tmpDir(t, 'kappa-multifeed-')
  const first = new Multifeed(da)
  await first.ready()
  const keys = await writers(first, 12, 2)
  const key = first.key
  await first.close()
  // Small feeds go in bulk, answered from the bulk proof cache without opening them: drop
  // the cache (as in a storage written before it) so every answer opens its feed.
  const store = new Corestore(da)
  const meta = store.namespace('@kappa-ts/multifeed', { active: false }).get({ name: 'meta', active: false })
  await meta.ready()
  for (const k of keys) await meta.setUserData(BULK_CACHE_PREFIX + k, null)
  await meta.close(); await store.close()
  // reopened lazily: every feed the source opens from now on, it opens to serve b, whose
  // admission asks for up to 64 feeds at once (asks that arrive together once all took a slot)
  const a = new Multifeed(da, { maxServing: 4, maxIdleFeeds: 0, idleTimeout: 10 })
  await a.ready()
  const b = new Multifeed(db, { key })
  await b.ready()
  let most = 0
  a.on('feed-open', () => { most = Math.max(most, a.feeds().length) })
  const link = pipe(a.replicate(true), b.replicate(false))
  await until([b], () => keys.every((k) => held(b, k) === 2), 'b to get every block of the 12 feeds')
  t.ok(most >= 1 && most <= 4, `the source had at most maxServing (4) feeds open for b at once (${most})`)
  t.deepEqual(await readAt(b, keys[11]!, 1), { w: 11, e: 1 }, 'the last feed reads back')
  await endPair(a, b, link)
})
