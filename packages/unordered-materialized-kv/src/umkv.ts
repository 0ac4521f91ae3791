import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import { validateDocs, validateKey, type Doc } from './doc.js'
import { headsKey, linkedKey } from './layout.js'

/**
 * Any abstract-level database or sublevel (memory-level, classic-level, `level`, a sublevel of one).
 * Its default encodings do not matter: every read and write here names its encodings. (`any` because
 * abstract-level's generics are invariant: no narrower type accepts every concrete db.)
 */
export type UmkvDb = AbstractLevel<any, any, any>

/**
 * A LevelDB batch operation, ready for `db.batch(ops)` on the umkv db or any ancestor of it, or for a
 * chained batch: `op.type === 'put' ? b.put(op.key, op.value, op) : b.del(op.key, op)`.
 * `sublevel` is the umkv db, so keys land under it whatever db the batch is made on; the encodings are
 * named (values are strings: heads as a JSON array) so the db's default encodings do not matter.
 */
export type UmkvOperation =
  | { type: 'put'; key: string; value: string; sublevel: UmkvSublevel; keyEncoding: 'utf8'; valueEncoding: 'utf8' }
  | { type: 'del'; key: string; sublevel: UmkvSublevel; keyEncoding: 'utf8' }

// Typed as a sublevel because that is what abstract-level's `sublevel` option accepts; a root db passed
// here works too (abstract-level treats `op.sublevel === db` as the db itself).
type UmkvSublevel = AbstractSublevel<any, any, any, any>

const READ = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
const LINKED_MARKER = '1'
const KEY_ONLY = { keyEncoding: 'utf8' } as const

/**
 * Heads per key over docs that link to the docs they replace. The heads of a key are the ids of the
 * docs of that key that no doc of the same key links to, whatever order the docs arrive in.
 */
export class UnorderedMaterializedKV {
  /** The db this instance owns: everything under it is umkv data. */
  readonly db: UmkvDb
  // batch() is read-modify-write; chaining keeps concurrent calls from losing each other's updates.
  private writing: Promise<unknown> = Promise.resolve()

  constructor (db: UmkvDb) {
    this.db = db
  }

  /** The current head ids of `key`, sorted; `[]` for an unknown key; several ids mean a fork. */
  async get (key: string): Promise<string[]> {
    validateKey(key)
    const heads = await this.db.get<string, string>(headsKey(key), READ)
    return heads === undefined ? [] : JSON.parse(heads) as string[]
  }

  /** Whether some doc of `key` links to `id` (then `id` can never be a head of `key`). */
  async isLinked (key: string, id: string): Promise<boolean> {
    validateKey(key)
    validateKey(id)
    return await this.db.has<string>(linkedKey(key, id), KEY_ONLY)
  }

  /** Index `docs` now. Calls are serialized with each other; invalid input writes nothing. */
  batch (docs: Doc[]): Promise<void> {
    const run = this.writing.then(async () => {
      const ops = await this.ops(docs)
      if (ops.length > 0) await this.db.batch<string, string>(ops, {})
    })
    this.writing = run.catch(() => {})
    return run
  }

  /**
   * The operations that index `docs`, computed from the COMMITTED state of the db: commit them
   * (e.g. inside an indexer's atomic batch) before calling ops() or batch() again, or the later call
   * will not see them. Several docs of one key in one call are applied in order, each seeing the
   * previous ones. Throws UmkvError ERR_INVALID_DOC before reading anything if a doc is malformed.
   */
  async ops (docs: Doc[]): Promise<UmkvOperation[]> {
    validateDocs(docs)
    if (docs.length === 0) return []

    const keys = [...new Set(docs.map((d) => d.key))]
    const docLinkedKeys = [...new Set(docs.map((d) => linkedKey(d.key, d.id)))]
    const [storedHeads, storedLinked] = await Promise.all([
      this.db.getMany<string, string>(keys.map(headsKey), READ),
      this.db.hasMany<string>(docLinkedKeys, KEY_ONLY)
    ])

    const heads = new Map<string, Set<string>>()
    for (let i = 0; i < keys.length; i++) {
      const stored = storedHeads[i]
      heads.set(keys[i] as string, new Set(stored === undefined ? [] : JSON.parse(stored) as string[]))
    }
    const linked = new Set<string>()
    for (let i = 0; i < docLinkedKeys.length; i++) if (storedLinked[i] === true) linked.add(docLinkedKeys[i] as string)

    const changedKeys = new Set<string>()
    const newLinks = new Set<string>()
    for (const doc of docs) {
      const keyHeads = heads.get(doc.key) as Set<string>
      if (!linked.has(linkedKey(doc.key, doc.id)) && !keyHeads.has(doc.id)) {
        keyHeads.add(doc.id)
        changedKeys.add(doc.key)
      }
      for (const link of doc.links) {
        if (keyHeads.delete(link)) changedKeys.add(doc.key)
        const lk = linkedKey(doc.key, link)
        // Written without reading first: re-putting a marker that exists is harmless and cheaper.
        if (!linked.has(lk)) {
          linked.add(lk)
          newLinks.add(lk)
        }
      }
    }

    const sublevel = this.db as UmkvSublevel
    const ops: UmkvOperation[] = []
    for (const key of changedKeys) {
      const keyHeads = heads.get(key) as Set<string>
      if (keyHeads.size === 0) {
        ops.push({ type: 'del', key: headsKey(key), sublevel, keyEncoding: 'utf8' })
      } else {
        ops.push({ type: 'put', key: headsKey(key), value: JSON.stringify([...keyHeads].sort()), sublevel, keyEncoding: 'utf8', valueEncoding: 'utf8' })
      }
    }
    for (const lk of newLinks) {
      ops.push({ type: 'put', key: lk, value: LINKED_MARKER, sublevel, keyEncoding: 'utf8', valueEncoding: 'utf8' })
    }
    return ops
  }
}
