// A chained batch of a sublevel that hands each operation straight to a chained batch of the root
// database (classic-level's is native: each put goes to LevelDB's WriteBatch at once).
//
// abstract-level's own chained batch of a sublevel keeps every operation as an object, then, on
// write, each ancestor sublevel clones and re-prefixes all of them before the root sees them: for an
// index two sublevels deep that is ~0.6 µs per put more (2x the cost of the root's chained batch).
// Everything a caller can see stays the same: `batch.db` is the sublevel, puts and dels go through
// abstract-level's own put()/del() (encodings, the `sublevel` option, the sublevel's hooks), and the
// root commits all operations in one atomic write.
import { AbstractChainedBatch } from 'abstract-level'
import type { IndexBatch, IndexDb } from './store.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reaches into abstract-level's private batch fields, which have no types
type Db = any

interface PrivateOp {
  keyEncoding: string
  valueEncoding?: string
  sublevel?: Db
}
// (The op itself is passed on as the options: abstract-level copies what it needs from it.)

/**
 * A chained batch for `db`: direct to the root when `db` is a sublevel whose ancestors below the root
 * have no prewrite hooks and no 'write' listeners (those would run on the way up); otherwise, and for
 * a root db, `db.batch()` as usual.
 */
export function directBatch (db: IndexDb): IndexBatch {
  const root = (db as Db).db as Db
  if (root === undefined || root === db || !plainLevels(db, root)) return db.batch()
  return new DirectBatch(db, root.batch(), (db as Db).parent as Db) as unknown as IndexBatch
}

/** Whether every level from `db` up to (not including) `root` has no hooks or 'write' listeners. */
function plainLevels (db: IndexDb, root: Db): boolean {
  let level: Db = db
  while (level !== root && level !== undefined && level !== null) {
    if (level.hooks?.prewrite?.noop !== true || level.listenerCount('write') > 0) return false
    level = level.parent
  }
  return level === root
}

class DirectBatch extends AbstractChainedBatch<Db, Db, Db> {
  private readonly target: Db
  private readonly parent: Db
  private readonly parentPrefix: string

  constructor (db: IndexDb, target: Db, parent: Db) {
    super(db)
    this.target = target
    this.parent = parent
    // the root itself has no prefix
    this.parentPrefix = typeof parent.prefix === 'string' ? parent.prefix : ''
  }

  // abstract-level calls these with the key already encoded and prefixed for `db` (relative to its
  // parent), `op.keyEncoding`/`op.valueEncoding` naming the encoded formats, and `op.sublevel` set
  // only for a sublevel outside `db` (then the key is not prefixed yet): the root prefixes the rest.
  _put (key: unknown, value: unknown, op: PrivateOp): void {
    if (op.sublevel != null) this.target.put(key, value, { sublevel: op.sublevel, keyEncoding: op.keyEncoding, valueEncoding: op.valueEncoding })
    else this.target.put(this.fullKey(key, op.keyEncoding), value, op)
  }

  _del (key: unknown, op: PrivateOp): void {
    if (op.sublevel != null) this.target.del(key, { sublevel: op.sublevel, keyEncoding: op.keyEncoding })
    else this.target.del(this.fullKey(key, op.keyEncoding), op)
  }

  _clear (): void {
    this.target.clear()
  }

  async _write (options: unknown): Promise<void> {
    await this.target.write(options)
  }

  async _close (): Promise<void> {
    await this.target.close()
  }

  private fullKey (key: unknown, format: string): unknown {
    if (format === 'utf8') return this.parentPrefix + (key as string)
    return this.parent.prefixKey(key, format, false)
  }
}
