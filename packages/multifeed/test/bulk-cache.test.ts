// The bulk proof cache (bulk-cache.ts): a source answers a fresh peer's want-bulk for small
// feeds from proofs kept in storage, without opening their hypercores; an entry is served
// only while the feed is at the (fork, length) it proves, and it survives a restart.
import test from 'tape'
import { EventEmitter } from 'node:events'
import Corestore from 'corestore'
import { opened, tmpDir, untilEvent } from '@kappa-ts/test-helpers'
import type { Feed, MultifeedError } from '../src/index.js'
import { Multifeed } from '../src/index.js'
import { BULK_CACHE_PREFIX } from '../src/bulk-cache.js'
import { BULK_MAX_BLOCKS, decodeCachedProofs, encodeProofs, feedProofs } from '../src/bulk-proof.js'
import { twoPeers, pipe, until, converged, contents, append } from './helpers.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')

/** The multifeed's own feed-list core in `store` (the cache lives in its user data). */
function metaCore (store: Corestore): Feed {
  return store.namespace('@kappa-ts/multifeed', { active: false }).get({ name: 'meta', active: false }) as Feed
}

/** The raw cache entry of feed `key` in the Corestore at `dir` (the multifeed using it is closed). */
async function entryIn (dir: string, key: string): Promise<Buffer | null> {
  const store = new Corestore(dir)
  const meta = metaCore(store)
  await meta.ready()
  const value = await meta.getUserData(BULK_CACHE_PREFIX + key)
  await meta.close(); await store.close()
  return value
}

/** Writes `value` as feed `key`'s cache entry at `dir`: what a crash between an append and its fill leaves. */
async function putEntry (dir: string, key: string, value: Buffer): Promise<void> {
  const store = new Corestore(dir)
  const meta = metaCore(store)
  await meta.ready()
  await meta.setUserData(BULK_CACHE_PREFIX + key, value)
  await meta.close(); await store.close()
}

/** Resolves once `m` has no feed open (a feed is closed a moment after its 'feed-close'). */
function untilAllClosed (m: Multifeed): Promise<void> {
  const later = new EventEmitter()
  const relay = (): void => { setImmediate(() => later.emit('closed')) }
  m.on('feed-close', relay)
  return untilEvent(later, 'closed', () => m.feeds().length === 0, 'every feed to close')
    .finally(() => m.off('feed-close', relay))
}

/** Writers of 1..BULK_MAX_BLOCKS blocks each; their keys. */
async function smallWriters (m: Multifeed, count: number): Promise<string[]> {
  const keys: string[] = []
  for (let i = 0; i < count; i++) {
    const w = await m.writer(`small-${i}`)
    for (let j = 0; j <= i % BULK_MAX_BLOCKS; j++) await append(w, { i, j })
    keys.push(hex(w.key))
  }
  return keys
}

test('bulk cache: feeds that arrived in bulk are served on to a fresh peer from the cache, opening none of their hypercores', async (t) => {
  const [c, a] = await twoPeers(t, { maxIdleFeeds: 0 }) // a closes a feed as soon as nothing holds it
  const keys = await smallWriters(c, 24)
  const ca = pipe(c.replicate(true), a.replicate(false))
  await until([c, a], () => a.size === c.size && converged([c, a]), 'a to get every feed from c')
  await untilAllClosed(a)
  for (const p of a.peers) p.stream.destroy() // c is gone: only a can serve b
  await ca

  const b = await opened(t, new Multifeed(tmpDir(t, 'kappa-multifeed-'), { key: a.key }))
  const opens: string[] = []
  a.on('feed-open', (feed: Feed) => opens.push(hex(feed.key)))
  const errors: MultifeedError[] = []
  for (const m of [a, b]) m.on('peer-error', (err: MultifeedError) => errors.push(err))
  const ab = pipe(a.replicate(true), b.replicate(false))
  await until([a, b], () => b.size === a.size && converged([a, b]), 'b to get every feed from a')
  t.deepEqual(opens, [], 'a opened none of the small feeds to serve them')
  t.deepEqual(errors.map((e) => e.code), [], 'nobody was dropped')
  t.deepEqual(await contents(b), await contents(c), 'b holds every entry of every feed')
  t.equal(b.size, keys.length, `b holds all ${keys.length} feeds`)
  for (const p of b.peers) p.stream.destroy()
  await ab
  // what a cached of the feeds it got in bulk is what each of its cores makes (not c's bytes as sent)
  const meta = metaCore(a.corestore)
  await meta.ready()
  let same = 0
  for (const k of keys) {
    const entry = decodeCachedProofs(await meta.getUserData(BULK_CACHE_PREFIX + k))
    const feed = await a.hold(k)
    const made = encodeProofs((feed !== undefined ? await feedProofs(feed) : null) ?? [])
    a.release(k)
    if (entry !== null && made.length === entry.length && made.every((m, j) => m.equals(entry.encoded[j]!))) same++
  }
  await meta.close()
  t.equal(same, keys.length, 'every entry a filled from a bulk arrival is byte for byte the proofs its core makes')
})

