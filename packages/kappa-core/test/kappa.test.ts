import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { MemoryLevel } from 'memory-level'
import { Kappa, KappaError, type ApiDef, type Entry, type View, type ViewBatch, type ViewContext } from '../src/index.js'
import { closeAtEnd, connect, nextEvent, opened, tmpDir, untilEvent } from '@kappa-ts/test-helpers'
import { countView, type Msg } from './helpers.js'

test('a view indexes what writers append; api is bound and typed', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t)).use('counter', countView()))
  const w = await kappa.writer()
  t.deepEqual(await w.append({ text: 'hi' }), { block: 0, index: 0 }, 'one value: its address')
  t.deepEqual(await w.append([{ text: 'a' }, { text: 'b' }]), [{ block: 1, index: 0 }, { block: 1, index: 1 }], 'an array: each value\'s address, packed in one block')
  t.deepEqual(await w.append([]), [], 'an empty array appends nothing')
  await kappa.indexed()
  t.equal(await kappa.api.counter.count(), 3)
  t.equal(await kappa.api.counter.last(w.key), 'b')
  t.equal(w.length, 2, 'two blocks')
  t.deepEqual(await kappa.entry(w.key, { block: 1, index: 1 }), { key: w.key, address: { block: 1, index: 1 }, value: { text: 'b' } }, 'kappa.entry() reads one entry')
  t.equal(await kappa.entry(w.key, { block: 1, index: 2 }), null, 'no such entry: null')
  t.equal(await kappa.entry('ab'.repeat(32), { block: 0, index: 0 }), null, 'unknown feed: null')
  await kappa.entry('nope', { block: 0, index: 0 }).then(() => t.fail('should throw'), (err: KappaError) => t.equal(err.code, 'ERR_INVALID_ADDRESS', 'a malformed key: ERR_INVALID_ADDRESS'))
  await kappa.entry(w.key, { block: -1, index: 0 }).then(() => t.fail('should throw'), (err: KappaError) => t.equal(err.code, 'ERR_INVALID_ADDRESS', 'a malformed address: ERR_INVALID_ADDRESS'))
  t.equal(kappa.feeds().length, 1)
  t.equal(kappa.feed(w.key), w.feed)
  t.ok(kappa.writer() instanceof Promise && (await kappa.writer()) === w, 'same writer object per name')
})

test('concurrent appends coalesce into one hypercore append, in call order', async (t) => {
  const seen: Entry<Msg>[] = []
  const kappa = await opened(t, new Kappa(tmpDir(t)).use('counter', countView({ onMap: (e) => seen.push(...e), maxBatch: 5000 })))
  const w = await kappa.writer()
  let appendEvents = 0
  w.feed.on('append', () => { appendEvents++ })
  const addresses = await Promise.all(Array.from({ length: 1000 }, (_, n) => w.append({ text: 't' + n, n })))
  t.deepEqual(addresses, Array.from({ length: 1000 }, (_, n) => ({ block: 0, index: n })), 'each call gets its own address, in call order, packed in one block')
  t.equal(appendEvents, 1, 'one hypercore append for 1000 concurrent calls')
  await kappa.indexed()
  t.equal(await kappa.api.counter.count(), 1000)
  t.ok(seen.every((e) => e.value.n === e.address.index), 'entries carry the values appended at their address')
  t.deepEqual((await kappa.entry(w.key, { block: 0, index: 999 }))?.value, { text: 't999', n: 999 }, 'stored in the log')
  t.equal(kappa.reader.stats.storageReads, 0, 'local appends are indexed without reading them back')
  // awaited one after another: each goes out alone, at once, as a block of its own
  for (let i = 0; i < 3; i++) t.deepEqual(await w.append({ text: 'x' }), { block: 1 + i, index: 0 })
})

test('filter: filtered entries are never mapped, yet the view catches up past them', async (t) => {
  const seen: Entry<Msg>[] = []
  const kappa = await opened(t, new Kappa(tmpDir(t)).use('even', countView({ filter: (e) => e.address.index % 2 === 0, onMap: (e) => seen.push(...e) })))
  const w = await kappa.writer()
  await w.append(Array.from({ length: 10 }, (_, n) => ({ text: String(n) })))
  await kappa.indexed()
  t.deepEqual(seen.map((e) => e.address.index), [0, 2, 4, 6, 8])
  t.equal(await kappa.api.even.count(), 5)
  t.deepEqual(kappa.status().even, { state: 'idle', indexed: 10, total: 10, blocks: { indexed: 1, total: 1 }, skipped: 0, error: null }, 'cursor past every entry')
})

