import type { RecordVersion } from '../record-db.js';
export interface Out {
    json: boolean;
    /** JSON mode: prints `data`; human mode: prints `human()`'s lines. */
    result(data: unknown, human: () => string | string[]): void;
    info(line: string): void;
}
export declare function makeOut(json: boolean): Out;
/** Infinity (a feed that counts in full) has no JSON form. */
export declare function replacer(_key: string, value: unknown): unknown;
export declare function recordLine(r: RecordVersion): string;
export declare function recordDetail(r: RecordVersion): string;
//# sourceMappingURL=output.d.ts.map