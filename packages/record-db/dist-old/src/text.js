// Full-text search: a tokenizer and BM25 ranking.
/** Words too common to be worth an index entry. */
const STOP_WORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'was', 'with']);
const MAX_TOKEN_LENGTH = 64;
/** Tokens past this many in one document are ignored (bounds the work a huge value causes). */
export const MAX_TOKENS_PER_DOC = 4096;
/** A light plural fold, so "planets" finds "planet" (and the other way round): no full stemmer. */
function fold(w) {
    if (w.length > 3 && w.endsWith('s') && !/(ss|us|is)$/.test(w) && !/\d/.test(w)) {
        return w.endsWith('ies') && w.length > 4 ? w.slice(0, -3) + 'y' : w.slice(0, -1);
    }
    return w;
}
/** Lower-cased words of letters and digits, accents folded (é -> e), plurals folded, stop words dropped. */
export function tokenize(text) {
    const words = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu);
    if (words === null)
        return [];
    const out = [];
    for (const w of words) {
        if (w.length > MAX_TOKEN_LENGTH || STOP_WORDS.has(w))
            continue;
        out.push(fold(w));
        if (out.length >= MAX_TOKENS_PER_DOC)
            break;
    }
    return out;
}
/** Term frequencies and length of the searchable text of a value. */
export function termsOf(value, fields) {
    const tf = new Map();
    let length = 0;
    if (value === null || typeof value !== 'object')
        return { tf, length };
    for (const field of fields) {
        const v = value[field];
        const texts = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
        for (const text of texts) {
            for (const token of tokenize(text)) {
                if (length >= MAX_TOKENS_PER_DOC)
                    break;
                tf.set(token, (tf.get(token) ?? 0) + 1);
                length++;
            }
        }
    }
    return { tf, length };
}
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;
/** Inverse document frequency (BM25 variant that never goes negative). */
export function idf(docs, df) {
    return Math.log(1 + (docs - df + 0.5) / (df + 0.5));
}
/** BM25 contribution of one term to one document. */
export function bm25Term(tf, docLength, avgLength, termIdf) {
    const norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * (avgLength > 0 ? docLength / avgLength : 1));
    return termIdf * (tf * (BM25_K1 + 1)) / norm;
}
//# sourceMappingURL=text.js.map