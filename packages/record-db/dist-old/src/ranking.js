import { parseRef, splitKey, statsKey, under, SEP } from './layout.js';
import { bm25Term, idf } from './text.js';
/** Every counted version holding one of `terms`, best score first (ties: by ref). */
export async function rankPostings(db, terms, schema, counts) {
    // candidate ref -> { schema, id, per-term [tf, dl] }
    const candidates = new Map();
    const df = new Map(); // term + SEP + schema -> postings (stale versions included)
    for (const term of terms) {
        const range = schema === undefined ? under('t', term) : under('t', term, schema);
        for await (const [k, p] of db.iterator(range)) {
            const parts = splitKey(k);
            const s = parts[2];
            const id = parts[3];
            const r = parts[4];
            const dk = term + SEP + s;
            df.set(dk, (df.get(dk) ?? 0) + 1);
            const { feed, seq } = parseRef(r);
            if (!counts(feed, seq))
                continue;
            let c = candidates.get(r);
            if (c === undefined)
                candidates.set(r, c = { schema: s, id, hits: [] });
            c.hits.push([term, p]);
        }
    }
    const schemas = [...new Set([...candidates.values()].map((c) => c.schema))];
    const statList = await db.getMany(schemas.map(statsKey));
    const stats = new Map(schemas.map((s, i) => [s, statList[i] ?? { docs: 0, length: 0 }]));
    const scored = [];
    for (const [r, c] of candidates) {
        const st = stats.get(c.schema);
        const docs = Math.max(st.docs, 1);
        const avg = st.docs > 0 ? st.length / st.docs : 1;
        let score = 0;
        for (const [term, [tf, dl]] of c.hits)
            score += bm25Term(tf, dl, avg, idf(docs, df.get(term + SEP + c.schema) ?? 1));
        scored.push({ r, score, schema: c.schema, id: c.id });
    }
    return scored.sort((a, b) => b.score - a.score || (a.r < b.r ? -1 : 1));
}
//# sourceMappingURL=ranking.js.map