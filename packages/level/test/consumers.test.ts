// Level-ecosystem code, unchanged, on KappaLevel with two peers: quadstore (an RDF
// graph database that takes any abstract-level backend) and level-read-stream
// (Node streams over any abstract-level database).
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import test from 'tape'
import { Quadstore } from 'quadstore'
import { DataFactory } from 'rdf-data-factory'
import { EntryStream, KeyStream } from 'level-read-stream'
import { connect, synced, twoPeers } from './helpers.js'

const df = new DataFactory()
const ex = (name: string): ReturnType<typeof df.namedNode> => df.namedNode(`http://example.com/${name}`)
const knows = ex('knows')
const name = ex('name')

function triples (quads: Array<{ subject: { value: string }; predicate: { value: string }; object: { value: string } }>): string[] {
  return quads.map((q) => [q.subject.value, q.predicate.value, q.object.value].map((v) => v.replace('http://example.com/', '')).join(' ')).sort()
}

test('quadstore on two peers: each adds quads, both answer pattern queries over all of them', async (t) => {
  const { a, b } = await twoPeers(t)
  const sa = new Quadstore({ backend: a, dataFactory: df })
  const sb = new Quadstore({ backend: b, dataFactory: df })
  await sa.open()
  await sb.open()

  await sa.multiPut([
    df.quad(ex('alice'), name, df.literal('Alice')),
    df.quad(ex('alice'), knows, ex('bob'))
  ])
  await sb.multiPut([
    df.quad(ex('bob'), name, df.literal('Bob')),
    df.quad(ex('bob'), knows, ex('carol'))
  ])
  const end = connect(a, b)
  await synced(a, b)

  const all = ['alice knows bob', 'alice name Alice', 'bob knows carol', 'bob name Bob']
  t.deepEqual(triples((await sa.get({})).items), all, 'peer a has every quad')
  t.deepEqual(triples((await sb.get({})).items), all, 'peer b has every quad')
  t.deepEqual(triples((await sb.get({ subject: ex('alice') })).items), ['alice knows bob', 'alice name Alice'], 'b: by subject (an index range read)')
  t.deepEqual(triples((await sa.get({ predicate: knows })).items), ['alice knows bob', 'bob knows carol'], 'a: by predicate (another index)')
  const count = await sa.countQuads(undefined, undefined, ex('carol'))
  t.ok(Number.isFinite(count) && count >= 1, `a: approximate count by object (${count}, from approximateSize)`)
  const matched: string[] = []
  for await (const q of sb.match(undefined, name)) matched.push(q.object.value)
  t.deepEqual(matched.sort(), ['Alice', 'Bob'], 'b: match() as an async iterator')

  // b removes a quad a wrote; a sees it gone from every index
  await sb.del(df.quad(ex('alice'), knows, ex('bob')))
  await synced(a, b)
  t.deepEqual(triples((await sa.get({ predicate: knows })).items), ['bob knows carol'], 'a: the quad b deleted is gone')
  t.deepEqual(triples((await sa.get({ object: ex('bob') })).items), [], 'from every index')

  end()
  await sa.close()
  await sb.close()
})

test('level-read-stream on two peers: a range of the other peer\'s keys as a Node stream', async (t) => {
  const { a, b } = await twoPeers(t)
  await a.batch(Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, key: `a${String(i).padStart(2, '0')}`, value: `from a ${i}` })))
  await b.put('b', 'from b')
  const end = connect(a, b)
  await synced(a, b)

  const got: string[] = []
  await pipeline(new EntryStream(b, { gte: 'a10', lt: 'a13' }), new Writable({
    objectMode: true,
    write (entry: { key: string; value: string }, _enc, next) { got.push(`${entry.key}=${entry.value}`); next() }
  }))
  t.deepEqual(got, ['a10=from a 10', 'a11=from a 11', 'a12=from a 12'], 'b streams a\'s keys in order')

  const keys: string[] = []
  await pipeline(new KeyStream(a, { gt: 'a28' }), new Writable({
    objectMode: true,
    write (key: string, _enc, next) { keys.push(key); next() }
  }))
  t.deepEqual(keys, ['a29', 'b'], 'a streams its own key and b\'s')
  end()
  await a.close()
  await b.close()
})
