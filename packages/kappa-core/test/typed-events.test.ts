// Every event a Kappa emits reaches an app through the typed on(): the listeners below
// name no payload type, they get it from KappaEvents (a wrong field does not compile),
// and each event is produced the way an app meets it: two kappas over a piped stream, a
// view that skips and one that throws, a stream to a peer of another multifeed. (A
// swarm's events are KappaSwarm's: @kappa-ts/swarm's typed-events test.)
import test from 'tape'
import { Multifeed } from '@kappa-ts/multifeed'
import { closeAtEnd, connect, firstEvents, opened, tmpDir } from '@kappa-ts/test-helpers'
import { Kappa, type Entry, type KappaEvents, type ViewBatch, type ViewContext } from '../src/index.js'

interface Value { n: number; skip?: boolean; boom?: boolean }

const counter = {
  map (entries: Array<Entry<Value>>, batch: ViewBatch): void {
    for (const e of entries) {
      if (e.value.skip === true) batch.skip(e, 'a value this view does not index', 'ERR_TEST_SKIP')
      else batch.put(`n!${e.value.n}`, e.value.n)
    }
  }
}
const picky = {
  map (entries: Array<Entry<Value>>, _batch: ViewBatch, _ctx: ViewContext): void {
    if (entries.some((e) => e.value.boom === true)) throw new Error('boom')
  }
}

test('an app listening with the typed on() gets every Kappa event with its payload', async (t) => {
  const a = await opened(t, new Kappa(tmpDir(t)).use('count', counter))
  const b = closeAtEnd(t, new Kappa(tmpDir(t), { key: a.key }).use('count', counter).use('picky', picky))
  const stranger = closeAtEnd(t, new Multifeed(tmpDir(t), { handshakeTimeout: 1000 }))

  // What each listener got, as the app would read it (typed payloads, no casts).
  const { got, record, seen } = firstEvents<keyof KappaEvents>()

  b.on('ready', () => record('ready', 'ready'))
  b.on('feed', (feed, info) => { if (!info.local) record('feed', `remote feed ${info.key === feed.key?.toString('hex')}`) })
  b.on('state', (name, state) => { if (name === 'count') record('state', `${name} ${typeof state}`) })
  b.on('progress', (name, p) => { if (name === 'count' && p.indexed > 0) record('progress', `${name} ${p.indexed <= p.total}`) })
  b.on('indexed', (name, entries) => { if (name === 'count') record('indexed', `${name} ${entries.length > 0 && typeof entries[0]?.address.block === 'number'}`) })
  let writerKey = ''
  b.on('skip', (name, skip) => record('skip', `${name} ${skip.code} ${skip.key === writerKey ? 'feed' : skip.key}`))
  b.on('view-error', (name, err) => record('view-error', `${name} ${err.code} ${err.view ?? ''}`))
  b.on('peer-error', (err, peer) => record('peer-error', `${typeof err.code} ${peer.stream !== undefined}`))
  b.on('close', () => record('close', 'close'))
  // @ts-expect-error: 'sync' is not an event of a Kappa
  b.on('sync', () => {})
  // @ts-expect-error: a swarm's events are the swarm's (@kappa-ts/swarm), not the kappa's
  b.on('peer-add', () => {})
  // @ts-expect-error: 'view-error' gives a KappaError, which has no 'count'
  b.on('view-error', (_name, err) => err.count)

  const w = await a.writer()
  writerKey = w.key
  await w.append([{ n: 1 }, { n: 2, skip: true }, { n: 3, boom: true }])
  await b.ready()
  connect(a, b, t)
  await Promise.all((['ready', 'feed', 'state', 'progress', 'indexed', 'skip', 'view-error'] as const).map(seen))

  // a replication stream to a peer of another multifeed: it cannot prove the key
  await stranger.ready()
  const end = connect(b, stranger)
  await seen('peer-error')
  end()

  await a.close()
  await b.close()

  t.equal(got.get('ready'), 'ready', "'ready'")
  t.equal(got.get('feed'), 'remote feed true', "'feed' (feed, info) of a's feed")
  t.equal(got.get('state'), 'count string', "'state' (name, state)")
  t.equal(got.get('progress'), 'count true', "'progress' (name, IndexProgress)")
  t.equal(got.get('indexed'), 'count true', "'indexed' (name, entries with addresses)")
  t.equal(got.get('skip'), 'count ERR_TEST_SKIP feed', "'skip' (name, SkippedEntry) of a's entry")
  t.equal(got.get('view-error'), 'picky ERR_VIEW_FAILED picky', "'view-error' (name, KappaError)")
  t.equal(got.get('peer-error'), 'string true', "'peer-error' (MultifeedError, MultifeedPeer)")
  t.equal(got.get('close'), 'close', "'close'")
})
