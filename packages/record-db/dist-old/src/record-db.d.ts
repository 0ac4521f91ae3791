import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Kappa, type JoinOptions } from '@kappa-ts/kappa-core';
import { type JsonSchema } from '@kappa-ts/schemas';
import { type RecordsView } from './records-view.js';
import { type Range, type Where } from './where.js';
import { type RecordVersion } from './versions.js';
export type { Range, Where, RecordVersion };
export type Mode = 'authorized' | 'open';
export interface RecordDBOptions {
    /** The database key (64 hex chars) to join; absent: a new database whose root is this peer's writer. */
    key?: string | Uint8Array;
    /** 'authorized' (default for a new database): only the root and feeds it authorized count. 'open': every feed counts. */
    mode?: Mode;
}
export type BatchOp = {
    type: 'put';
    schema: string;
    value: unknown;
    id?: string;
} | {
    type: 'del';
    schema: string;
    id: string;
};
export interface BatchOptions {
    /**
     * The caller guarantees that no version of these records exists yet (bulk loads into an
     * empty schema): no links are read, so the batch need not wait for the index. Puts only.
     */
    fresh?: boolean;
}
export interface ListOptions {
    limit?: number;
    reverse?: boolean;
    gt?: string;
    gte?: string;
    lt?: string;
    lte?: string;
}
export interface QueryOptions {
    where: Where;
    limit?: number;
}
export interface SearchOptions {
    schema?: string;
    limit?: number;
}
export interface SearchHit<V = unknown> {
    score: number;
    record: RecordVersion<V>;
}
export interface FeedStatus {
    key: string;
    length: number;
    local: boolean;
    counted: number | 'all';
}
export interface RecordDBStatus {
    key: string;
    mode: Mode;
    writer: string;
    root: string;
    feeds: FeedStatus[];
    index: {
        indexed: number;
        total: number;
        state: string;
    };
}
declare const VIEW = "records";
/** Most ops one batch() may hold (so they fit in one hypercore append). */
export declare const MAX_BATCH = 10000;
/** A fresh random id that sorts by creation time. */
export declare function newId(): string;
export declare class RecordDB extends EventEmitter {
    readonly storage: string;
    private readonly opts;
    private _kappa;
    private _key;
    private _mode;
    private _writerKey;
    private opening;
    private closing;
    private writing;
    private limits;
    private readonly validators;
    /** Current schema definitions; cleared whenever a core/schema or core/source record is indexed. */
    private readonly schemaCache;
    private schemaGen;
    private paused;
    private readonly coercing;
    constructor(storage: string, opts?: RecordDBOptions);
    /** The database key (hex): share it with peers. In authorized mode it is also the root writer's key. */
    get key(): string;
    get mode(): Mode;
    /** This peer's writer feed key (hex): what a root authorizes. */
    get writerKey(): string;
    get kappa(): Kappa<Record<typeof VIEW, RecordsView>>;
    get closed(): boolean;
    ready(): Promise<void>;
    private open;
    /** Whether the schema has no record at all (live or deleted) in what is indexed. */
    isEmpty(schema: string): Promise<boolean>;
    /** Resolves when every entry known now is indexed (at once while indexing is paused). */
    indexed(): Promise<void>;
    /**
     * Stops indexing until resume(): bulk appends then go at full speed and are indexed in
     * big batches afterwards. Meanwhile reads answer from what is indexed, and writes that
     * name an existing id are refused (their links need the index): ERR_BATCH.
     */
    pause(): void;
    resume(): void;
    /** Stores a JSON Schema as the `core/schema` record `name` (it replicates like any record). */
    putSchema(name: string, schema: JsonSchema): Promise<void>;
    /** The current definition of a schema, or null. Built-in schemas included. */
    getSchema(name: string): Promise<JsonSchema | null>;
    /** Names of the schemas defined (not the built-in ones). */
    schemas(): Promise<string[]>;
    private schemaDef;
    private requireSchema;
    /** Throws ValidationError unless `value` satisfies the current definition of `schema`. */
    validate(schema: string, value: unknown): Promise<void>;
    /**
     * A fast row checker for imports: returns null for a valid value, else the reason.
     * With `coerce`, strings are converted in place to the schema's types first (CSV/TSV).
     */
    checker(schema: string, opts?: {
        coerce?: boolean;
    }): Promise<(value: unknown) => string | null>;
    /** Validates and appends a version of record `id` (new random id if absent) linking to its current heads. */
    put(schema: string, value: unknown, opts?: {
        id?: string;
    }): Promise<string>;
    /** Writes a tombstone for record `id` linking to its current heads. ERR_NOT_FOUND if it has no live version. */
    del(schema: string, id: string): Promise<void>;
    /**
     * Validates every op first, then appends them all in ONE append (all or nothing).
     * Returns the ids, in order. One record may appear once per batch.
     */
    batch(ops: BatchOp[], opts?: BatchOptions): Promise<string[]>;
    /** Authorizes a writer feed (a `core/source` record). It counts once the author of this record does. */
    authorize(feedKey: string, opts?: {
        note?: string;
    }): Promise<void>;
    /**
     * Revokes a feed: its records with seq >= `length` stop counting (default: its length
     * as known here now). Effective from the root, or from a feed that granted it (its own grant).
     */
    revoke(feedKey: string, opts?: {
        length?: number;
    }): Promise<void>;
    /** Feed key -> how many of its records count (Infinity = all); absent feeds count none. */
    authorizations(): Promise<Map<string, number>>;
    /** Whether what this peer writes now counts (open mode, or its writer is authorized and not revoked). */
    writable(): Promise<boolean>;
    private authLimits;
    private counter;
    /** The current live versions of a record ([] if none or deleted; several on a fork). */
    get<V = unknown>(schema: string, id: string): Promise<Array<RecordVersion<V>>>;
    /** Every counted version of a record (puts and deletes), oldest first. */
    history<V = unknown>(schema: string, id: string): Promise<Array<RecordVersion<V>>>;
    /** Live records of a schema in id order (each current version; several on a fork). */
    list<V = unknown>(schema: string, opts?: ListOptions): AsyncGenerator<RecordVersion<V>>;
    /** Live versions whose indexed fields match `where` (equality or ranges), in index order. */
    query<V = unknown>(schema: string, opts: QueryOptions): AsyncGenerator<RecordVersion<V>>;
    /** Full-text search over the searchable fields, ranked by BM25; live versions only. */
    search<V = unknown>(text: string, opts?: SearchOptions): Promise<Array<SearchHit<V>>>;
    private current;
    private currentMany;
    /** A replication stream: pipe it to a peer's (`a.pipe(b).pipe(a)`). */
    replicate(isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex;
    /** Finds peers of this database over hyperswarm (kappa-core's join). */
    join(opts?: JoinOptions): Promise<void>;
    /** Same as join(): connect and keep syncing. */
    sync(opts?: JoinOptions): Promise<void>;
    leave(): Promise<void>;
    get peers(): unknown[];
    status(): Promise<RecordDBStatus>;
    close(): Promise<void>;
    private data;
    private serialized;
    private assertReady;
    private assertOpen;
}
//# sourceMappingURL=record-db.d.ts.map