// record-db's test helpers. Temp folders (tmpDir(t)), eventually and connect come from
// @kappa-ts/test-helpers; eventually and connect are re-exported for the scripts here.
import fs from 'node:fs'
import { connect, eventually, makeTmpDir } from '@kappa-ts/test-helpers'
import { RecordDB, type RecordDBOptions } from '../src/index.js'

export { connect, eventually }

/** A temp folder for a script that is not a tape test (measure.ts, pattern-worker.ts); tests use tmpDir(t). */
export function tmpdir (): string {
  return makeTmpDir('kappa-rdb-').dir
}

export function rm (dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

export async function openDb (dir: string, opts: RecordDBOptions = {}): Promise<RecordDB> {
  const db = new RecordDB(dir, opts)
  await db.ready()
  return db
}

/** `db` has replicated every entry `from` has written (its own writer feed) and indexed them. */
export async function caughtUp (db: RecordDB, from: RecordDB): Promise<void> {
  const key = from.writerKey
  const want = from.kappa.feed(key)?.length ?? 0
  // contiguousLength: the blocks are here, not only the announced length.
  await eventually(() => (db.kappa.feed(key)?.contiguousLength ?? -1) >= want, `feed ${key.slice(0, 8)} to reach ${want}`)
  await db.indexed()
}

export async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export const personSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 50, search: true },
    age: { type: 'integer', minimum: 0, index: true },
    city: { type: 'string', index: true },
    tags: { type: 'array', items: { type: 'string' }, index: true },
    bio: { type: 'string', maxLength: 500, search: true }
  }
}
