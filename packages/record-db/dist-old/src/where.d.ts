import { type IndexValue } from './layout.js';
export interface Range {
    eq?: IndexValue;
    gt?: IndexValue;
    gte?: IndexValue;
    lt?: IndexValue;
    lte?: IndexValue;
}
export type Where = Record<string, IndexValue | Range>;
export interface Cond {
    field: string;
    range: Range;
}
export declare function parseWhere(where: unknown, indexed: string[]): Cond[];
export declare function scanBounds(prefix: string, r: Range): {
    gt?: string;
    gte?: string;
    lt?: string;
    lte?: string;
};
export declare function matches(value: unknown, c: Cond): boolean;
//# sourceMappingURL=where.d.ts.map