test('bulk cache: survives a restart of the source, and a cached answer is byte for byte the proofs the feed makes', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  let a = new Multifeed(dir)
  const keys = await smallWriters(a, 12)
  const large = await a.writer('large')
  for (let j = 0; j < BULK_MAX_BLOCKS + 1; j++) await append(large, { j })
  const key = a.key
  await a.close()
  // in storage after the close: one entry per small feed, none for the one past the bulk bound
  const stored: Array<Buffer | null> = []
  for (const k of keys) stored.push(await entryIn(dir, k))
  t.ok(stored.every((e) => decodeCachedProofs(e) !== null), 'every small writer has a cache entry in storage')
  t.equal(await entryIn(dir, hex(large.key)), null, 'a feed past the bulk bound has none (its entry was deleted as it grew)')

  a = await opened(t, new Multifeed(dir))
  const opens: string[] = []
  a.on('feed-open', (feed: Feed) => opens.push(hex(feed.key)))
  const b = await opened(t, new Multifeed(tmpDir(t, 'kappa-multifeed-'), { key }))
  const ab = pipe(a.replicate(true), b.replicate(false))
  await until([a, b], () => b.size === a.size && converged([a, b]), 'b to get every feed')
  t.deepEqual(opens.filter((k) => keys.includes(k)), [], 'after the restart, a opened none of the small feeds to serve them')
  t.deepEqual(opens, [hex(large.key)], 'only the large feed was opened (served over its own channel)')
  t.deepEqual(await contents(b), await contents(a), 'b holds every entry')
  for (const p of b.peers) p.stream.destroy()
  await ab
  await a.close()
  for (const [i, k] of keys.entries()) {
    const entry = decodeCachedProofs(stored[i])
    const store = new Corestore(dir)
    const core = store.get({ key: Buffer.from(k, 'hex') }) as Feed
    await core.ready()
    const made = encodeProofs((await feedProofs(core)) ?? [])
    const length = core.length
    await core.close(); await store.close()
    t.ok(entry !== null && entry.length === length && made.length === length && made.every((m, j) => m.equals(entry.encoded[j]!)),
      `feed ${i}: the cached proofs are what feedProofs makes at length ${length}`)
  }
})

test('bulk cache: a stale entry (the writer appended since) is not served; the fresh peer gets the current length and nobody is dropped', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  let a = new Multifeed(dir)
  let w = await a.writer()
  const wkey = hex(w.key)
  await append(w, { n: 0 })
  await a.close()
  const old = await entryIn(dir, wkey)
  t.equal(decodeCachedProofs(old)?.length, 1, 'the entry proves length 1')

  a = new Multifeed(dir)
  w = await a.writer()
  await append(w, [{ n: 1 }, { n: 2 }])
  await a.close()
  t.equal(decodeCachedProofs(await entryIn(dir, wkey))?.length, 3, 'the append filled the entry again, at length 3')
  // a crash between an append and its fill would leave the old entry
  await putEntry(dir, wkey, old as Buffer)

  a = await opened(t, new Multifeed(dir))
  const b = await opened(t, new Multifeed(tmpDir(t, 'kappa-multifeed-'), { key: a.key }))
  const arrived: number[] = []
  b.on('feed', (feed: Feed) => { if (hex(feed.key) === wkey) arrived.push(feed.length) })
  const errors: MultifeedError[] = []
  for (const m of [a, b]) m.on('peer-error', (err: MultifeedError) => errors.push(err))
  const ab = pipe(a.replicate(true), b.replicate(false))
  await until([a, b], () => b.size === a.size && converged([a, b]), 'b to get the feed')
  t.deepEqual(arrived, [3], 'b got the feed at its current length 3, not the stale 1')
  t.deepEqual(errors.map((e) => e.code), [], 'nobody was dropped')
  t.deepEqual(await contents(b), await contents(a), 'b holds every entry')
  for (const p of b.peers) p.stream.destroy()
  await ab
  await a.close()
  t.equal(decodeCachedProofs(await entryIn(dir, wkey))?.length, 3, 'the miss stored the proofs of length 3')
})

test('bulk cache: a writer appending while its cached proofs are read and sent never gets anyone dropped', async (t) => {
  // The interleavings are forced, not timed: the source's cache read starts the append.
  for (const when of ['before the lengths are checked', 'while the answer goes out'] as const) {
    const dir = tmpDir(t, 'kappa-multifeed-')
    const first = new Multifeed(dir)
    await append(await first.writer(), { n: 0 })
    await first.close() // its entry at length 1 is in storage now
    const a = await opened(t, new Multifeed(dir))
    const b = await opened(t, new Multifeed(tmpDir(t, 'kappa-multifeed-'), { key: a.key }))
    const w = await a.writer()
    const wkey = hex(w.key)
    const cache = (a as unknown as { _bulkCache: { get(key: string): Promise<unknown> } })._bulkCache
    const read = cache.get.bind(cache)
    let appending: Promise<void> | null = null
    cache.get = async (key: string) => {
      const entry = await read(key)
      if (key === wkey && appending === null) {
        appending = append(w, { n: 1 })
        if (when === 'before the lengths are checked') await appending
      }
      return entry
    }
    const arrived: number[] = []
    b.on('feed', (feed: Feed) => { if (hex(feed.key) === wkey) arrived.push(feed.length) })
    const errors: MultifeedError[] = []
    for (const m of [a, b]) m.on('peer-error', (err: MultifeedError) => errors.push(err))
    const ab = pipe(a.replicate(true), b.replicate(false))
    await until([a, b], () => appending !== null && b.size === 1 && converged([a, b]) && b.lengths(wkey)?.length === 2, 'b to hold both blocks')
    t.ok(appending !== null, `${when}: the append ran during the bulk answer`)
    t.deepEqual(arrived, [when === 'before the lengths are checked' ? 2 : 1],
      `${when}: b got the feed in bulk at ${when === 'before the lengths are checked' ? 'the new length (the entry went stale: a miss)' : 'the cached length, one consistent signed length'}`)
    t.deepEqual(errors.map((e) => e.code), [], `${when}: nobody was dropped`)
    t.deepEqual(await contents(b), await contents(a), `${when}: b holds both entries`)
    for (const p of b.peers) p.stream.destroy()
    await ab
  }
})
