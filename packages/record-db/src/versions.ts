// The current versions of records, as the read side sees them: among the versions that
// count (authorization), those that no counted version replaces.
import type { Address, ViewDb } from '@kappa-ts/kappa-core'
import { headsKey, parseRef, ref, splitKey, under, versionKey } from './layout.js'
import type { StoredVersion } from './records-view.js'

/** Whether the entry at (feed, block) counts under the current authorization state. */
export type Counts = (feed: string, block: number) => boolean

/** One version of a record, as get/list/query/search/history return it. */
export interface RecordVersion<V = unknown> {
  schema: string
  id: string
  op: 'put' | 'del'
  value?: V
  timestamp: number
  links: string[]
  /** Author feed key (hex) and where the entry is in it. */
  feed: string
  address: Address
  /** `<feed>@<block>.<index>`: what later versions link to. */
  ref: string
}

export function toVersion (schema: string, id: string, v: StoredVersion): RecordVersion {
  const out: RecordVersion = { schema, id, op: v.op, timestamp: v.timestamp, links: v.links, feed: v.feed, address: v.address, ref: ref(v.feed, v.address) }
  if (v.value !== undefined) out.value = v.value
  return out
}

/**
 * The order of versions: by timestamp, then author feed key, then address in the feed
 * (block, then index in the block, as numbers). It depends on the versions alone, so every
 * peer orders the same versions the same way, whatever order they arrived in.
 */
export function compareVersions (a: RecordVersion, b: RecordVersion): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1
  if (a.feed !== b.feed) return a.feed < b.feed ? -1 : 1
  return a.address.block - b.address.block || a.address.index - b.address.index
}

/**
 * The winner of a fork: the version a reader shows when a record has several current
 * versions (concurrent changes no later change merged yet). The greatest by compareVersions:
 * the latest timestamp, ties broken by feed key then address. null for no versions.
 */
export function winner<V> (versions: ReadonlyArray<RecordVersion<V>>): RecordVersion<V> | null {
  let best: RecordVersion<V> | null = null
  for (const v of versions) if (best === null || compareVersions(v, best) > 0) best = v
  return best
}

const headsCount = (heads: string[], counts: Counts): boolean =>
  heads.every((h) => { const p = parseRef(h); return counts(p.feed, p.address.block) })

/**
 * The current versions of a record, puts and deletes, among the versions that count.
 * Fast path: the stored heads (over all versions) when they all count. Otherwise the
 * versions that count and that no counting version replaces (through any chain of links,
 * uncounted versions included).
 */
export async function currentVersions (db: ViewDb, schema: string, id: string, counts: Counts): Promise<RecordVersion[]> {
  const heads = await db.get(headsKey(schema, id)) as string[] | undefined
  if (heads === undefined) return []
  if (headsCount(heads, counts)) {
    const stored = await db.getMany(heads.map((h) => versionKey(schema, id, h))) as Array<StoredVersion | undefined>
    return stored.filter((v): v is StoredVersion => v !== undefined).map((v) => toVersion(schema, id, v)).sort(compareVersions)
  }
  const all = new Map<string, StoredVersion>()
  for await (const [k, v] of db.iterator(under('v', schema, id)) as AsyncIterable<[string, StoredVersion]>) {
    const parts = splitKey(k)
    if (parts.length === 4) all.set(parts[3] as string, v)
  }
  const counting = [...all.entries()].filter(([, v]) => counts(v.feed, v.address.block))
  const replaced = new Set<string>()
  for (const [, v] of counting) {
    const stack = [...v.links]
    while (stack.length > 0) {
      const l = stack.pop() as string
      if (replaced.has(l)) continue
      replaced.add(l)
      const older = all.get(l)
      if (older !== undefined) stack.push(...older.links)
    }
  }
  return counting.filter(([r]) => !replaced.has(r)).map(([, v]) => toVersion(schema, id, v)).sort(compareVersions)
}

/** currentVersions() for many records of one schema, with two getMany reads in the common case. */
export async function currentMany (db: ViewDb, schema: string, ids: string[], counts: Counts, knownHeads?: Map<string, string[]>): Promise<Map<string, RecordVersion[]>> {
  const unique = [...new Set(ids)]
  const out = new Map<string, RecordVersion[]>()
  const heads: Array<string[] | undefined> = knownHeads !== undefined
    ? unique.map((id) => knownHeads.get(id))
    : await db.getMany(unique.map((id) => headsKey(schema, id))) as Array<string[] | undefined>
  const fast: Array<{ id: string; heads: string[] }> = []
  for (let i = 0; i < unique.length; i++) {
    const id = unique[i] as string
    const h = heads[i]
    if (h === undefined) out.set(id, [])
    else if (headsCount(h, counts)) fast.push({ id, heads: h })
    else out.set(id, await currentVersions(db, schema, id, counts))
  }
  const keys = fast.flatMap((f) => f.heads.map((h) => versionKey(schema, f.id, h)))
  const stored = await db.getMany(keys) as Array<StoredVersion | undefined>
  let k = 0
  for (const f of fast) {
    const versions: RecordVersion[] = []
    for (let j = 0; j < f.heads.length; j++) {
      const v = stored[k++]
      if (v !== undefined) versions.push(toVersion(schema, f.id, v))
    }
    out.set(f.id, versions.sort(compareVersions))
  }
  return out
}
