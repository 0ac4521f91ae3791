// One lifecycle for every resource of the stack (Holepunch's ReadyResource, as hypercore's
// and corestore's), checked the same way for each through its public API: ready() twice
// opens once, close() twice closes once, close() during ready() waits for it and releases
// everything (the storage opens again), every call after close() fails with the package's
// typed error and its code; then each class's close order.
import test from 'tape'
import path from 'node:path'
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import { Level } from 'level'
import { Multifeed, MultifeedError } from '@kappa-ts/multifeed'
import { MultifeedIndex, IndexError, type IndexDb } from '@kappa-ts/multifeed-index'
import { Kappa, KappaError, type Entry, type ViewBatch, type ViewContext } from '@kappa-ts/kappa-core'
import { KappaSwarm, SwarmError } from '@kappa-ts/swarm'
import { RecordDB, RecordDbError } from '@kappa-ts/record-db'
import createTestnet from 'hyperdht/testnet.js'
import { closeAtEnd, defer, nextEvent, tmpDir } from '@kappa-ts/test-helpers'

/** What every resource has (ReadyResource's surface). */
interface Resource {
  ready(): Promise<void>
  close(): Promise<void>
  readonly opening: Promise<void> | null
  readonly opened: boolean
  readonly closing: Promise<void> | null
  readonly closed: boolean
  on(event: 'ready' | 'close', listener: () => void): unknown
}

interface Subject<R extends Resource> {
  name: string
  errorClass: new (...args: never[]) => Error
  /** A fresh resource on `dir` (the same dir again: the same storage). */
  create(dir: string): Promise<{ resource: R, dispose?: () => Promise<void> }>
  /** Public calls that must fail with ERR_CLOSED after close(). */
  uses: Record<string, (r: R) => unknown>
}

function lifecycleSuite<R extends Resource> (s: Subject<R>): void {
  test(`${s.name}: ready() twice opens once, close() twice closes once`, async (t) => {
    const { resource: r, dispose } = await s.create(tmpDir(t, 'lifecycle-'))
    defer(t, async () => { await r.close(); await dispose?.() })
    let readies = 0
    let closes = 0
    r.on('ready', () => { readies++ })
    r.on('close', () => { closes++ })
    t.equal(r.opened, false, 'not opened before ready()')
    await Promise.all([r.ready(), r.ready()])
    await r.ready()
    t.equal(readies, 1, "one 'ready' event for three ready() calls")
    t.ok(r.opened, 'opened')
    t.ok(r.opening instanceof Promise, 'opening is the shared promise')
    t.equal(r.closing, null, 'not closing')
    const c1 = r.close()
    const c2 = r.close()
    t.equal(c1, c2, 'close() twice returns the same promise')
    t.ok(r.closing instanceof Promise, 'closing is set at once')
    await c1
    await r.close()
    t.equal(closes, 1, "one 'close' event for three close() calls")
    t.ok(r.closed, 'closed')
  })

  test(`${s.name}: close() during ready() waits for the open, then releases everything`, async (t) => {
    const dir = tmpDir(t, 'lifecycle-')
    const { resource: r, dispose } = await s.create(dir)
    defer(t, async () => { await r.close(); await dispose?.() })
    const opening = r.ready()
    const closing = r.close()
    await opening.then(() => t.pass('the ready() in progress resolves'), (err: Error) => t.fail(`ready() rejected: ${err.message}`))
    await closing
    t.ok(r.opened && r.closed, 'it opened, then closed')
    await dispose?.() // what the caller owns (a swarm's or an index's multifeed)
    // the storage is free again: a second resource opens it
    const again = await s.create(dir)
    await again.resource.ready()
    t.ok(again.resource.opened, 'the same storage opens again after the close')
    await again.resource.close()
    await again.dispose?.()
  })

  test(`${s.name}: every call after close() fails with ERR_CLOSED`, async (t) => {
    const { resource: r, dispose } = await s.create(tmpDir(t, 'lifecycle-'))
    defer(t, async () => { await dispose?.() })
    await r.ready()
    await r.close()
    const uses: Record<string, (r: R) => unknown> = { ready: (x) => x.ready(), ...s.uses }
    for (const [name, use] of Object.entries(uses)) {
      let err: unknown = null
      try {
        await use(r)
      } catch (e) {
        err = e
      }
      t.ok(err instanceof s.errorClass, `${name}() after close: a ${s.errorClass.name}`)
      t.equal((err as { code?: string } | null)?.code, 'ERR_CLOSED', `${name}() after close: code ERR_CLOSED`)
    }
  })
}

