// Schemas are data from peers: whatever a schema says, it cannot hang a writer,
// and a schema that does not count cannot make indexing slower.
import test from 'tape'
import { Worker } from 'node:worker_threads'
import { derive } from '../src/records-view.js'
import type { RecordDbError } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { openDb } from './helpers.js'

async function codeOf (p: Promise<unknown>): Promise<string | undefined> {
  try { await p } catch (err) { return (err as RecordDbError).code }
  return undefined
}

test('a catastrophic-backtracking pattern from a peer\'s schema does not hang a writer (patterns run on RE2)', async (t) => {
  const worker = new Worker(new URL('./pattern-worker.js', import.meta.url))
  // A safety net, not a threshold: on a backtracking engine the first put takes
  // hours; on RE2 the whole worker is done in well under a second.
  const stopAt = setTimeout(() => { void worker.terminate() }, 120_000)
  const results = await new Promise<string[] | null>((resolve) => {
    worker.once('message', (m: string[]) => resolve(m))
    worker.once('exit', () => resolve(null))
    worker.once('error', (err) => { t.error(err); resolve(null) })
  })
  clearTimeout(stopAt)
  await worker.terminate()
  t.ok(results !== null, 'every put returned (the worker was not stopped)')
  t.deepEqual(results, ['ERR_VALIDATION', 'stored', 'ERR_VALIDATION', 'stored'],
    '34 a\'s and a b fail ^(a+)+$; a key not matching ^(b+)+$ is free; a matching key is checked; 50 a\'s pass')
})

test('a pattern RE2 cannot run is refused with ERR_BAD_PATTERN naming the schema and the path; nothing is stored', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  try {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['lookahead', { type: 'object', properties: { s: { type: 'string', pattern: '^(?=a)a' } } }, '/properties/s/pattern'],
      ['backref', { type: 'array', items: { type: 'string', pattern: '^(a)\\1$' } }, '/items/pattern'],
      ['named', { type: 'object', patternProperties: { '^(?<x>a)\\k<x>$': { type: 'string' } } }, '/patternProperties/^(?<x>a)\\k<x>$']
    ]
    for (const [name, schema, path] of cases) {
      try {
        await db.putSchema(name, schema)
        t.fail(`${name}: accepted`)
      } catch (err) {
        const e = err as RecordDbError
        t.equal(e.code, 'ERR_BAD_PATTERN', `${name}: ERR_BAD_PATTERN`)
        t.ok(e.message.startsWith(`${name}: `) && e.message.includes(` at ${path} `), `${name}: names the schema and ${path} (${e.message})`)
      }
    }
    t.deepEqual(await db.schemas(), [], 'no schema was stored')
    t.equal(await codeOf(db.putSchema('broken', { type: 'string', pattern: '(' })), 'ERR_BAD_PATTERN', 'a malformed pattern too')
  } finally {
    await db.close()
  }
})

test('patterns keep their JSON Schema (ECMA-262) syntax: \\u escapes, [^], named groups, \\p{L}', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const db = await openDb(dir)
  try {
    await db.putSchema('text', {
      type: 'object',
      properties: {
        word: { type: 'string', pattern: '^\\p{L}+$' },
        clean: { type: 'string', pattern: '^[^\\u0000-\\u001f]*$' },
        any: { type: 'string', pattern: '^a[^]b$' },
        pair: { type: 'string', pattern: '^(?<first>\\d+)-(?<second>\\d+)$' }
      }
    })
    t.ok(await db.put('text', { word: 'héllo', clean: 'ok', any: 'a\nb', pair: '1-2' }), 'matching values are stored')
    for (const [value, path] of [[{ word: 'hé llo' }, '/word'], [{ clean: 'bell\u0007' }, '/clean'], [{ any: 'ab' }, '/any'], [{ pair: '1-x' }, '/pair']] as const) {
      try {
        await db.put('text', value)
        t.fail(`${path}: accepted`)
      } catch (err) {
        t.equal((err as { path?: string }).path, path, `${path} is refused as JavaScript would refuse it`)
      }
    }
  } finally {
    await db.close()
  }
})

test('indexing a record costs what the record holds, not the schema: 3,000 indexed fields from any peer\'s definition', (t) => {
  const indexFields = Array.from({ length: 3000 }, (_, i) => `f${String(i).padStart(4, '0')}`)
  const cfg = { index: [...indexFields, 'name'].sort(), search: [...indexFields, 'bio'].sort() }
  let reads = 0
  const record = { name: 'Ada', bio: 'counts engines', f0007: 'seven' }
  // Counts every look at the record's properties (reads, ownership checks, key listings).
  const watched = new Proxy(record, {
    get: (o, k) => { reads++; return Reflect.get(o, k) },
    has: (o, k) => { reads++; return Reflect.has(o, k) },
    getOwnPropertyDescriptor: (o, k) => { reads++; return Reflect.getOwnPropertyDescriptor(o, k) },
    ownKeys: (o) => { reads++; return Reflect.ownKeys(o) }
  })
  const d = derive('person', 'id1', 'ref1', watched, cfg)
  t.deepEqual(d.index.length, 2, 'the two indexed fields the record has are indexed (name, f0007)')
  t.ok(d.postings.size > 0, 'and its searchable text')
  t.ok(reads < 50, `${reads} looks at the record's properties, not one per field of the 3,000 the definitions name`)
  t.end()
})
