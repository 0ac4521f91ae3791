import type { Readable } from 'node:stream';
export type ImportFormat = 'ndjson' | 'csv' | 'tsv' | 'export';
export declare const IMPORT_FORMATS: readonly ImportFormat[];
export interface ImportRow {
    /** 1-based line of the source file where the row starts (CSV: ends, for a quoted multi-line row). */
    line: number;
    /** The parsed value (an object). */
    value?: Record<string, unknown>;
    /** Record id named by the row (export format only). */
    id?: string;
    error?: string;
}
/** Longest NDJSON line accepted (longer lines are rejected, not parsed). */
export declare const MAX_LINE_LENGTH: number;
/** The format a file name suggests, or null. */
export declare function formatOfPath(path: string): ImportFormat | null;
export declare function parseRows(input: Readable, format: ImportFormat): AsyncGenerator<ImportRow>;
//# sourceMappingURL=parsers.d.ts.map