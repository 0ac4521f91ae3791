// Applies writes from the logs to the view's tables: heads per key (which writes
// no write of the same key replaced), the winner by the conflict rule, and the
// winner's value where reads find it. The outcome depends only on the set of
// writes applied, never on their order or on how they were cut into batches: a
// write that arrives after a write that replaced it is recognised by its link marker.
import type { WriteOp } from './entry-format.js'
import { encodeHeads, winnerOf, type Head } from './heads.js'
import { readHeads, storedValue, valueRecord, type StoredHeads } from './heads-store.js'
import type { KeyFilter } from './key-filter.js'
import { groupKey, type Stored } from './keys.js'
import { TableWriter, hasMany, markerKey, type Tables } from './tables.js'

/** A write with its id (where it sits in the logs). */
export interface IndexedOp {
  id: string
  op: WriteOp
}

interface KeyState {
  key: Stored
  /** The key's heads (a few at most: an array beats a Map here). */
  heads: Head[]
  /** What is stored for the key (only then can it have link markers). */
  found: StoredHeads | undefined
  /** The winner before this batch. */
  before: Head | null
  /** Ids some write of this key links (stored markers of this batch's writes, and this batch's links). */
  linked: Set<string> | null
  changed: boolean
}

const EMPTY = ''

export async function materialize (ops: IndexedOp[], writer: TableWriter, t: Tables, filter: KeyFilter | null): Promise<void> {
  // one state per key, in order of first appearance
  const states = new Map<string, KeyState>()
  const stateOfOp = new Array<KeyState>(ops.length)
  for (let i = 0; i < ops.length; i++) {
    const key = ops[i]!.op.key
    const g = groupKey(key)
    let st = states.get(g)
    if (st === undefined) {
      st = { key, heads: [], found: undefined, before: null, linked: null, changed: false }
      states.set(g, st)
    }
    stateOfOp[i] = st
  }
  const list = [...states.values()]

  const found = await readHeads(t, list.map((s) => s.key), filter)
  for (let i = 0; i < list.length; i++) {
    const f = found[i]
    if (f === undefined) continue
    const st = list[i]!
    st.found = f
    st.heads = f.heads
    st.before = winnerOf(f.heads)
  }

  // A write that arrives after a write that replaced it must not become a head.
  // Only keys with a record can have markers.
  const markerKeys: Stored[] = []
  const markerOps: number[] = []
  for (let i = 0; i < ops.length; i++) {
    const st = stateOfOp[i]!
    if (st.found === undefined) continue
    markerKeys.push(markerKey(ops[i]!.id, st.key))
    markerOps.push(i)
  }
  if (markerKeys.length > 0) {
    const marked = await hasMany(t, t.links, markerKeys)
    for (let j = 0; j < marked.length; j++) {
      if (!marked[j]) continue
      const i = markerOps[j]!
      const st = stateOfOp[i]!
      ;(st.linked ??= new Set()).add(ops[i]!.id)
    }
  }

  const newMarkers: Stored[] = []
  for (let i = 0; i < ops.length; i++) {
    const st = stateOfOp[i]!
    const { id, op } = ops[i]!
    if ((st.linked === null || !st.linked.has(id)) && indexOfHead(st.heads, id) < 0) {
      st.heads.push({ id, clock: op.clock, del: op.del, value: op.del ? undefined : op.value })
      st.changed = true
    }
    const links = op.links
    for (let j = 0; j < links.length; j++) {
      const link = links[j]!
      const at = indexOfHead(st.heads, link)
      if (at >= 0) {
        st.heads.splice(at, 1)
        st.changed = true
      }
      const linked = st.linked ??= new Set()
      if (!linked.has(link)) {
        linked.add(link)
        newMarkers.push(markerKey(link, st.key))
      }
    }
  }

  for (const st of list) {
    // every key a write named keeps a record, even one left without heads
    if (!st.changed && st.found !== undefined) continue
    const { before, found: f } = st
    const after = winnerOf(st.heads)
    // the stored winner's value, if it stays a head (as winner or not)
    if (before !== null && !before.del && f?.value !== undefined && st.heads.includes(before)) before.value = storedValue(f.value)
    filter?.add(st.key)
    const meta = encodeHeads(st.heads, after)
    if (after !== null && !after.del) {
      writer.put(t.values, st.key, valueRecord(meta, after.value as Stored))
      if (f !== undefined && !f.inValues) writer.del(t.heads, st.key)
    } else {
      writer.put(t.heads, st.key, meta)
      if (f?.inValues === true) writer.del(t.values, st.key)
    }
  }
  for (const m of newMarkers) writer.put(t.links, m, EMPTY)
}

function indexOfHead (heads: Head[], id: string): number {
  for (let i = 0; i < heads.length; i++) if (heads[i]!.id === id) return i
  return -1
}
