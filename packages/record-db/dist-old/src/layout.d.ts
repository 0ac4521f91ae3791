export declare const SEP = "\0";
/** The iterator bounds of every key that starts with `parts` followed by the separator. */
export declare function under(...parts: string[]): {
    gt: string;
    lt: string;
};
export declare const ref: (feed: string, seq: number) => string;
export declare function parseRef(r: string): {
    feed: string;
    seq: number;
};
/** One version of a record: `v|schema|id|ref`. */
export declare const versionKey: (schema: string, id: string, r: string) => string;
/** Heads (refs no version links to) of a record, over every version whatever its author: `h|schema|id`. */
export declare const headsKey: (schema: string, id: string) => string;
/** Marks a version some other version links to (so it can never be a head): `k|schema|id|ref`. */
export declare const linkedKey: (schema: string, id: string, r: string) => string;
/** Secondary index entry: `i|schema|field|encoded value|id|ref`. */
export declare const indexKey: (schema: string, field: string, enc: string, id: string, r: string) => string;
/** Full-text posting: `t|term|schema|id|ref` -> term frequency. */
export declare const postingKey: (term: string, schema: string, id: string, r: string) => string;
/** Full-text statistics of a schema: `n|schema` -> { docs, length }. */
export declare const statsKey: (schema: string) => string;
/** The fields of a schema the indexes cover (union over every version of its definition): `f|schema`. */
export declare const fieldsKey: (schema: string) => string;
/** An authorization op: `a|target feed|author feed|seq` -> { op, length? }. */
export declare const authKey: (target: string, author: string, seq: number) => string;
export declare function splitKey(key: string): string[];
export type IndexValue = null | boolean | number | string;
export declare function isIndexValue(v: unknown): v is IndexValue;
export declare function encodeValue(v: IndexValue): string;
/** The first tag after every value of v's type (the end of its range). */
export declare function typeEnd(v: IndexValue): string;
export declare function typeStart(v: IndexValue): string;
//# sourceMappingURL=layout.d.ts.map