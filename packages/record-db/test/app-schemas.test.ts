// App schemas (RecordDBOptions.schemas): record types fixed by the app. Writes are checked
// against them (value, id rule, append-only, size); a peer writing around the checks gets
// nothing indexed (skipped and recorded, no 'change'), cannot redefine them, cannot replace
// or delete another author's append-only records; a change of the definitions rebuilds.
import test from 'tape'
import type { Envelope } from '@kappa-ts/schemas'
import { RecordDB, RecordDbError, ValidationError, type AppSchema, type RecordChange, type RecordDBOptions } from '../src/index.js'
import { connect, tmpDir } from '@kappa-ts/test-helpers'
import { caughtUp, collect, openDb } from './helpers.js'

const note = {
  type: 'object',
  required: ['topic', 'text', 'at'],
  additionalProperties: false,
  indexes: [['topic', 'at']],
  properties: {
    topic: { type: 'string', pattern: '^[a-z]{1,16}$', index: true },
    text: { type: 'string', minLength: 1, maxLength: 200, search: true },
    at: { type: 'integer', minimum: 0, index: true }
  }
}
const profile = {
  type: 'object', required: ['name'], additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[^\\u0000-\\u001f]+$' } }
}
const label = {
  type: 'object', required: ['topic', 'label'], additionalProperties: false,
  properties: { topic: { type: 'string', pattern: '^[a-z]{1,16}$' }, label: { type: 'string', maxLength: 40 } }
}
const SCHEMAS: Record<string, AppSchema> = {
  'app/note': { schema: note, appendOnly: true },
  'app/profile': { schema: profile, id: 'author' },
  'app/label': { schema: label, id: { field: 'topic' } }
}
const OPTS: RecordDBOptions = { mode: 'open', schemas: SCHEMAS, maxRecordSize: 2048 }

async function codeOf (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try { await (typeof p === 'function' ? p() : p) } catch (err) { return (err as RecordDbError).code }
  return undefined
}

const length = (db: RecordDB): number => db.kappa.feed(db.writerKey)?.length ?? -1