test('use() on a populated kappa indexes the history, also after ready(); version bump rebuilds', async (t) => {
  const dir = tmpDir(t)
  const kappa = await opened(t, new Kappa(dir))
  const w = await kappa.writer()
  await w.append(Array.from({ length: 50 }, (_, n) => ({ text: String(n) })))
  const late = kappa.use('late', countView())
  await late.indexed()
  t.equal(await late.api.late.count(), 50, 'history indexed by a view added after ready()')
  await kappa.close()

  // same version on reopen: nothing re-mapped
  let mapped = 0
  const again = await opened(t, new Kappa(dir).use('late', countView({ onMap: (e) => { mapped += e.length } })))
  await again.indexed()
  t.equal(mapped, 0, 'reopen with the same version maps nothing again')
  t.equal(await again.api.late.count(), 50)
  await again.close()

  mapped = 0
  const bumped = closeAtEnd(t, new Kappa(dir).use('late', countView({ version: 2, onMap: (e) => { mapped += e.length } })))
  await bumped.indexed()
  t.equal(mapped, 50, 'a new version maps every entry again')
  t.equal(await bumped.api.late.count(), 50, 'old data cleared (not 100)')
})

test('a view is queryable once ready() resolves, also one added after an earlier ready()', async (t) => {
  const kappa = closeAtEnd(t, new Kappa(tmpDir(t)).use('a', countView()))
  await kappa.api.a.count().then(() => t.fail('should reject before ready'), (err: KappaError) => t.equal(err.code, 'ERR_NOT_READY'))
  await kappa.ready()
  t.equal(await kappa.api.a.count(), 0)
  const more = kappa.use('b', countView())
  await more.ready()
  t.equal(await more.api.b.count(), 0, 'ready() again opens the view added later')
})

test('errors: unknown view, duplicate, bad name, bad view, after close', async (t) => {
  const dir = tmpDir(t)
  const kappa = await opened(t, new Kappa(dir).use('a', countView()))
  const code = (fn: () => unknown): string | undefined => {
    try { fn() } catch (err) { return (err as KappaError).code }
    return undefined
  }
  t.equal(code(() => kappa.use('a', countView())), 'ERR_DUPLICATE_VIEW')
  t.equal(code(() => kappa.use('bad name', countView())), 'ERR_INVALID_NAME')
  t.equal(code(() => kappa.use('__proto__', countView())), 'ERR_INVALID_NAME', '__proto__ cannot be a view name')
  t.equal(code(() => kappa.use('toString', countView())), 'ERR_INVALID_NAME')
  t.equal(code(() => kappa.use('x', {} as never)), 'ERR_INVALID_VIEW')
  t.equal(code(() => kappa.use('y', { map () {}, api: { q: 5 } } as never)), 'ERR_INVALID_VIEW', 'api members must be functions')
  t.equal(code(() => new Kappa(dir + '-never', { views: { 'no way': countView() } })), 'ERR_INVALID_NAME', 'bad views in the constructor throw before storage opens')
  t.notOk(fs.existsSync(dir + '-never'), 'and nothing was created on disk')
  t.equal(code(() => kappa.pause(['nope'])), 'ERR_UNKNOWN_VIEW')
  t.equal(code(() => kappa.context('nope')), 'ERR_UNKNOWN_VIEW')
  await kappa.indexed(['nope']).then(() => t.fail('should reject'), (err: KappaError) => {
    t.ok(err instanceof KappaError)
    t.equal(err.code, 'ERR_UNKNOWN_VIEW')
  })
  t.deepEqual(kappa.views, ['a'], 'failed use() calls added nothing')
  await kappa.close()
  t.equal(code(() => kappa.use('b', countView())), 'ERR_CLOSED')
  t.equal(code(() => kappa.api.a.count()), 'ERR_CLOSED')
  t.equal(code(() => kappa.feeds()), 'ERR_CLOSED')
  await kappa.writer().then(() => t.fail(), (err: KappaError) => t.equal(err.code, 'ERR_CLOSED'))
  await kappa.indexed().then(() => t.fail(), (err: KappaError) => t.equal(err.code, 'ERR_CLOSED'))
  await kappa.close() // twice is fine
})