// ---- the five resources -------------------------------------------------------

lifecycleSuite<Multifeed>({
  name: 'Multifeed',
  errorClass: MultifeedError,
  create: async (dir) => ({ resource: new Multifeed(dir) }),
  uses: { writer: (m) => m.writer(), replicate: (m) => m.replicate(true) }
})

// A MultifeedIndex over a multifeed and a db the caller owns (closed by dispose).
lifecycleSuite<MultifeedIndex>({
  name: 'MultifeedIndex',
  errorClass: IndexError,
  create: async (dir) => {
    const mf = new Multifeed(path.join(dir, 'cores'))
    const db = new Level<string, unknown>(path.join(dir, 'views'), { valueEncoding: 'json' })
    const index = new MultifeedIndex({ multifeed: mf, db: db as unknown as IndexDb, map: () => {} })
    return { resource: index, dispose: async () => { await index.close(); await mf.close(); await db.close() } }
  },
  uses: { indexed: (i) => i.indexed() }
})

lifecycleSuite<Kappa>({
  name: 'Kappa',
  errorClass: KappaError,
  create: async (dir) => ({ resource: new Kappa(dir) }),
  uses: {
    writer: (k) => k.writer(),
    indexed: (k) => k.indexed(),
    feeds: (k) => k.feeds(),
    replicate: (k) => k.replicate(true),
    synced: (k) => k.synced(),
    attach: (k) => k.attach({ statusPeers: () => [], close: async () => {} })
  }
})

lifecycleSuite<KappaSwarm>({
  name: 'KappaSwarm',
  errorClass: SwarmError,
  create: async (dir) => {
    const mf = new Multifeed(dir)
    const swarm = new KappaSwarm(mf, { bootstrap: ['127.0.0.1:1'] })
    return { resource: swarm, dispose: async () => { await swarm.close(); await mf.close() } }
  },
  uses: { join: (s) => s.join() }
})

lifecycleSuite<RecordDB>({
  name: 'RecordDB',
  errorClass: RecordDbError,
  create: async (dir) => ({ resource: new RecordDB(dir) }),
  uses: {
    put: (db) => db.put('note', { text: 'late' }),
    indexed: (db) => db.indexed(),
    synced: (db) => db.synced()
  }
})

// ---- close order, per class ---------------------------------------------------

test('Multifeed: close() closes every feed before it reports closed', async (t) => {
  const dir = tmpDir(t, 'lifecycle-')
  const mf = new Multifeed(dir)
  const feeds = await Promise.all([mf.writer('a'), mf.writer('b')])
  const order: string[] = []
  for (const [i, f] of feeds.entries()) f.on('close', () => order.push(`feed ${i}`))
  mf.on('close', () => order.push('multifeed'))
  await mf.close()
  t.deepEqual(order.sort(), ['feed 0', 'feed 1', 'multifeed'], 'both feeds closed, then the multifeed')
  t.equal(order[order.length - 1], 'multifeed', "the multifeed's 'close' comes last")
  t.ok(feeds.every((f) => f.closed), 'every feed is closed')
})

test("MultifeedIndex: close() lets the batch in progress commit, and leaves the caller's multifeed open", async (t) => {
  const dir = tmpDir(t, 'lifecycle-')
  const mf = closeAtEnd(t, new Multifeed(path.join(dir, 'cores')))
  const db = closeAtEnd(t, new Level<string, unknown>(path.join(dir, 'views'), { valueEncoding: 'json' }))
  let release = (): void => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let mapping = (): void => {}
  const started = new Promise<void>((resolve) => { mapping = resolve })
  const index = new MultifeedIndex<{ n: number }>({
    multifeed: mf,
    db: db as unknown as IndexDb,
    async map (entries, batch, { data }) {
      mapping()
      await gate
      batch.put('count', entries.length, { sublevel: data })
    }
  })
  const order: string[] = []
  index.on('batch', () => order.push('batch'))
  index.on('close', () => order.push('close'))
  await index.ready()
  await index.reader.append(await mf.writer(), [{ n: 1 }, { n: 2 }])
  await started
  const closing = index.close()
  release()
  await closing
  t.deepEqual(order, ['batch', 'close'], 'the batch committed before the index closed')
  t.notOk(mf.closing !== null, 'the multifeed (the caller\'s) is still open')
  const again = new MultifeedIndex({ multifeed: mf, db: db as unknown as IndexDb, map: () => {} })
  await again.ready()
  t.equal(await again.data.get('count'), 2, 'what the batch wrote is stored')
  await again.close()
})

