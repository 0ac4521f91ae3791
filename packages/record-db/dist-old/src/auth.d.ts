export interface AuthOp {
    author: string;
    seq: number;
    target: string;
    op: 'put' | 'del';
    /** On a del: the target's length at revocation (records with seq >= length stop counting). */
    length?: number;
}
/** feed key -> number of its records that count (Infinity = all). Feeds absent count 0. */
export type AuthLimits = ReadonlyMap<string, number>;
export declare function computeLimits(root: string, ops: Iterable<AuthOp>): Map<string, number>;
//# sourceMappingURL=auth.d.ts.map