test('a throwing view: view-error with feed and address, other views go on, its api still answers, resume retries', async (t) => {
  let broken = true
  const fragile = countView({
    onMap: (entries) => {
      if (broken && entries.some((e) => e.value.text === 'boom')) throw new Error('cannot map boom')
    }
  })
  const kappa = closeAtEnd(t, new Kappa(tmpDir(t)).use('fragile', fragile).use('solid', countView()))
  const errors: Array<[string, KappaError]> = []
  kappa.on('view-error', (name: string, err: KappaError) => errors.push([name, err]))
  await kappa.ready()
  const w = await kappa.writer()
  await w.append([{ text: 'ok' }])
  await kappa.indexed()
  await w.append([{ text: 'boom' }, { text: 'after' }])
  const err = await kappa.indexed(['fragile']).then(() => null, (e: KappaError) => e)
  t.ok(err instanceof KappaError, 'indexed() of the failed view rejects')
  t.equal(err?.code, 'ERR_VIEW_FAILED')
  t.equal(err?.feed, w.key, 'error carries the feed')
  t.deepEqual(err?.address, { block: 1, index: 0 }, 'and the address of the first entry of the failed batch')
  t.equal(err?.view, 'fragile')
  t.equal(errors.length, 1, 'one view-error event')
  t.equal(errors[0]?.[0], 'fragile')
  await kappa.indexed(['solid'])
  t.equal(await kappa.api.solid.count(), 3, 'the other view indexed everything')
  t.equal(await kappa.api.fragile.count(), 1, 'the failed view still answers from what it indexed')
  t.equal(kappa.status().fragile?.state, 'error')
  t.equal(kappa.status().fragile?.error?.code, 'ERR_VIEW_FAILED')
  broken = false
  kappa.resume(['fragile'])
  await kappa.indexed(['fragile'])
  t.equal(await kappa.api.fragile.count(), 3, 'resume retried the batch and went on')
  t.equal(kappa.status().fragile?.error, null)
})

test('pause stops one view, resume catches it up; live hook and indexed event per batch', async (t) => {
  const hooked: number[] = []
  const view = { ...countView(), indexed: (entries: Entry<Msg>[]) => { hooked.push(...entries.map((e) => e.address.index)) } }
  const kappa = await opened(t, new Kappa(tmpDir(t)).use('v', view).use('w', countView()))
  const events: string[] = []
  kappa.on('indexed', (name: string) => events.push(name))
  const w = await kappa.writer()
  kappa.pause(['v'])
  await w.append([{ text: '1' }, { text: '2' }])
  await kappa.indexed(['w'])
  t.equal(await kappa.api.v.count(), 0, 'paused view indexed nothing')
  t.equal(kappa.status().v?.state, 'paused')
  const resumed = kappa.indexed(['v'])
  kappa.resume(['v'])
  await resumed
  t.equal(await kappa.api.v.count(), 2)
  t.deepEqual(hooked, [0, 1], 'indexed hook saw the committed entries')
  t.ok(events.includes('v') && events.includes('w'), "'indexed' event per view")
})

test('the ViewContext is the declared contract: name, db, entry(), signal; what map returns reaches indexed() after the commit', async (t) => {
  const calls: Array<{ texts: string[]; result: unknown; committed: boolean }> = []
  const hooks: Array<Promise<void>> = []
  let seenCtx: ViewContext | null = null
  const view = {
    filter: (e: Entry<Msg>) => e.value.text !== 'hidden',
    async map (entries: Entry<Msg>[], batch: ViewBatch, ctx: ViewContext) {
      seenCtx = ctx
      for (const e of entries) batch.put(e.value.text, 1)
      // an entry by address: here the first of the batch, read back as map got it
      const first = entries[0]!
      const again = await ctx.entry<Msg>(first.key, first.address)
      return { texts: entries.map((e) => e.value.text), reread: again?.value.text }
    },
    indexed (entries: Entry<Msg>[], result: { texts: string[]; reread: string | undefined }, ctx: ViewContext) {
      hooks.push(ctx.db.get(entries[0]!.value.text).then((v) => { calls.push({ texts: entries.map((e) => e.value.text), result, committed: v === 1 }) }))
    }
  } satisfies View<ApiDef, Msg, { texts: string[]; reread: string | undefined }>
  const kappa = await opened(t, new Kappa(tmpDir(t)).use('v', view))
  const w = await kappa.writer()
  await w.append([{ text: 'a' }, { text: 'hidden' }, { text: 'b' }])
  await w.append({ text: 'hidden' })
  await kappa.indexed() // the hook runs when the batch commits, before indexed() resolves
  await Promise.all(hooks)
  t.deepEqual(calls, [{ texts: ['a', 'b'], result: { texts: ['a', 'b'], reread: 'a' }, committed: true }],
    "indexed() got the filtered entries and map's result, once its writes were committed; not called for a batch all filtered out")
  const ctx = seenCtx as unknown as ViewContext
  t.deepEqual(Object.keys(ctx).sort(), ['db', 'entry', 'name', 'signal'], 'a view is handed its name, its db, entry() and the close signal: nothing of the kappa')
  t.equal(ctx, kappa.context('v'), 'the same context object for the life of the view')
  t.equal(ctx.name, 'v')
  t.equal(await ctx.entry(w.key, { block: 9, index: 0 }), null, 'entry(): null for an address not in the log')
  await ctx.entry('nope', { block: 0, index: 0 }).then(() => t.fail('should throw'), (err: KappaError) => t.equal(err.code, 'ERR_INVALID_ADDRESS'))
  t.equal(ctx.signal.aborted, false, 'the signal is not aborted while the kappa is open')
  const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
  await kappa.close()
  await aborted
  t.equal(ctx.signal.aborted, true, 'close() aborts it: live queries end')
})

