import type { View, ViewContext, ViewDb } from '@kappa-ts/kappa-core';
import { type Envelope } from '@kappa-ts/schemas';
import { type FieldConfig } from './validation.js';
/** What the view stores for one version of a record. */
export interface StoredVersion {
    feed: string;
    seq: number;
    op: 'put' | 'del';
    value?: unknown;
    timestamp: number;
    links: string[];
    /** Searchable length (tokens) of the value when it was indexed. */
    dl?: number;
}
export interface TextStats {
    docs: number;
    length: number;
}
/** A full-text posting's value: [term frequency, searchable length of the version]. */
export type Posting = [number, number];
export declare const SCHEMA_TYPE = "core/schema";
export declare const SOURCE_TYPE = "core/source";
export declare function isEnvelope(value: unknown): value is Envelope;
/** The keys a version adds to the secondary and full-text indexes under `cfg`. */
export declare function derive(schema: string, id: string, r: string, value: unknown, cfg: FieldConfig): {
    index: string[];
    postings: Map<string, Posting>;
    dl: number;
};
export interface RecordsViewOptions {
    /** Called after each committed batch that held `core/source` or `core/schema` records. */
    onAuthOrSchemaChange?: () => void;
}
export declare const recordsApi: {
    /** The view's data sublevel (reads only; see RecordDB for the query layer). */
    db: (ctx: ViewContext) => ViewDb;
};
export type RecordsView = View<typeof recordsApi, unknown>;
export declare function recordsView(opts?: RecordsViewOptions): RecordsView;
//# sourceMappingURL=records-view.d.ts.map