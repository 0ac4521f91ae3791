import type { ViewDb } from '@kappa-ts/kappa-core';
import type { Counts } from './versions.js';
export interface Scored {
    r: string;
    score: number;
    schema: string;
    id: string;
}
/** Every counted version holding one of `terms`, best score first (ties: by ref). */
export declare function rankPostings(db: ViewDb, terms: string[], schema: string | undefined, counts: Counts): Promise<Scored[]>;
//# sourceMappingURL=ranking.d.ts.map