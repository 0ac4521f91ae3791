// RecordDB's events reach an app through the typed on() (RecordDBEvents): the listeners
// name no payload type. Two databases on a loopback DHT; a peer's entry that is no record.
import test from 'tape'
import createTestnet from 'hyperdht/testnet.js'
import { closeAtEnd, defer, firstEvents, opened, tmpDir } from '@kappa-ts/test-helpers'
import { RecordDB, type RecordDBEvents } from '../src/index.js'

test('an app listening with the typed on() gets RecordDB events with their payloads', async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  defer(t, () => net.destroy())
  const bootstrap = net.bootstrap.map((b) => `${b.host}:${b.port}`)
  const a = await opened(t, new RecordDB(tmpDir(t, 'kappa-rdb-')))
  await a.putSchema('note', { type: 'object', required: ['text'], properties: { text: { type: 'string' } } })
  await a.put('note', { text: 'hello' }, { id: 'n1' })
  const junk = await a.kappa.writer()
  await junk.append({ not: 'a record' }) // a peer's entry the records view cannot index
  const b = closeAtEnd(t, new RecordDB(tmpDir(t, 'kappa-rdb-'), { key: a.key }))

  const { got, record, seen } = firstEvents<keyof RecordDBEvents>()
  b.on('ready', () => record('ready', 'ready'))
  b.on('change', (c) => { if (c.schema === 'note') record('change', `${c.id} ${c.op} ${JSON.stringify(c.value)} ${c.feed === a.writerKey}`) })
  b.on('progress', (p) => { if (p.indexed > 0) record('progress', `${p.indexed <= p.total}`) })
  b.on('skip', (skip) => record('skip', `${skip.code} ${skip.key === a.writerKey}`))
  b.on('feed', (feed, info) => { if (!info.local) record('feed', `${info.key === feed.key?.toString('hex')}`) })
  b.on('peer-add', (peer) => record('peer-add', `${peer.remotePublicKey.length}`))
  b.on('peer-remove', (peer) => record('peer-remove', `${peer.remotePublicKey.length}`))
  b.on('sync-progress', (p) => { if (p.localLength > 0) record('sync-progress', `${typeof p.synced} ${typeof p.shared}`) })
  b.on('synced', (p) => record('synced', `${p.synced}`))
  b.on('close', () => record('close', 'close'))
  // @ts-expect-error: a RecordChange has no 'record'
  b.on('change', (c) => c.record)
  await b.ready()
  await a.join({ bootstrap })
  await b.join({ bootstrap })
  await Promise.all((['ready', 'change', 'progress', 'skip', 'feed', 'peer-add', 'sync-progress', 'synced'] as const).map(seen))
  await a.close()
  await seen('peer-remove')
  await b.close()
  t.equal(got.get('ready'), 'ready', "'ready'")
  t.equal(got.get('change'), 'n1 put {"text":"hello"} true', "'change' (RecordChange) of a's record")
  t.equal(got.get('progress'), 'true', "'progress' (IndexProgress)")
  t.equal(got.get('skip'), 'ERR_NOT_INDEXABLE true', "'skip' (SkippedEntry) of a's junk entry")
  t.equal(got.get('feed'), 'true', "'feed' (feed, info)")
  t.equal(got.get('peer-add'), '64', "'peer-add' (PeerStatus)")
  t.equal(got.get('sync-progress'), 'boolean boolean', "'sync-progress' (SyncProgress)")
  t.equal(got.get('synced'), 'true', "'synced' (SyncProgress)")
  t.equal(got.get('peer-remove'), '64', "'peer-remove' (PeerStatus)")
  t.equal(got.get('close'), 'close', "'close'")
})
