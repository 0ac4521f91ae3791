import type { JsonSchema } from '@kappa-ts/schemas';
import { type Where } from '../record-db.js';
/** Runs the CLI with `argv` (process.argv form); resolves with the exit code. */
export declare function run(argv: string[]): Promise<number>;
/** `field=value`, `field>=value`, …: values typed by the schema's property type. */
export declare function parseConditions(conditions: string[], schema: JsonSchema): Where;
//# sourceMappingURL=program.d.ts.map