import type { RecordDB } from './record-db.js';
import type { ImportRow } from './parsers.js';
export interface ImportOptions {
    schema: string;
    /** Take each record's id from this field of the row (kept in the value too). Default: new random ids. */
    idField?: string;
    /** Rows per append. Default 1000. */
    batchSize?: number;
    /** Coerce strings to the schema's types ("42" -> 42, "true" -> true): on for CSV/TSV. */
    coerce?: boolean;
    /** Most rejected rows kept in the summary (all are counted). Default 1000. */
    maxErrors?: number;
    /**
     * Pause indexing while appending rows that need no links, and index in big batches after:
     * much faster for bulk loads. Default true. Rows with new random ids need no links; rows
     * naming ids need none either while the schema was empty when the import started and the id
     * has not come up before in the import. The first row that may replace a version resumes
     * indexing (its links need it). A peer writing the same ids at the same time makes a fork.
     */
    pauseIndexing?: boolean;
    onProgress?: (p: {
        rows: number;
        imported: number;
        rejected: number;
    }) => void;
}
export interface ImportSummary {
    rows: number;
    imported: number;
    rejected: number;
    errors: Array<{
        line: number;
        error: string;
    }>;
    ms: number;
}
export declare function importRows(db: RecordDB, rows: AsyncIterable<ImportRow>, opts: ImportOptions): Promise<ImportSummary>;
//# sourceMappingURL=import.d.ts.map