// Many authors (issue 19), through the kappa: reopening opens no feed whose entries are
// indexed already, views answer without them, an entry is read on demand; a fresh peer
// gets and indexes every feed over a real stream; a kill -9 leaves nothing behind.
import test, { type Test } from 'tape'
import { closeAtEnd, connect, killWhenPrinted, tmpDir, untilEvent } from '@kappa-ts/test-helpers'
import path from 'node:path'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Kappa, type Address } from '../src/index.js'
import { countView } from './helpers.js'

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'many-feeds-child.js')
const views = () => ({ count: countView() })
type CountKappa = Kappa<ReturnType<typeof views>>

/** `n` writers `author-<i>` with two entries each (`<i>-0`, `<i>-1`), made 32 at a time; their keys and the second entry's address. */
async function authors (kappa: CountKappa, n: number): Promise<Array<{ key: string; second: Address }>> {
  const out: Array<{ key: string; second: Address }> = new Array(n)
  for (let first = 0; first < n; first += 32) {
    await Promise.all(Array.from({ length: Math.min(32, n - first) }, async (_, j) => {
      const i = first + j
      const w = await kappa.writer(`author-${i}`)
      await w.append({ text: `${i}-0` })
      out[i] = { key: w.key, second: await w.append({ text: `${i}-1` }) }
    }))
  }
  return out
}

/** A kappa folder with `n` authors (see `authors`), indexed and closed. */
async function closedWithAuthors (t: Test, n: number): Promise<{ dir: string; made: Array<{ key: string; second: Address }> }> {
  const dir = tmpDir(t, 'kappa-core-')
  const first: CountKappa = new Kappa(dir, { views: views() })
  await first.ready()
  const made = await authors(first, n)
  await first.indexed()
  await first.close()
  return { dir, made }
}

test('a kappa of 200 feeds reopens opening none: views answer, an entry is read on demand, a new append opens one feed', async (t) => {
  const { dir, made } = await closedWithAuthors(t, 200)

  const kappa: CountKappa = closeAtEnd(t, new Kappa(dir, { views: views() }))
  const opened: string[] = []
  kappa.multifeed.on('feed-open', (f) => opened.push((f.key as Buffer).toString('hex')))
  await kappa.ready()
  await kappa.indexed()
  t.deepEqual(opened, [], 'ready() and indexed() opened none of the 200 feeds (each one\'s progress covers its length)')
  t.equal(kappa.feedKeys().length, 200, 'every feed is known')
  t.equal(await kappa.api.count.count(), 400, 'the view holds every entry')
  t.equal(kappa.status().count!.indexed, 400, 'and its status counts them, without the feeds open')
  const some = made[17]!
  t.equal(await kappa.api.count.last(some.key), '17-1', 'a view answers for a feed that is not open')
  t.deepEqual(opened, [], 'still nothing opened')
  t.deepEqual((await kappa.entry(some.key, some.second))?.value, { text: '17-1' }, 'kappa.entry() reads an entry of a closed feed')
  t.deepEqual(opened, [some.key], 'by opening that feed alone')

  const w = await kappa.writer('author-3')
  await w.append({ text: '3-2' })
  await kappa.indexed()
  t.equal(await kappa.api.count.last(made[3]!.key), '3-2', 'an append to a writer of a closed feed is indexed')
  t.deepEqual(opened, [some.key, made[3]!.key], 'opening only that feed')
})

test('close() leaves neither database a log to replay: a reopen does not redo the last session\'s writes', async (t) => {
  const { dir } = await closedWithAuthors(t, 50)
  const logBytes = (folder: string): number => readdirSync(folder).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(path.join(folder, f)).size, 0)
  t.equal(logBytes(path.join(dir, 'views')), 0, 'the views\' LevelDB log is empty (its memtable, the cursor summary last, went to a table)')
  t.equal(logBytes(path.join(dir, 'cores', 'db')), 0, 'and so is the feeds\' RocksDB log')
  const kappa: CountKappa = closeAtEnd(t, new Kappa(dir, { views: views() }))
  await kappa.indexed()
  t.equal(await kappa.api.count.count(), 100, 'every entry is there after the reopen')
})

test('a fresh peer gets and indexes 300 feeds over a real stream, fetching a bounded number at once', async (t) => {
  const source: CountKappa = closeAtEnd(t, new Kappa(tmpDir(t, 'kappa-core-'), { views: views() }))
  await source.ready()
  const made = await authors(source, 300)
  await source.indexed()
  // at most maxSyncing fetching, plus the candidates admission was checking when the queue filled
  const fresh: CountKappa = closeAtEnd(t, new Kappa(tmpDir(t, 'kappa-core-'), { key: source.key, views: views(), maxSyncing: 2, maxPendingPerPeer: 8 }))
  await fresh.ready()
  let mostSyncing = 0
  const sample = (): void => { mostSyncing = Math.max(mostSyncing, fresh.multifeed.syncing.active) }
  fresh.multifeed.on('feed-open', sample)
  fresh.multifeed.on('lengths', sample)
  connect(source, fresh, t)
  await untilEvent(fresh, 'indexed', async () => await fresh.api.count.count() === 600, 'the fresh peer to index 600 entries', 120_000)
  t.pass('the fresh peer indexed all 600 entries')
  t.equal(fresh.feedKeys().length, 300, 'and knows all 300 feeds')
  const last = await Promise.all(made.map((m) => fresh.api.count.last(m.key)))
  t.ok(last.every((text, i) => text === `${i}-1`), 'every feed\'s entries, up to its last')
  // feeds of two blocks come whole in bulk (multifeed v4) and take no sync slot; any fetched by channel stay bounded
  t.ok(mostSyncing <= 9, `feeds fetched at once: fewer than maxSyncing + maxPendingPerPeer (${mostSyncing})`)
  await fresh.indexed()
  t.equal(fresh.status().count!.indexed, 600, 'status agrees')
})

test('kill -9 after appends to closed feeds and a new writer: reopening indexes exactly what was appended', async (t) => {
  const { dir, made } = await closedWithAuthors(t, 50)

  const out = await killWhenPrinted(child, [dir])
  const added = /added ([0-9a-f]{64})/.exec(out)?.[1]
  t.ok(added !== undefined, 'the child appended, made a writer and was killed without closing')

  const kappa: CountKappa = closeAtEnd(t, new Kappa(dir, { views: views() }))
  await kappa.ready()
  await kappa.indexed()
  t.equal(kappa.feedKeys().length, 51, 'the writer made after the last clean close is known')
  t.equal(await kappa.api.count.count(), 100 + 20 + 1, 'every entry is indexed exactly once: none lost, none twice')
  const lasts = await Promise.all(made.map((m) => kappa.api.count.last(m.key)))
  t.ok(lasts.every((text, i) => text === (i < 10 ? `and again ${i}` : `${i}-1`)), 'each feed\'s last entry is its last append')
  t.equal(await kappa.api.count.last(added!), 'late', 'the new writer\'s entry too')
  t.equal(kappa.status().count!.indexed, 121, 'status agrees')
})
