import { RecordDB, type RecordDBOptions } from '../src/index.js';
export declare function tmpdir(): string;
export declare function rm(dir: string): void;
export declare function openDb(dir: string, opts?: RecordDBOptions): Promise<RecordDB>;
/** Pipes two databases' replication streams together; returns a function that ends it. */
export declare function connect(a: RecordDB, b: RecordDB): () => void;
/** Polls `check` until it returns true (replication has no single "done" event to await). */
export declare function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs?: number): Promise<void>;
/** `db` has replicated every entry `from` has written (its own writer feed) and indexed them. */
export declare function caughtUp(db: RecordDB, from: RecordDB): Promise<void>;
export declare function collect<T>(it: AsyncIterable<T>): Promise<T[]>;
export declare const personSchema: {
    type: string;
    required: string[];
    additionalProperties: boolean;
    properties: {
        name: {
            type: string;
            minLength: number;
            maxLength: number;
            search: boolean;
        };
        age: {
            type: string;
            minimum: number;
            index: boolean;
        };
        city: {
            type: string;
            index: boolean;
        };
        tags: {
            type: string;
            items: {
                type: string;
            };
            index: boolean;
        };
        bio: {
            type: string;
            maxLength: number;
            search: boolean;
        };
    };
};
//# sourceMappingURL=helpers.d.ts.map