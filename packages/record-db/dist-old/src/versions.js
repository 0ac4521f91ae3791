import { headsKey, parseRef, ref, splitKey, under, versionKey } from './layout.js';
export function toVersion(schema, id, v) {
    const out = { schema, id, op: v.op, timestamp: v.timestamp, links: v.links, feed: v.feed, seq: v.seq, ref: ref(v.feed, v.seq) };
    if (v.value !== undefined)
        out.value = v.value;
    return out;
}
/** Oldest first; ties broken by ref, so every peer lists versions in the same order. */
export function byTime(a, b) {
    return a.timestamp - b.timestamp || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);
}
const headsCount = (heads, counts) => heads.every((h) => { const p = parseRef(h); return counts(p.feed, p.seq); });
/**
 * The current versions of a record, puts and deletes, among the versions that count.
 * Fast path: the stored heads (over all versions) when they all count. Otherwise the
 * versions that count and that no counting version replaces (through any chain of links,
 * uncounted versions included).
 */
export async function currentVersions(db, schema, id, counts) {
    const heads = await db.get(headsKey(schema, id));
    if (heads === undefined)
        return [];
    if (headsCount(heads, counts)) {
        const stored = await db.getMany(heads.map((h) => versionKey(schema, id, h)));
        return stored.filter((v) => v !== undefined).map((v) => toVersion(schema, id, v)).sort(byTime);
    }
    const all = new Map();
    for await (const [k, v] of db.iterator(under('v', schema, id))) {
        const parts = splitKey(k);
        if (parts.length === 4)
            all.set(parts[3], v);
    }
    const counting = [...all.entries()].filter(([, v]) => counts(v.feed, v.seq));
    const replaced = new Set();
    for (const [, v] of counting) {
        const stack = [...v.links];
        while (stack.length > 0) {
            const l = stack.pop();
            if (replaced.has(l))
                continue;
            replaced.add(l);
            const older = all.get(l);
            if (older !== undefined)
                stack.push(...older.links);
        }
    }
    return counting.filter(([r]) => !replaced.has(r)).map(([, v]) => toVersion(schema, id, v)).sort(byTime);
}
/** currentVersions() for many records of one schema, with two getMany reads in the common case. */
export async function currentMany(db, schema, ids, counts, knownHeads) {
    const unique = [...new Set(ids)];
    const out = new Map();
    const heads = knownHeads !== undefined
        ? unique.map((id) => knownHeads.get(id))
        : await db.getMany(unique.map((id) => headsKey(schema, id)));
    const fast = [];
    for (let i = 0; i < unique.length; i++) {
        const id = unique[i];
        const h = heads[i];
        if (h === undefined)
            out.set(id, []);
        else if (headsCount(h, counts))
            fast.push({ id, heads: h });
        else
            out.set(id, await currentVersions(db, schema, id, counts));
    }
    const keys = fast.flatMap((f) => f.heads.map((h) => versionKey(schema, f.id, h)));
    const stored = await db.getMany(keys);
    let k = 0;
    for (const f of fast) {
        const versions = [];
        for (let j = 0; j < f.heads.length; j++) {
            const v = stored[k++];
            if (v !== undefined)
                versions.push(toVersion(schema, f.id, v));
        }
        out.set(f.id, versions.sort(byTime));
    }
    return out;
}
//# sourceMappingURL=versions.js.map