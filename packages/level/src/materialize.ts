// Applies writes from the logs to the view's tables: heads per key (which writes
// no write of the same key replaced), the winner by the conflict rule, and the
// winner's value in the value table. The outcome depends only on the set of writes
// indexed, never on their order or on how they were cut into batches: a write
// that arrives after a write that replaced it is recognised by its link marker.
import type { WriteOp } from './entry-format.js'
import { decodeHeads, encodeHeads, winnerOf, type Head } from './heads.js'
import { groupKey, type Stored } from './keys.js'
import { TableWriter, getMany, hasMany, markerKey, type Tables } from './tables.js'

/** A write with its id (where it sits in the logs). */
export interface IndexedOp {
  id: string
  op: WriteOp
}

interface KeyState {
  key: Stored
  heads: Map<string, Head>
  /** Whether the key has a heads record (only then can it have link markers). */
  stored: boolean
  /** The winner before this batch. */
  before: Head | null
  /** Ids some write of this key links (stored markers of this batch's writes, and this batch's links). */
  linked: Set<string> | null
  changed: boolean
  after: Head | null
}

const EMPTY = ''

export async function materialize (ops: IndexedOp[], writer: TableWriter, t: Tables): Promise<void> {
  // one state per key, in order of first appearance
  const states = new Map<string, KeyState>()
  const stateOfOp = new Array<KeyState>(ops.length)
  for (let i = 0; i < ops.length; i++) {
    const key = ops[i]!.op.key
    const g = groupKey(key)
    let st = states.get(g)
    if (st === undefined) {
      st = { key, heads: new Map(), stored: false, before: null, linked: null, changed: false, after: null }
      states.set(g, st)
    }
    stateOfOp[i] = st
  }
  const list = [...states.values()]

  const records = await getMany(t.heads, list.map((s) => s.key))
  for (let i = 0; i < list.length; i++) {
    const record = records[i]
    if (record === undefined) continue
    const st = list[i]!
    st.stored = true
    for (const h of decodeHeads(record as string)) st.heads.set(h.id, h)
    st.before = winnerOf(st.heads.values())
  }

  // A write that arrives after a write that replaced it must not become a head.
  // Only keys with a record can have markers.
  const markerKeys: Stored[] = []
  const markerOps: number[] = []
  for (let i = 0; i < ops.length; i++) {
    const st = stateOfOp[i]!
    if (!st.stored) continue
    markerKeys.push(markerKey(ops[i]!.id, st.key))
    markerOps.push(i)
  }
  if (markerKeys.length > 0) {
    const found = await hasMany(t, t.links, markerKeys)
    for (let j = 0; j < found.length; j++) {
      if (!found[j]) continue
      const i = markerOps[j]!
      const st = stateOfOp[i]!
      ;(st.linked ??= new Set()).add(ops[i]!.id)
    }
  }

  const newMarkers: Stored[] = []
  for (let i = 0; i < ops.length; i++) {
    const st = stateOfOp[i]!
    const { id, op } = ops[i]!
    if ((st.linked === null || !st.linked.has(id)) && !st.heads.has(id)) {
      st.heads.set(id, { id, clock: op.clock, del: op.del, value: op.del ? undefined : op.value })
      st.changed = true
    }
    const links = op.links
    for (let j = 0; j < links.length; j++) {
      const link = links[j]!
      if (st.heads.delete(link)) st.changed = true
      const linked = st.linked ??= new Set()
      if (!linked.has(link)) {
        linked.add(link)
        newMarkers.push(markerKey(link, st.key))
      }
    }
  }

  // A winner that loses its place but stays a head keeps its value in the heads record:
  // read it from the value table, where it was.
  const demoted: KeyState[] = []
  for (const st of list) {
    if (!st.changed && st.stored) continue
    st.after = winnerOf(st.heads.values())
    const before = st.before
    if (before !== null && !before.del && before !== st.after && st.heads.get(before.id) === before) demoted.push(st)
  }
  if (demoted.length > 0) {
    const values = await getMany(t.values, demoted.map((s) => s.key), 'view')
    for (let i = 0; i < demoted.length; i++) {
      const value = values[i]
      if (value === undefined) throw new Error('value table lacks the value of a winning head')
      demoted[i]!.before!.value = value
    }
  }

  for (const st of list) {
    // every key a write named keeps a record, even one left without heads
    if (!st.changed && st.stored) continue
    const { before, after } = st
    if (after !== null && !after.del) {
      if (before === null || before.id !== after.id) writer.put(t.values, st.key, after.value as Stored)
    } else if (before !== null && !before.del) {
      writer.del(t.values, st.key)
    }
    writer.put(t.heads, st.key, encodeHeads([...st.heads.values()], after))
  }
  for (const m of newMarkers) writer.put(t.links, m, EMPTY)
}
