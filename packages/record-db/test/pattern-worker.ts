// Runs in a worker thread (see hostile-schema.test.ts) so that a writer hung by
// a backtracking pattern can be stopped: peer B (open mode, so its schema
// counts) defines a schema with a catastrophic pattern; A syncs it and puts a
// 34-character string that makes a backtracking engine take 2^34 steps.
import { parentPort } from 'node:worker_threads'
import { connect, openDb, rm, tmpdir } from './helpers.js'

const da = tmpdir(); const db = tmpdir()
const a = await openDb(da, { mode: 'open' })
const b = await openDb(db, { key: a.key, mode: 'open' })
await b.putSchema('evil', {
  type: 'object',
  properties: { s: { type: 'string', pattern: '^(a+)+$' } },
  patternProperties: { '^(b+)+$': { type: 'number' } }
})
const stop = connect(a, b)
while ((await a.getSchema('evil')) === null) await new Promise((resolve) => setTimeout(resolve, 20))
stop()
const results: string[] = []
for (const value of [{ s: 'a'.repeat(34) + 'b' }, { ['b'.repeat(34) + 'c']: 'not checked: the key does not match' }, { ['b'.repeat(40)]: 'a string where a number is due' }, { s: 'a'.repeat(50) }]) {
  try {
    await a.put('evil', value)
    results.push('stored')
  } catch (err) {
    results.push((err as { code?: string }).code ?? String(err))
  }
}
await a.close(); await b.close(); rm(da); rm(db)
parentPort?.postMessage(results)
