import { envelopeSchema } from '@kappa-ts/schemas';
import { createAjv, fieldsOf } from './validation.js';
import { termsOf } from './text.js';
import { authKey, encodeValue, fieldsKey, headsKey, indexKey, isIndexValue, linkedKey, postingKey, ref, statsKey, under, versionKey } from './layout.js';
export const SCHEMA_TYPE = 'core/schema';
export const SOURCE_TYPE = 'core/source';
const HEX_KEY = /^[0-9a-f]{64}$/;
const MAX_INDEXED_ARRAY = 64;
const checkEnvelope = createAjv().compile(envelopeSchema);
export function isEnvelope(value) {
    return checkEnvelope(value);
}
/** The keys a version adds to the secondary and full-text indexes under `cfg`. */
export function derive(schema, id, r, value, cfg) {
    const index = new Set();
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const field of cfg.index) {
            const v = value[field];
            const values = Array.isArray(v) ? v.slice(0, MAX_INDEXED_ARRAY).filter(isIndexValue) : isIndexValue(v) ? [v] : [];
            for (const x of values)
                index.add(indexKey(schema, field, encodeValue(x), id, r));
        }
    }
    const { tf, length } = termsOf(value, cfg.search);
    const postings = new Map();
    for (const [term, n] of tf)
        postings.set(postingKey(term, schema, id, r), [n, length]);
    return { index: [...index], postings, dl: length };
}
function unionFields(a, b) {
    return {
        index: [...new Set([...a.index, ...b.index])].sort(),
        search: [...new Set([...a.search, ...b.search])].sort()
    };
}
const sameFields = (a, b) => a.index.join('\x00') === b.index.join('\x00') && a.search.join('\x00') === b.search.join('\x00');
/** Reads through to the db once per key, then serves and collects this batch's writes. */
class BatchState {
    db;
    batch;
    heads = new Map(); // headsKey -> heads (null = not loaded yet)
    dirtyHeads = new Set();
    linked = new Set();
    stats = new Map();
    fields = new Map();
    constructor(db, batch) {
        this.db = db;
        this.batch = batch;
    }
    async load(entries) {
        const headKeys = [...new Set(entries.map(({ env }) => headsKey(env.schema, env.id)))];
        const linkKeys = entries.map(({ env, r }) => linkedKey(env.schema, env.id, r));
        const schemas = [...new Set(entries.map(({ env }) => env.schema))];
        const [heads, links, stats, fields] = await Promise.all([
            this.db.getMany(headKeys),
            this.db.getMany(linkKeys),
            this.db.getMany(schemas.map(statsKey)),
            this.db.getMany(schemas.map(fieldsKey))
        ]);
        headKeys.forEach((k, i) => { if (!this.heads.has(k))
            this.heads.set(k, new Set(heads[i] ?? [])); });
        linkKeys.forEach((k, i) => { if (links[i] !== undefined)
            this.linked.add(k); });
        schemas.forEach((s, i) => {
            if (!this.stats.has(s))
                this.stats.set(s, stats[i] ?? { docs: 0, length: 0 });
            if (!this.fields.has(s))
                this.fields.set(s, fields[i] ?? { index: [], search: [] });
        });
    }
    async fieldsOf(schema) {
        let f = this.fields.get(schema);
        if (f === undefined) {
            f = await this.db.get(fieldsKey(schema)) ?? { index: [], search: [] };
            this.fields.set(schema, f);
        }
        return f;
    }
    async statsOf(schema) {
        let s = this.stats.get(schema);
        if (s === undefined) {
            s = await this.db.get(statsKey(schema)) ?? { docs: 0, length: 0 };
            this.stats.set(schema, s);
        }
        return s;
    }
    flush() {
        for (const k of this.dirtyHeads) {
            const heads = this.heads.get(k);
            if (heads === undefined || heads === null || heads.size === 0)
                this.batch.del(k);
            else
                this.batch.put(k, [...heads].sort());
        }
        for (const [schema, s] of this.stats)
            this.batch.put(statsKey(schema), s);
    }
}
export const recordsApi = {
    /** The view's data sublevel (reads only; see RecordDB for the query layer). */
    db: (ctx) => ctx.db
};
export function recordsView(opts = {}) {
    return {
        version: 1,
        maxBatch: 2000,
        api: recordsApi,
        async map(entries, batch, ctx) {
            const items = [];
            for (const entry of entries) {
                // A malformed envelope (a hostile or broken peer) is skipped, the same way on every peer.
                if (isEnvelope(entry.value))
                    items.push({ entry, env: entry.value, r: ref(entry.key, entry.seq) });
            }
            if (items.length === 0)
                return;
            const st = new BatchState(ctx.db, batch);
            await st.load(items);
            // Pass 1: schema definitions widen the indexed fields first, fixing up what is stored.
            for (const { env } of items) {
                if (env.schema !== SCHEMA_TYPE || env.op !== 'put')
                    continue;
                const before = await st.fieldsOf(env.id);
                const after = unionFields(before, fieldsOf(env.value));
                if (sameFields(before, after))
                    continue;
                await fixUp(st, env.id, before, after);
                st.fields.set(env.id, after);
                batch.put(fieldsKey(env.id), after);
            }
            // Pass 2: every version.
            for (const { entry, env, r } of items) {
                const stored = { feed: entry.key, seq: entry.seq, op: env.op, timestamp: env.timestamp, links: env.links };
                if (env.value !== undefined)
                    stored.value = env.value;
                const hk = headsKey(env.schema, env.id);
                let heads = st.heads.get(hk);
                if (heads === undefined || heads === null)
                    st.heads.set(hk, heads = new Set());
                if (!st.linked.has(linkedKey(env.schema, env.id, r))) {
                    heads.add(r);
                    st.dirtyHeads.add(hk);
                }
                for (const link of env.links) {
                    if (heads.delete(link))
                        st.dirtyHeads.add(hk);
                    const lk = linkedKey(env.schema, env.id, link);
                    if (!st.linked.has(lk)) {
                        st.linked.add(lk);
                        batch.put(lk, 1);
                    }
                }
                if (env.op === 'put') {
                    const cfg = await st.fieldsOf(env.schema);
                    const d = derive(env.schema, env.id, r, env.value, cfg);
                    for (const k of d.index)
                        batch.put(k, 1);
                    for (const [k, n] of d.postings)
                        batch.put(k, n);
                    if (d.postings.size > 0) {
                        stored.dl = d.dl;
                        const s = await st.statsOf(env.schema);
                        s.docs++;
                        s.length += d.dl;
                    }
                }
                batch.put(versionKey(env.schema, env.id, r), stored);
                if (env.schema === SOURCE_TYPE && HEX_KEY.test(env.id)) {
                    const v = env.value;
                    if (v === undefined || v.key === env.id) {
                        const op = { op: env.op };
                        if (env.op === 'del')
                            op.length = typeof v?.length === 'number' ? v.length : 0;
                        batch.put(authKey(env.id, entry.key, entry.seq), op);
                    }
                }
            }
            st.flush();
        },
        indexed(entries) {
            if (opts.onAuthOrSchemaChange === undefined)
                return;
            for (const e of entries) {
                const s = e.value?.schema;
                if (s === SOURCE_TYPE || s === SCHEMA_TYPE) {
                    opts.onAuthOrSchemaChange();
                    return;
                }
            }
        }
    };
}
/** Re-derives the index entries of every stored version of `schema` from `before` to `after`. */
async function fixUp(st, schema, before, after) {
    const stats = await st.statsOf(schema);
    for await (const [key, stored] of st.db.iterator(under('v', schema))) {
        if (stored.op !== 'put')
            continue;
        const parts = key.split('\x00');
        const id = parts[2];
        const r = parts[3];
        const old = derive(schema, id, r, stored.value, before);
        const neu = derive(schema, id, r, stored.value, after);
        const keep = new Set(neu.index);
        for (const k of old.index)
            if (!keep.has(k))
                st.batch.del(k);
        for (const k of neu.index)
            st.batch.put(k, 1);
        for (const k of old.postings.keys())
            if (!neu.postings.has(k))
                st.batch.del(k);
        for (const [k, n] of neu.postings)
            st.batch.put(k, n);
        if (old.postings.size > 0) {
            stats.docs--;
            stats.length -= old.dl;
        }
        if (neu.postings.size > 0) {
            stats.docs++;
            stats.length += neu.dl;
        }
        const updated = { ...stored };
        if (neu.postings.size > 0)
            updated.dl = neu.dl;
        else
            delete updated.dl;
        st.batch.put(key, updated);
    }
}