test('app schemas: writes are validated, ids fixed by the rules, append-only records never replaced, sizes capped', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  let clock = 1_000
  const db = await openDb(dir, { ...OPTS, now: () => (clock += 10) })
  try {
    t.deepEqual(await db.getSchema('app/note'), note, 'getSchema returns the app\'s definition')
    t.deepEqual((await db.schemas()).slice(0, 3), ['app/note', 'app/profile', 'app/label'], 'schemas() lists the app\'s')
    t.equal(await codeOf(db.putSchema('app/note', { type: 'object' })), 'ERR_RESERVED_SCHEMA', 'an app schema cannot be redefined')

    const n1 = await db.putVersion('app/note', { topic: 'cats', text: 'first', at: 5 })
    t.equal(n1.ref, `${db.writerKey}@${n1.address.block}.${n1.address.index}`, 'putVersion returns the version written, with its ref')
    t.equal(n1.timestamp, 1_010, 'envelope timestamps come from the `now` clock')
    t.deepEqual((await db.get('app/note', n1.id)).map((v) => v.ref), [n1.ref], 'get finds it by its ref')

    const before = length(db)
    try {
      await db.put('app/note', { topic: 'Cats!', text: 'x', at: 1 })
      t.fail('an invalid note was written')
    } catch (err) {
      t.ok(err instanceof ValidationError && err.schema === 'app/note' && err.path === '/topic' && err.rule === 'pattern', 'ValidationError with schema, path and rule')
    }
    t.equal(await codeOf(db.put('app/note', { topic: 'cats', text: 'again', at: 6 }, { id: n1.id })), 'ERR_APPEND_ONLY', 'an append-only record is never replaced')
    t.equal(await codeOf(db.del('app/note', n1.id)), 'ERR_APPEND_ONLY', 'nor deleted')
    t.equal(await codeOf(db.put('app/profile', { name: 'ada' }, { id: 'someone-else' })), 'ERR_BAD_ID', 'a per-author record under another id')
    t.equal(await codeOf(db.put('app/label', { topic: 'cats', label: 'Cats' }, { id: 'dogs' })), 'ERR_BAD_ID', 'a natural key that is not its field')
    t.equal(await codeOf(db.put('app/label', { topic: 'cats', label: 'x'.repeat(41) })), 'ERR_VALIDATION', 'the value is checked first')
    const bigDb = await codeOf(db.put('app/profile', { name: 'a'.repeat(20) }, { id: db.writerKey }).then(async () =>
      await db.putSchema('blob', { type: 'object' })).then(async () => await db.put('blob', { data: 'x'.repeat(3000) })))
    t.equal(bigDb, 'ERR_TOO_BIG', 'a record over maxRecordSize is refused, whatever its schema')
    t.equal(length(db), before + 2, 'nothing appended by the refused writes (only the profile and the blob schema)')

    const me = await db.putVersion('app/profile', { name: 'ada lovelace' })
    t.equal(me.id, db.writerKey, 'a per-author record takes the author\'s feed key as id')
    t.deepEqual(me.links.length, 1, 'and replaces the author\'s earlier version')
    const l = await db.putVersion('app/label', { topic: 'cats', label: 'All about cats' })
    t.equal(l.id, 'cats', 'a natural key takes the field as id')
    t.deepEqual((await db.get('app/label', 'cats')).map((v) => (v.value as { label: string }).label), ['All about cats'])

    // Constructor refusals: the app's definitions are checked when the database is made.
    const bad: Array<[RecordDBOptions, string]> = [
      [{ schemas: { 'core/schema': { schema: {} } } }, 'ERR_RESERVED_SCHEMA'],
      [{ schemas: { '/bad': { schema: {} } } }, 'ERR_UNKNOWN_SCHEMA'],
      [{ schemas: { x: { schema: { type: 'nope' } } } }, 'ERR_BAD_SCHEMA'],
      [{ schemas: { x: { schema: { type: 'string', pattern: '(?=a)' } } } }, 'ERR_BAD_PATTERN'],
      [{ schemas: { x: { schema: { indexes: [['only-one']] } } } }, 'ERR_BAD_SCHEMA'],
      [{ schemas: { x: { schema: {}, id: 'nobody' as 'author' } } }, 'ERR_BAD_OPTION'],
      [{ schemas: { x: { schema: {}, appendOnly: 'yes' as unknown as boolean } } }, 'ERR_BAD_OPTION'],
      [{ maxRecordSize: 10 }, 'ERR_BAD_OPTION']
    ]
    for (const [opts, code] of bad) t.equal(await codeOf(() => new RecordDB(dir, opts)), code, `${JSON.stringify(opts)}: ${code}`)
  } finally {
    await db.close()
  }
})

