import test from 'tape'
import Corestore from 'corestore'
import { Multifeed, MultifeedError, type Feed, type FeedInfo } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { append, entryAt } from './helpers.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')

test('new multifeed: random key, discovery key, no default key shared between instances', async (t) => {
  const a = tmpDir(t, 'kappa-multifeed-'); const b = tmpDir(t, 'kappa-multifeed-')
  const m1 = new Multifeed(a); const m2 = new Multifeed(b)
  await m1.ready(); await m2.ready()
  t.equal(m1.key.byteLength, 32)
  t.equal(m1.discoveryKey.byteLength, 32)
  t.notOk(m1.key.equals(m2.key), 'two new multifeeds get different random keys')
  t.notOk(m1.key.equals(m1.discoveryKey), 'discovery key is not the key')
  await m1.close(); await m2.close()
})

test('key persists across restarts; a different key is refused with ERR_KEY_MISMATCH', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  await m.ready()
  const key = hex(m.key)
  await m.close()

  const again = new Multifeed(dir)
  await again.ready()
  t.equal(hex(again.key), key, 'same key after reopen')
  await again.close()

  const same = new Multifeed(dir, { key })
  await same.ready()
  t.equal(hex(same.key), key, 'giving the stored key is fine')
  await same.close()

  const other = new Multifeed(dir, { key: Buffer.alloc(32, 7) })
  try {
    await other.ready()
    t.fail('should refuse')
  } catch (err) {
    t.ok(err instanceof MultifeedError, 'typed error')
    t.equal((err as MultifeedError).code, 'ERR_KEY_MISMATCH')
  }
  await other.close()

  const back = new Multifeed(dir)
  await back.ready()
  t.equal(hex(back.key), key, 'the refused open changed nothing stored')
  await back.close()
})

test('a given key is used on first open', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const key = 'ab'.repeat(32)
  const m = new Multifeed(dir, { key })
  await m.ready()
  t.equal(hex(m.key), key)
  await m.close()
})

test('bad options throw typed errors', (t) => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try { fn() } catch (err) { return (err as MultifeedError).code }
    return undefined
  }
  t.equal(codeOf(() => new Multifeed('/nonexistent', { key: 'xyz' })), 'ERR_BAD_KEY')
  t.equal(codeOf(() => new Multifeed('/nonexistent', { key: new Uint8Array(31) })), 'ERR_BAD_KEY')
  t.equal(codeOf(() => new Multifeed('/nonexistent', { valueEncoding: 'yaml' as 'json' })), 'ERR_BAD_OPTION')
  t.equal(codeOf(() => new Multifeed('/nonexistent', { maxFeeds: 0 })), 'ERR_BAD_OPTION')
  t.equal(codeOf(() => new Multifeed('/nonexistent', { writeBufferSize: 0.5 })), 'ERR_BAD_OPTION')
  t.equal(codeOf(() => new Multifeed(42 as unknown as string)), 'ERR_BAD_OPTION')
  t.end()
})

test('writeBufferSize: a store opened with a small RocksDB write buffer keeps every entry across a reopen', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const small = { writeBufferSize: 64 * 1024 }
  const m = new Multifeed(dir, small)
  const w = await m.writer()
  // several write buffers' worth, so RocksDB flushes while we write
  for (let i = 0; i < 20; i++) await append(w, Array.from({ length: 100 }, (_, j) => ({ i, j, pad: 'x'.repeat(100) })))
  await m.close()
  const again = new Multifeed(dir, small)
  await again.ready()
  const feed = (await again.writer())
  t.equal(feed.length, 2000, 'all entries are back')
  t.deepEqual(await entryAt(feed, 1999), { i: 19, j: 99, pad: 'x'.repeat(100) }, 'the last entry reads back')
  await again.close()
})

