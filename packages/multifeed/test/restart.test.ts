import test from 'tape'
import { Multifeed } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { pipe, until, converged, contents, append, entryAt } from './helpers.js'

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
  await until([a, b], () => a.feeds().length === 3 && b.feeds().length === 3 && converged([a, b]), 'first sync')
  const before = await contents(b)
  const order = b.feeds().map((f) => hex(f.key))
  await a.close(); await b.close(); await link

  // Reopen only b, offline: everything it had must be there from disk alone.
  b = new Multifeed(db)
  const reopened: Array<{ key: string; local: boolean; name?: string }> = []
  b.on('feed', (_f, info) => reopened.push(info))
  await b.ready()
  t.ok(b.key.equals(key), 'same multifeed key')
  t.deepEqual(b.feeds().map((f) => hex(f.key)), order, 'every feed is back, in the same order')
  t.deepEqual(reopened.map((i) => i.key), order, "'feed' fired for each during ready()")
  t.deepEqual(reopened.find((i) => i.key === hex(wa.key)), { key: hex(wa.key), local: false }, 'remote feed stays remote')
  t.deepEqual(reopened.find((i) => i.key === hex(wb2.key)), { key: hex(wb2.key), local: true, name: 'notes' }, 'named writer keeps its name')
  t.deepEqual(await contents(b), before, 'all entries are back, local and remote, without any peer')
  t.deepEqual(await entryAt(b.feed(hex(wa.key))!, 2, { wait: false }), { a: 2 }, 'remote entries read from disk')
  t.ok((await b.writer('notes')).writable, 'local writers are writable again')

  // The reopened remote feed keeps replicating: new entries from a arrive.
  a = new Multifeed(da)
  await append((await a.writer()), { a: 3 })
  const link2 = pipe(a.replicate(false), b.replicate(true))
  const remote = b.feed(hex(wa.key))!
  await until([b], () => remote.contiguousLength === 4, 'new entry after restart')
  t.deepEqual(await entryAt(remote, 3, { wait: false }), { a: 3 }, 'reopened remote feed is replicated again')
  t.equal(b.feeds().length, 3, 'no duplicates after reconnecting')
  await a.close(); await b.close(); await link2
})
