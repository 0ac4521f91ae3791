import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordDB } from '../src/index.js';
export function tmpdir() {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-rdb-'));
}
export function rm(dir) {
    fs.rmSync(dir, { recursive: true, force: true });
}
export async function openDb(dir, opts = {}) {
    const db = new RecordDB(dir, opts);
    await db.ready();
    return db;
}
/** Pipes two databases' replication streams together; returns a function that ends it. */
export function connect(a, b) {
    const sa = a.replicate(true);
    const sb = b.replicate(false);
    sa.pipe(sb).pipe(sa);
    sa.on('error', () => { });
    sb.on('error', () => { });
    return () => { sa.destroy(); sb.destroy(); };
}
/** Polls `check` until it returns true (replication has no single "done" event to await). */
export async function eventually(check, what, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
        if (await check())
            return;
        if (Date.now() > until)
            throw new Error(`timed out waiting for: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}
/** `db` has replicated every entry `from` has written (its own writer feed) and indexed them. */
export async function caughtUp(db, from) {
    const key = from.writerKey;
    const want = from.kappa.feed(key)?.length ?? 0;
    // contiguousLength: the blocks are here, not only the announced length.
    await eventually(() => (db.kappa.feed(key)?.contiguousLength ?? -1) >= want, `feed ${key.slice(0, 8)} to reach ${want}`);
    await db.indexed();
}
export async function collect(it) {
    const out = [];
    for await (const x of it)
        out.push(x);
    return out;
}
export const personSchema = {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
        name: { type: 'string', minLength: 1, maxLength: 50, search: true },
        age: { type: 'integer', minimum: 0, index: true },
        city: { type: 'string', index: true },
        tags: { type: 'array', items: { type: 'string' }, index: true },
        bio: { type: 'string', maxLength: 500, search: true }
    }
};
//# sourceMappingURL=helpers.js.map