test('writer(name): json by default, named writers differ, feeds()/feed(key)/feed event', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  const events: FeedInfo[] = []
  m.on('feed', (_f: Feed, info: FeedInfo) => events.push(info))
  await m.ready()
  t.deepEqual(m.feeds(), [], 'no feeds yet')

  const w = await m.writer()
  t.ok(w.writable, 'writer is writable')
  t.equal(await m.writer(), w, 'writer() twice gives the same feed')
  const [c1, c2] = await Promise.all([m.writer('x'), m.writer('x')])
  t.equal(c1, c2, 'concurrent writer(name) calls give one feed')
  t.notOk(c1.key!.equals(w.key!), 'a named writer is a different feed')

  await append(w, { hello: 'world' })
  await append(w, [1, 'two', [3]])
  t.deepEqual(await entryAt(w, 0), { hello: 'world' }, 'json values round trip')
  t.deepEqual(await entryAt(w, 2), 'two')

  t.deepEqual(m.feeds(), [w, c1], 'feeds() in order added')
  t.equal(m.feed(hex(w.key)), w, 'feed(hex)')
  t.equal(m.feed(w.key!), w, 'feed(buffer)')
  t.equal(m.feed('00'.repeat(32)), undefined, 'unknown key')
  t.equal(m.feed('not a key'), undefined, 'garbage key')
  t.deepEqual(events, [
    { key: hex(w.key), local: true, name: 'default' },
    { key: hex(c1.key), local: true, name: 'x' }
  ], "'feed' once per feed with its info")

  try { await m.writer(''); t.fail() } catch (err) { t.equal((err as MultifeedError).code, 'ERR_BAD_NAME') }
  await m.close()
})

test('writers are the same feeds after a restart, and reopened feeds are announced by the feed event', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  const w = await m.writer()
  const x = await m.writer('x')
  await append(w, { n: 1 })
  await append(x, { n: 2 })
  const keys = [hex(w.key), hex(x.key)]
  await m.close()

  const m2 = new Multifeed(dir)
  const seen: string[] = []
  m2.on('feed', (f: Feed, info: FeedInfo) => { seen.push(info.key); t.equal(hex(f.key), info.key) })
  await m2.ready()
  t.deepEqual(seen, keys, "every stored feed gets 'feed' during ready()")
  t.deepEqual(m2.feeds().map((f) => hex(f.key)), keys, 'feeds() after reopen')
  const w2 = await m2.writer()
  t.equal(hex(w2.key), keys[0], 'writer() is the same feed')
  t.ok(w2.writable, 'and still writable')
  t.deepEqual(await entryAt(w2, 0), { n: 1 })
  t.equal(hex((await m2.writer('x')).key), keys[1])
  await append(w2, { n: 3 })
  t.equal(w2.length, 2)
  t.equal(m2.feeds().length, 2, 'no duplicate feed for an existing writer')
  await m2.close()
})

test('binary value encoding and a caller-owned Corestore', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const store = new Corestore(dir)
  const m = new Multifeed(store, { valueEncoding: 'binary' })
  t.equal(m.corestore, store)
  const w = await m.writer()
  await append(w, Buffer.from('raw'), 'binary')
  t.ok(Buffer.from('raw').equals(await entryAt(w, 0, { encoding: 'binary' }) as Buffer), 'binary entries')
  await m.close()
  t.notOk(store.closed, 'closing the multifeed leaves a caller-owned Corestore open')
  const m2 = new Multifeed(store, { valueEncoding: 'binary' })
  t.equal(m2.feeds().length, 0)
  await m2.ready()
  t.equal(m2.feeds().length, 1, 'feeds come back from the same Corestore')
  await m2.close()
  await store.close()
})

test('closed multifeed refuses work with ERR_CLOSED', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  await m.ready()
  await m.close()
  try { await m.writer(); t.fail() } catch (err) { t.equal((err as MultifeedError).code, 'ERR_CLOSED') }
  try { m.replicate(true); t.fail() } catch (err) { t.equal((err as MultifeedError).code, 'ERR_CLOSED') }
})
