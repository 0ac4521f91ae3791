// Full-text ranking: read the postings of the query terms and score every counted
// version with BM25 (statistics per schema). Verification against the current heads is
// the caller's job (a stale version may still have postings).
import type { ViewDb } from '@kappa-ts/kappa-core'
import { parseRef, splitKey, statsKey, under, SEP } from './layout.js'
import type { Posting, TextStats } from './records-view.js'
import { bm25Term, idf } from './text.js'
import type { Counts } from './versions.js'

export interface Scored { r: string; score: number; schema: string; id: string }

/** Every counted version holding one of `terms`, best score first (ties: by ref). */
export async function rankPostings (db: ViewDb, terms: string[], schema: string | undefined, counts: Counts): Promise<Scored[]> {
  // candidate ref -> { schema, id, per-term [tf, dl] }
  const candidates = new Map<string, { schema: string; id: string; hits: Array<[string, Posting]> }>()
  const df = new Map<string, number>() // term + SEP + schema -> postings (stale versions included)
  for (const term of terms) {
    const range = schema === undefined ? under('t', term) : under('t', term, schema)
    for await (const [k, p] of db.iterator(range) as AsyncIterable<[string, Posting]>) {
      const parts = splitKey(k)
      const s = parts[2] as string
      const id = parts[3] as string
      const r = parts[4] as string
      const dk = term + SEP + s
      df.set(dk, (df.get(dk) ?? 0) + 1)
      const { feed, address } = parseRef(r)
      if (!counts(feed, address.block)) continue
      let c = candidates.get(r)
      if (c === undefined) candidates.set(r, c = { schema: s, id, hits: [] })
      c.hits.push([term, p])
    }
  }
  const schemas = [...new Set([...candidates.values()].map((c) => c.schema))]
  const statList = await db.getMany(schemas.map(statsKey)) as Array<TextStats | undefined>
  const stats = new Map(schemas.map((s, i) => [s, statList[i] ?? { docs: 0, length: 0 }]))
  const scored: Scored[] = []
  for (const [r, c] of candidates) {
    const st = stats.get(c.schema) as TextStats
    const docs = Math.max(st.docs, 1)
    const avg = st.docs > 0 ? st.length / st.docs : 1
    let score = 0
    for (const [term, [tf, dl]] of c.hits) score += bm25Term(tf, dl, avg, idf(docs, df.get(term + SEP + c.schema) ?? 1))
    scored.push({ r, score, schema: c.schema, id: c.id })
  }
  return scored.sort((a, b) => b.score - a.score || (a.r < b.r ? -1 : 1))
}
