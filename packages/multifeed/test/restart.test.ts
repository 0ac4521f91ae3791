import test from 'tape'
import { Multifeed } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { pipe, until, converged, contents, append, held, readAt } from './helpers.js'

const hex = (b: Buffer | null): string => (b as Buffer).toString('hex')

test('close and reopen from disk: all feeds, local and remote, are back with their entries', async (t) => {
  const da = tmpDir(t, 'kappa-multifeed-'); const db = tmpDir(t, 'kappa-multifeed-')
  let a = new Multifeed(da)
  await a.ready()
  const key = a.key
  let b = new Multifeed(db, { key })
  const wa = await a.writer()
  await append(wa, [{ a: 0 }, { a: 1 }, { a: 2 }])
  const wb = await b.writer()
  const wb2 = await b.writer('notes')
  await append(wb, { b: 0 })
  await append(wb2, { note: 'x' })
  const link = pipe(a.replicate(true), b.replicate(false))
  await until([a, b], () => a.size === 3 && b.size === 3 && converged([a, b]), 'first sync')
  const before = await contents(b)
  const order = b.keys()
  await a.close(); await b.close(); await link

  // Reopen only b, offline: everything it had must be there from disk alone.
  b = new Multifeed(db)
  let events = 0
  b.on('feed', () => events++)
  b.on('feed-open', () => events++)
  await b.ready()
  t.ok(b.key.equals(key), 'same multifeed key')
  t.deepEqual(b.keys(), order, 'every feed is back, in the same order')
  t.equal(events, 0, 'reopening opened no feed (and no feed joined)')
  t.deepEqual(b.feeds(), [], 'feeds() lists open feeds: none')
  t.deepEqual(b.feedInfo(hex(wa.key)), { key: hex(wa.key), local: false }, 'remote feed stays remote')
  t.deepEqual(b.feedInfo(hex(wb2.key)), { key: hex(wb2.key), local: true, name: 'notes' }, 'named writer keeps its name')
  t.deepEqual(b.lengths(hex(wa.key)), { fork: 0, length: 3, contiguousLength: 3 }, 'lengths known without opening the feed')
  t.deepEqual(await contents(b), before, 'all entries are back, local and remote, without any peer')
  t.deepEqual(await readAt(b, hex(wa.key), 2, { wait: false }), { a: 2 }, 'remote entries read from disk')
  t.ok((await b.writer('notes')).writable, 'local writers are writable again')

  // The reopened remote feed keeps replicating: new entries from a arrive.
  a = new Multifeed(da)
  await append((await a.writer()), { a: 3 })
  const link2 = pipe(a.replicate(false), b.replicate(true))
  await until([b], () => held(b, hex(wa.key)) === 4, 'new entry after restart')
  t.deepEqual(await readAt(b, hex(wa.key), 3, { wait: false }), { a: 3 }, 'reopened remote feed is replicated again')
  t.equal(b.size, 3, 'no duplicates after reconnecting')
  await a.close(); await b.close(); await link2
})
