import type { ViewDb } from '@kappa-ts/kappa-core';
import type { StoredVersion } from './records-view.js';
/** Whether the entry (feed, seq) counts under the current authorization state. */
export type Counts = (feed: string, seq: number) => boolean;
/** One version of a record, as get/list/query/search/history return it. */
export interface RecordVersion<V = unknown> {
    schema: string;
    id: string;
    op: 'put' | 'del';
    value?: V;
    timestamp: number;
    links: string[];
    /** Author feed key (hex) and the entry's seq in it. */
    feed: string;
    seq: number;
    /** `<feed>@<seq>`: what later versions link to. */
    ref: string;
}
export declare function toVersion(schema: string, id: string, v: StoredVersion): RecordVersion;
/** Oldest first; ties broken by ref, so every peer lists versions in the same order. */
export declare function byTime(a: RecordVersion, b: RecordVersion): number;
/**
 * The current versions of a record, puts and deletes, among the versions that count.
 * Fast path: the stored heads (over all versions) when they all count. Otherwise the
 * versions that count and that no counting version replaces (through any chain of links,
 * uncounted versions included).
 */
export declare function currentVersions(db: ViewDb, schema: string, id: string, counts: Counts): Promise<RecordVersion[]>;
/** currentVersions() for many records of one schema, with two getMany reads in the common case. */
export declare function currentMany(db: ViewDb, schema: string, ids: string[], counts: Counts, knownHeads?: Map<string, string[]>): Promise<Map<string, RecordVersion[]>>;
//# sourceMappingURL=versions.d.ts.map