test('opts.db: views live in the given db, which close() leaves open; opts.views typed', async (t) => {
  const db = closeAtEnd(t, new MemoryLevel())
  const kappa = await opened(t, new Kappa(path.join(tmpDir(t), 'k'), { db, views: { c: countView() } }))
  const w = await kappa.writer()
  await w.append({ text: 'x' })
  await kappa.indexed()
  t.equal(await kappa.api.c.count(), 1)
  await kappa.close()
  t.equal(db.status, 'open', 'a db we did not open is not closed')
  let keys = 0
  for await (const _ of db.keys()) keys++
  t.ok(keys > 0, 'view data is in the given db')
})

test('replicate: two kappas exchange logs over a piped stream and their views agree', async (t) => {
  const ka = await opened(t, new Kappa(tmpDir(t)).use('c', countView()))
  const kb = await opened(t, new Kappa(tmpDir(t), { key: ka.key }).use('c', countView()).use('d', countView()))
  const wa = await ka.writer()
  const wb = await kb.writer()
  await wa.append([{ text: 'a1' }, { text: 'a2' }])
  await wb.append({ text: 'b1' })
  connect(ka, kb, t)
  await Promise.all([
    untilEvent(ka, 'indexed', async () => await ka.api.c.count() === 3, 'a to index all three'),
    untilEvent(kb, 'indexed', async () => await kb.api.c.count() === 3 && await kb.api.d.count() === 3, 'both views of b to index all three')
  ])
  t.equal(await ka.api.c.count(), 3)
  t.equal(await kb.api.c.count(), 3)
  t.equal(await kb.api.c.last(wa.key), 'a2')
  t.ok(kb.reader.stats.storageReads <= 2, `the two remote entries were read from storage once for both views (${kb.reader.stats.storageReads} reads)`)
  t.equal(await ka.api.c.last(wb.key), 'b1')
})

test('a truncated log: views are rebuilt without the removed entries (reset hook called)', async (t) => {
  let resets = 0
  const kappa = await opened(t, new Kappa(tmpDir(t)).use('c', { ...countView(), reset: () => { resets++ } }))
  const w = await kappa.writer()
  for (let n = 0; n < 5; n++) await w.append({ text: String(n) }) // five blocks of one entry
  await kappa.indexed()
  t.equal(await kappa.api.c.count(), 5)
  await w.feed.truncate(3)
  await untilEvent(kappa, 'indexed', async () => await kappa.api.c.count() === 3, 'the view to be rebuilt to three entries')
  t.equal(await kappa.api.c.last(w.key), '2', 'entries past the new length are gone from the view')
  t.ok(resets >= 1, 'the view was told it is being rebuilt')
  t.deepEqual(await w.append({ text: 'after' }), { block: 3, index: 0 }, 'the writer appends at the new end')
  await kappa.indexed()
  t.equal(await kappa.api.c.last(w.key), 'after')
})

