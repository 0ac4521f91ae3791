// kappa-db serve, GET /api/events: one SSE event per record change, local or replicated from
// another peer over a real replication stream; ?schema= filters; only versions that count.
import test from 'tape'
import { connect, tmpDir } from '@kappa-ts/test-helpers'
import { openDb, caughtUp } from './helpers.js'
import { bookSchema, call, events, serve } from './serve-helpers.js'

const noteSchema = { type: 'object', required: ['text'], properties: { text: { type: 'string' } } }

test('serve events: changes written here and by another peer, filtered by schema', async (t) => {
  const dirA = tmpDir(t, 'kappa-rdb-')
  const dirB = tmpDir(t, 'kappa-rdb-')
  const a = await openDb(dirA) // authorized mode: a is the root
  const b = await openDb(dirB, { key: a.key })
  const srv = await serve(a)
  const end = connect(a, b)
  const all = await events(srv)
  const books = await events(srv, '?schema=book')
  try {
    await a.putSchema('book', bookSchema)
    await a.putSchema('note', noteSchema)
    const schemaEvent = await all.next((e) => e.event === 'change' && e.data.schema === 'core/schema' && e.data.id === 'note', 'core/schema note')
    t.equal(schemaEvent.data.op, 'put', 'a schema definition is a change too')

    // Written through the API: the event names schema, id, op, author.
    const put = await call(srv, 'PUT', 'api/records/book/local-1', { body: { title: 'Local', year: 2001 } })
    const local = await books.next((e) => e.event === 'change', 'the local put')
    t.deepEqual(local.data, { schema: 'book', id: 'local-1', op: 'put', feed: a.writerKey, ref: put.body.versions[0].ref, timestamp: put.body.versions[0].timestamp },
      'a local put: schema, id, op, author feed, and the ref RecordDB returns')
    await a.put('note', { text: 'not a book' }, { id: 'n1' })
    await all.next((e) => e.event === 'change' && e.data.id === 'n1', 'the note')

    // b's writes are replicated but do not count until a authorizes b: no event for them.
    await caughtUp(b, a)
    await b.put('book', { title: 'From B, unauthorized', year: 2002 }, { id: 'b-early' })
    await caughtUp(a, b)
    await a.put('book', { title: 'Marker', year: 2003 }, { id: 'marker' })
    const marker = await books.next((e) => e.event === 'change', 'the marker')
    t.equal(marker.data.id, 'marker', 'a version that does not count (unauthorized writer) is not reported')

    await a.authorize(b.writerKey)
    const auth = await all.next((e) => e.event === 'change' && e.data.schema === 'core/source', 'the authorization')
    t.equal(auth.data.id, b.writerKey, 'the authorization is reported (as a core/source change)')
    t.equal((await call(srv, 'GET', 'api/records/book/b-early')).status, 200, 'and the records it makes count can be re-read')

    // A record written by the other peer after that reaches a's subscribers.
    await caughtUp(b, a)
    const remoteId = await b.put('book', { title: 'From B', year: 2004 })
    const remote = await books.next((e) => e.event === 'change' && e.data.id === remoteId, "b's record")
    t.equal(remote.data.feed, b.writerKey, "a record written by another peer arrives as an event, with that peer's feed")
    t.equal(remote.data.op, 'put')
    await b.del('book', remoteId)
    const del = await books.next((e) => e.event === 'change' && e.data.id === remoteId, "b's delete")
    t.equal(del.data.op, 'del', 'a delete from the peer arrives with op del')

    t.notOk(books.seen.some((e) => e.event === 'change' && e.data.schema !== 'book'), '?schema=book received only book changes')
    t.ok(all.seen.some((e) => e.event === 'change' && e.data.schema === 'note'), 'the unfiltered stream received the note')
    t.notOk(all.seen.some((e) => e.event === 'change' && e.data.id === 'b-early'), 'nobody heard of the unauthorized version as a change')
  } finally {
    all.close()
    books.close()
    end()
    await srv.close()
    await a.close()
    await b.close()
  }
})

test('serve events: a closed stream stops listening; closing the server ends open streams', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  const srv = await serve(db)
  try {
    t.equal(db.listenerCount('change'), 0, 'no listener before a client')
    const one = await events(srv)
    const two = await events(srv, '?schema=x')
    t.equal(db.listenerCount('change'), 2, 'one listener per stream')
    one.close()
    await one.closed
    // The server learns of the close asynchronously (the socket's close event).
    await db.putSchema('x', { type: 'object' })
    await db.put('x', {}, { id: 'x1' })
    await two.next((e) => e.event === 'change', 'a change after the first client left')
    for (let i = 0; i < 100 && db.listenerCount('change') !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    t.equal(db.listenerCount('change'), 1, 'the closed stream no longer listens')
    await srv.close()
    await two.closed
    t.pass('closing the server ends the open stream (and close() does not wait for it)')
    t.equal(db.listenerCount('change'), 0, 'no listener left')
  } finally {
    await srv.close()
    await db.close()
  }
})