test('a peer writing around the checks: what breaks an app schema is skipped and recorded on every peer, and changes nothing', async (t) => {
  const da = tmpDir(t, 'kappa-rdb-')
  const dm = tmpDir(t, 'kappa-rdb-')
  const a = await openDb(da, OPTS)
  const m = await openDb(dm, { ...OPTS, key: a.key }) // mallory: same app, but she appends raw entries
  const changes: RecordChange[] = []
  a.on('change', (c: RecordChange) => changes.push(c))
  const skips: string[] = []
  a.on('skip', (s: { reason: string }) => skips.push(s.reason))
  const stop = connect(a, m)
  try {
    const honest = await a.putVersion('app/note', { topic: 'cats', text: 'honest note', at: 10 })
    await a.put('app/profile', { name: 'ada' })
    await a.put('app/label', { topic: 'cats', label: 'cats' })
    await caughtUp(m, a)
    const w = await m.kappa.writer()
    const env = (e: Omit<Envelope, 'timestamp'> & { timestamp?: number }): Envelope => ({ timestamp: 99, ...e })
    const hostile: Array<[string, Envelope | unknown]> = [
      ['invalid value', env({ id: 'n2', schema: 'app/note', op: 'put', links: [], value: { topic: 'cats', text: '', at: 1 } })],
      ['replaces the honest note', env({ id: honest.id, schema: 'app/note', op: 'put', links: [honest.ref], value: { topic: 'cats', text: 'edited', at: 10 } })],
      ['deletes the honest note', env({ id: honest.id, schema: 'app/note', op: 'del', links: [honest.ref] })],
      ['another author\'s profile', env({ id: a.writerKey, schema: 'app/profile', op: 'put', links: [], value: { name: 'impostor' } })],
      ['a label under another id', env({ id: 'dogs', schema: 'app/label', op: 'put', links: [], value: { topic: 'cats', label: 'x' } })],
      ['over the size limit', env({ id: 'n3', schema: 'app/note', op: 'put', links: [], value: { topic: 'cats', text: 'y'.repeat(3000), at: 1 } })],
      ['not an envelope', { hello: 'world' }]
    ]
    // a redefinition that would refuse every note and index another field
    const redefinition = env({ id: 'app/note', schema: 'core/schema', op: 'put', links: [], timestamp: 10 ** 15, value: { not: {}, properties: { text: { index: true } } } })
    const good = env({ id: 'n4', schema: 'app/note', op: 'put', links: [], value: { topic: 'cats', text: 'mallory may write notes', at: 20 } })
    await w.append([...hostile.map(([, e]) => e), redefinition, good])
    await caughtUp(a, m)

    const skipped = await a.skipped(m.writerKey)
    t.deepEqual(skipped.map((s) => s.index), hostile.map((_, i) => i), 'each breaking entry is skipped, with its address')
    for (const [i, [what]] of hostile.entries()) t.comment(`${what}: ${skipped[i]?.reason ?? '(not skipped)'}`)
    t.ok(skipped.every((s) => s.code === 'ERR_NOT_INDEXABLE'), 'as ERR_NOT_INDEXABLE')
    t.match(skipped[1]!.reason, /never replaced/, 'a replacement of an append-only record, said as such')
    t.match(skipped[3]!.reason, /another author/, 'a per-author record by another author')
    t.match(skipped[5]!.reason, /over 2048 characters/, 'the size limit')
    t.deepEqual(skips.slice(-hostile.length), skipped.map((s) => s.reason), "the 'skip' event reported each")
    t.deepEqual(await m.skipped(m.writerKey).then((s) => s.map((x) => x.reason)), skipped.map((s) => s.reason), 'the same on the writer\'s own peer')

    t.deepEqual((await a.get('app/note', honest.id)).map((v) => [v.ref, (v.value as { text: string }).text]), [[honest.ref, 'honest note']], 'the honest note is untouched')
    t.deepEqual((await a.get('app/profile', a.writerKey)).map((v) => (v.value as { name: string }).name), ['ada'], 'the profile too')
    t.deepEqual(await a.get('app/label', 'dogs'), [], 'no label under a wrong id')
    t.deepEqual((await collect(a.query('app/note', { where: { topic: 'cats' }, order: 'at' }))).map((v) => (v.value as { text: string }).text),
      ['honest note', 'mallory may write notes'], 'notes in order: the honest one and mallory\'s valid one')
    t.deepEqual(await a.getSchema('app/note'), note, 'the peer\'s redefinition does not replace the app\'s')
    t.equal(await codeOf(a.query('app/note', { where: { text: 'x' } }).next()), 'ERR_NOT_INDEXED', 'nor adds an index')
    t.equal(await codeOf(a.put('app/note', { topic: 'cats', text: '', at: 1 })), 'ERR_VALIDATION', 'writes still follow the app\'s definition')
    const reported = changes.filter((c) => c.feed === m.writerKey).map((c) => `${c.schema}/${c.id}`)
    t.deepEqual(reported, ['core/schema/app/note', 'app/note/n4'], "'change' is emitted for the indexed versions only")
    t.equal(changes.find((c) => c.id === 'n4')?.value !== undefined, true, "a 'change' carries the version's value")
  } finally {
    stop()
    await a.close()
    await m.close()
  }
})

test('changing the app\'s definitions rebuilds the records view under the new ones', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const loose = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }
  const strict = { ...loose, properties: { name: { type: 'string', maxLength: 3 } } }
  let db = await openDb(dir, { schemas: { 'app/thing': { schema: loose } } })
  try {
    await db.put('app/thing', { name: 'a long name' }, { id: 'long' })
    await db.put('app/thing', { name: 'abc' }, { id: 'short' })
    t.deepEqual((await collect(db.list('app/thing'))).map((r) => r.id), ['long', 'short'], 'both under the loose definition')
    await db.close()
    db = await openDb(dir, { schemas: { 'app/thing': { schema: strict } } })
    t.deepEqual((await collect(db.list('app/thing'))).map((r) => r.id), ['short'], 'under the strict one the long name is not a record')
    t.equal((await db.skipped()).length, 1, 'and it is recorded as skipped')
    await db.close()
    db = await openDb(dir, { schemas: { 'app/thing': { schema: loose } } })
    t.deepEqual((await collect(db.list('app/thing'))).map((r) => r.id), ['long', 'short'], 'back to the loose one: both again')
  } finally {
    await db.close()
  }
})