test('skips: a view records what it cannot index (batch.skip); onError skip isolates an entry its map throws on; default stops', async (t) => {
  const dir = tmpDir(t)
  const seen: string[] = []
  const picky = {
    map (entries: Entry<Msg>[], batch: ViewBatch) {
      for (const e of entries) {
        if (e.value.text === '') batch.skip(e, 'an empty text')
        else { seen.push(e.value.text); batch.put(e.value.text, 1) }
      }
    }
  }
  const throwsOn = (bad: string) => ({
    map (entries: Entry<Msg>[], batch: ViewBatch) {
      for (const e of entries) {
        if (e.value.text === bad) throw new Error(`no ${bad}`)
        batch.put(e.value.text, 1)
      }
    }
  })
  const kappa = await opened(t, new Kappa(dir).use('picky', picky).use('lenient', { ...throwsOn('b'), onError: 'skip' as const }).use('strict', throwsOn('b')))
  const events: Array<[string, string]> = []
  kappa.on('skip', (name: string, s: { code: string }) => events.push([name, s.code]))
  const w = await kappa.writer()
  await w.append([{ text: 'a' }, { text: '' }, { text: 'b' }, { text: 'c' }])
  await kappa.indexed(['picky', 'lenient'])
  t.deepEqual(seen, ['a', 'b', 'c'], 'picky indexed the others')
  t.deepEqual(events.sort(), [['lenient', 'ERR_MAP_THREW'], ['picky', 'ERR_NOT_INDEXABLE']], "one 'skip' event each")
  const [skip] = await kappa.skipped('picky')
  t.deepEqual(skip, { key: w.key, block: 0, index: 1, code: 'ERR_NOT_INDEXABLE', reason: 'an empty text' }, 'recorded with feed, address, code and reason')
  t.equal(kappa.status().lenient?.skipped, 1, 'lenient skipped the entry its map threw on')
  t.equal(kappa.status().lenient?.error, null)
  const err = await kappa.indexed(['strict']).then(() => null, (e: KappaError) => e)
  t.equal(err?.code, 'ERR_VIEW_FAILED', 'the default still stops a view whose map throws: a bug is not hidden')
  t.deepEqual(err?.address, { block: 0, index: 0 })
  t.throws(() => new Kappa(dir).use('x', { map () {}, onError: 'later' as 'skip' }), /onError/, 'a bad onError')
})

test('bad cacheBytes / blockBytes / writeBufferSize: ERR_INVALID_OPTIONS before anything is opened (the storage stays free)', async (t) => {
  const dir = tmpDir(t)
  for (const opts of [{ cacheBytes: -1 }, { blockBytes: 0 }, { blockBytes: 1.5 }, { cacheBytes: Number.NaN }, { writeBufferSize: 0 }, { writeBufferSize: 0.5 }]) {
    t.throws(() => new Kappa(dir, opts), (err: unknown) => err instanceof KappaError && err.code === 'ERR_INVALID_OPTIONS', JSON.stringify(opts))
  }
  await opened(t, new Kappa(dir))
  t.pass('the same storage opens afterwards: nothing was left locked')
})

test('writeBufferSize: a kappa whose logs use a small RocksDB write buffer keeps and indexes every entry across a reopen', async (t) => {
  const dir = tmpDir(t)
  // 64 KiB: many flushes of RocksDB's memtable while the entries below are written
  const opts = { writeBufferSize: 64 * 1024, blockBytes: 1024 }
  const kappa = closeAtEnd(t, new Kappa(dir, opts).use('counter', countView()))
  const w = await kappa.writer()
  for (let i = 0; i < 20; i++) await w.append(Array.from({ length: 100 }, (_, j) => ({ text: `${i}-${j}-${'x'.repeat(100)}` })))
  await kappa.indexed()
  const blocks = w.length
  t.ok(blocks > 100, `the entries span many blocks (${blocks})`)
  await kappa.close()
  const again = closeAtEnd(t, new Kappa(dir, opts).use('counter', countView()))
  await again.indexed()
  const w2 = await again.writer()
  t.equal(w2.length, blocks, 'every block is back')
  t.equal(await again.api.counter.count(), 2000, 'the view counts every entry')
  t.equal(await again.api.counter.last(w2.key), `19-99-${'x'.repeat(100)}`, 'the last entry reads back')
})

test("multifeed's limits pass through KappaOptions: a stream that never proves the key is dropped after handshakeTimeout", async (t) => {
  const dir = tmpDir(t)
  const ka = await opened(t, new Kappa(dir, { handshakeTimeout: 300, maxPendingPerPeer: 8, proveTimeout: 5_000, maxFrameBeforeProof: 64 * 1024 }))
  t.equal(ka.multifeed.handshakeTimeout, 300, 'handshakeTimeout reached the multifeed')
  t.equal(ka.multifeed.maxFrameBeforeProof, 64 * 1024, 'maxFrameBeforeProof reached the multifeed')
  // a stream nobody speaks on, not even Noise: dropped at 300 ms rather than the default 10 s
  const dropped = nextEvent<[Error & { code?: string }]>(ka, 'peer-error')
  const mute = ka.replicate(false)
  // the handshake timer is unref'd (it must not keep an app alive); in an app a socket would
  const alive = setInterval(() => {}, 1000)
  const [err] = await dropped
  clearInterval(alive)
  t.equal(err.code, 'ERR_HANDSHAKE_TIMEOUT', `dropped: ${err.message}`)
  mute.destroy()
  await ka.close()
  t.throws(() => new Kappa(dir, { maxPendingPerPeer: 0 }), /maxPendingPerPeer/, 'a bad limit is refused as multifeed refuses it')
})