/** A view counting entries; `before` runs at the start of each map() call. */
function counterView (before: () => Promise<void>) {
  return {
    async map (entries: Array<Entry<unknown>>, batch: ViewBatch, ctx: ViewContext): Promise<void> {
      await before()
      const prev = (await ctx.db.get('count') as number | undefined) ?? 0
      batch.put('count', prev + entries.length)
    }
  }
}

test('Kappa: close() lets pending appends land, then closes the views, then the logs', async (t) => {
  const dir = tmpDir(t, 'lifecycle-')
  let release = (): void => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let mapping = (): void => {}
  const started = new Promise<void>((resolve) => { mapping = resolve })
  const kappa = new Kappa(dir).use('count', counterView(async () => { mapping(); await gate }))
  const order: string[] = []
  kappa.on('indexed', () => order.push('view indexed'))
  kappa.multifeed.on('close', () => order.push('multifeed closed'))
  kappa.on('close', () => order.push('kappa closed'))
  const writer = await kappa.writer()
  await writer.append({ n: 0 })
  await started // the view is mapping the first entry (held at the gate)
  const appends = [1, 2, 3].map((n) => writer.append({ n }))
  const closing = kappa.close()
  t.ok(kappa.closing !== null, 'closing at once')
  await Promise.all(appends).then(() => t.pass('appends made before close() land'), (err: Error) => t.fail(err.message))
  release()
  await closing
  t.equal(order[0], 'view indexed', 'the batch in progress committed first')
  t.deepEqual(order.slice(-2), ['multifeed closed', 'kappa closed'], 'then the logs closed, then the kappa')

  const reopened = new Kappa(dir).use('count', counterView(async () => {}))
  await reopened.indexed()
  t.equal(await reopened.context('count').db.get('count'), 4, 'after a restart every append is there and indexed once')
  await reopened.close()
})

test('KappaSwarm: close() leaves the topic and drops the connection; join() after it fails with ERR_CLOSED', async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  defer(t, () => net.destroy())
  const bootstrap = net.bootstrap.map((b) => `${b.host}:${b.port}`)
  const mf = closeAtEnd(t, new Multifeed(tmpDir(t, 'lifecycle-')))
  const swarm = closeAtEnd(t, new KappaSwarm(mf, { bootstrap }))
  const other = new Hyperswarm({ dht: new HyperDHT({ bootstrap: net.bootstrap, host: '127.0.0.1', firewalled: false }) })
  other.on('connection', (socket: { on: (e: string, f: () => void) => void }) => socket.on('error', () => {}))
  defer(t, () => other.destroy())
  await swarm.join()
  const order: string[] = []
  const connected = nextEvent(swarm, 'peer-add')
  await other.join(mf.discoveryKey, { server: false, client: true }).flushed()
  await connected
  swarm.on('peer-remove', () => order.push('peer-remove'))
  swarm.on('close', () => order.push('close'))
  await swarm.close()
  t.deepEqual(order, ['peer-remove', 'close'], 'the connection is dropped before the swarm reports closed')
  t.equal(swarm.joined, false, 'no longer joined')
  t.deepEqual(swarm.peers, [], 'no peers')
  t.notOk(mf.closing !== null, 'the multifeed (not the swarm\'s) stays open')
  await swarm.join().then(() => t.fail('join() after close() resolved'), (err: SwarmError) => t.equal(err.code, 'ERR_CLOSED', 'join() after close(): ERR_CLOSED'))
})

test('RecordDB: close() lets pending writes land, then closes its kappa', async (t) => {
  const dir = tmpDir(t, 'lifecycle-')
  const db = new RecordDB(dir)
  await db.ready()
  await db.putSchema('note', { type: 'object', properties: { text: { type: 'string' } } })
  const order: string[] = []
  db.kappa.on('close', () => order.push('kappa'))
  db.on('close', () => order.push('db'))
  const puts = ['a', 'b', 'c'].map((id) => db.put('note', { text: id }, { id }))
  await db.close()
  t.deepEqual(await Promise.all(puts), ['a', 'b', 'c'], 'writes made before close() land')
  t.deepEqual(order, ['kappa', 'db'], "the kappa closed before the database's 'close'")
  const again = new RecordDB(dir)
  const got = await Promise.all(['a', 'b', 'c'].map(async (id) => (await again.get('note', id))[0]?.value))
  t.deepEqual(got, [{ text: 'a' }, { text: 'b' }, { text: 'c' }], 'and are there after a restart')
  await again.close()
})
