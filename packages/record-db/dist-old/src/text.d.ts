/** Tokens past this many in one document are ignored (bounds the work a huge value causes). */
export declare const MAX_TOKENS_PER_DOC = 4096;
/** Lower-cased words of letters and digits, accents folded (é -> e), plurals folded, stop words dropped. */
export declare function tokenize(text: string): string[];
/** Term frequencies and length of the searchable text of a value. */
export declare function termsOf(value: unknown, fields: string[]): {
    tf: Map<string, number>;
    length: number;
};
export declare const BM25_K1 = 1.2;
export declare const BM25_B = 0.75;
/** Inverse document frequency (BM25 variant that never goes negative). */
export declare function idf(docs: number, df: number): number;
/** BM25 contribution of one term to one document. */
export declare function bm25Term(tf: number, docLength: number, avgLength: number, termIdf: number): number;
//# sourceMappingURL=text.d.ts.map