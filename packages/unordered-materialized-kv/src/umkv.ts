import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import { validateDocs, validateKey, type Doc } from './doc.js'
import { FORMAT, FORMAT_KEY, headsKey, linkedKey } from './layout.js'

/**
 * Any abstract-level database or sublevel (memory-level, classic-level, `level`, a sublevel of one).
 * Its default encodings do not matter: every read and write here names its encodings. (`any` because
 * abstract-level's generics are invariant: no narrower type accepts every concrete db.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- invariant generics: see above
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- abstract-level's generics are invariant: only any accepts every sublevel
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
  private format: StoredFormat = 'unknown'
  private formatChecked: Promise<StoredFormat> | null = null

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
    return (await this.opsWithHeads(docs)).ops
  }

  /**
   * ops(), plus the heads it computed: for every key whose heads record the ops write, its head ids
   * after the ops are committed (sorted, `[]` when every doc of the key was replaced). Keys whose heads
   * do not change are not in the map.
   */
  async opsWithHeads (docs: Doc[]): Promise<UmkvOpsWithHeads> {
    validateDocs(docs)
    if (docs.length === 0) return { ops: [], heads: new Map() }

    // One state per key, in order of first appearance.
    const states = new Map<string, KeyState>()
    for (const doc of docs) {
      if (!states.has(doc.key)) states.set(doc.key, { heads: EMPTY, linked: null, changed: false, stored: false })
    }
    const keys = [...states.keys()]
    const format = await this.readFormat()
    const headKeys = keys.map(headsKey)
    if (format === 'pending') headKeys.push(FORMAT_KEY)
    const storedHeads = await this.db.getMany<string, string>(headKeys, READ)
    if (format === 'pending' && storedHeads[keys.length] === FORMAT) this.format = 'v2'

    for (let i = 0; i < keys.length; i++) {
      const stored = storedHeads[i]
      const st = states.get(keys[i] as string) as KeyState
      if (stored !== undefined) {
        st.stored = true
        const ids = JSON.parse(stored) as string[]
        if (ids.length > 0) st.heads = new Set(ids)
      }
    }

    // A doc that arrives after a doc that replaced it must not become a head: ask for the link markers
    // of the docs, but only for keys that may have some (format 2: keys with a heads record).
    const legacy = format === 'legacy'
    const markerDocs: Doc[] = []
    const markerKeys: string[] = []
    for (const doc of docs) {
      if (!legacy && !(states.get(doc.key) as KeyState).stored) continue
      markerDocs.push(doc)
      markerKeys.push(linkedKey(doc.key, doc.id))
    }
    if (markerKeys.length > 0) {
      const found = await this.db.hasMany<string>(markerKeys, KEY_ONLY)
      for (let i = 0; i < found.length; i++) {
        if (found[i] !== true) continue
        const doc = markerDocs[i] as Doc
        const st = states.get(doc.key) as KeyState
        ;(st.linked ??= new Set()).add(doc.id)
      }
    }

    const newLinks: string[] = []
    for (const doc of docs) {
      const st = states.get(doc.key) as KeyState
      if (st.linked === null || !st.linked.has(doc.id)) {
        if (st.heads === EMPTY) {
          st.heads = new Set([doc.id])
          st.changed = true
        } else if (!st.heads.has(doc.id)) {
          st.heads.add(doc.id)
          st.changed = true
        }
      }
      const links = doc.links
      for (let i = 0; i < links.length; i++) {
        const link = links[i] as string
        if (st.heads.delete(link)) st.changed = true
        const linked = st.linked ??= new Set()
        // Written without reading first: re-putting a marker that exists is harmless and cheaper.
        if (!linked.has(link)) {
          linked.add(link)
          newLinks.push(linkedKey(doc.key, link))
        }
      }
    }

    const sublevel = this.db as UmkvSublevel
    const ops: UmkvOperation[] = []
    const heads = new Map<string, string[]>()
    for (const [key, st] of states) {
      // Format 2 keeps a record for every key that had a doc, even one left without heads.
      if (!st.changed && (st.stored || legacy)) continue
      const ids = st.heads.size === 1 ? [...st.heads] : [...st.heads].sort()
      heads.set(key, ids)
      if (ids.length === 0 && legacy) {
        ops.push({ type: 'del', key: headsKey(key), sublevel, keyEncoding: 'utf8' })
      } else {
        ops.push({ type: 'put', key: headsKey(key), value: JSON.stringify(ids), sublevel, keyEncoding: 'utf8', valueEncoding: 'utf8' })
      }
    }
    for (const lk of newLinks) {
      ops.push({ type: 'put', key: lk, value: LINKED_MARKER, sublevel, keyEncoding: 'utf8', valueEncoding: 'utf8' })
    }
    if (this.format === 'pending' && ops.length > 0) {
      ops.push({ type: 'put', key: FORMAT_KEY, value: FORMAT, sublevel, keyEncoding: 'utf8', valueEncoding: 'utf8' })
    }
    return { ops, heads }
  }

  /**
   * Which layout the stored data follows. An empty db starts in format 2 ('pending' until the format
   * record written with the first ops is committed); data written by format 1 (no format record) is
   * read the old way: every doc's link marker is looked up.
   */
  private async readFormat (): Promise<StoredFormat> {
    if (this.format !== 'unknown') return this.format
    this.formatChecked ??= (async () => {
      const stored = await this.db.get<string, string>(FORMAT_KEY, READ)
      if (stored === FORMAT) return 'v2' as const
      const any = await this.db.keys({ keyEncoding: 'utf8', limit: 1 }).all()
      return any.length === 0 ? 'pending' as const : 'legacy' as const
    })()
    try {
      const found = await this.formatChecked
      if (this.format === 'unknown') this.format = found
    } finally {
      this.formatChecked = null
    }
    return this.format
  }
}

/** What opsWithHeads() returns: the operations, and the new head ids of every key they rewrite. */
export interface UmkvOpsWithHeads {
  ops: UmkvOperation[]
  heads: Map<string, string[]>
}

type StoredFormat = 'unknown' | 'pending' | 'v2' | 'legacy'

interface KeyState {
  /** The key's heads as the docs so far leave them (EMPTY until the key has one). */
  heads: Set<string>
  /** Ids some doc of this key links (stored markers of this call's docs, and this call's links). */
  linked: Set<string> | null
  changed: boolean
  /** Whether the db holds a heads record for the key. */
  stored: boolean
}

// Shared, never mutated: a key with no heads yet gets its own Set when its first head arrives.
const EMPTY: Set<string> = new Set()
