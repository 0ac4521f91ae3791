/** Ids remembered to keep a bulk load with ids on the fast path. */
const MAX_SEEN = 5_000_000;
const ID_PATTERN = /^[^\u0000-\u001f\u007f]{1,256}$/;
export async function importRows(db, rows, opts) {
    const started = Date.now();
    const batchSize = opts.batchSize ?? 1000;
    const maxErrors = opts.maxErrors ?? 1000;
    const check = await db.checker(opts.schema, { coerce: opts.coerce === true });
    const summary = { rows: 0, imported: 0, rejected: 0, errors: [], ms: 0 };
    const reject = (line, error) => {
        summary.rejected++;
        if (summary.errors.length < maxErrors)
            summary.errors.push({ line, error });
    };
    let pending = [];
    let pendingIds = new Set();
    let paused = false;
    // Rows naming ids can skip the index too while the schema was empty at the start and
    // the id has not come up before in this import (then no version of it exists).
    const bulk = opts.pauseIndexing !== false;
    let fresh = bulk && await db.isEmpty(opts.schema);
    const seen = new Set();
    const flush = async () => {
        if (pending.length === 0)
            return;
        const chunk = pending;
        pending = [];
        pendingIds = new Set();
        try {
            await db.batch(chunk.map((p) => p.op), { fresh });
            summary.imported += chunk.length;
        }
        catch {
            // Something only the db could see (e.g. a concurrent schema change): isolate the row(s) one by one.
            for (const p of chunk) {
                try {
                    await db.batch([p.op], { fresh });
                    summary.imported++;
                }
                catch (err) {
                    reject(p.line, err.message);
                }
            }
        }
        opts.onProgress?.({ rows: summary.rows, imported: summary.imported, rejected: summary.rejected });
    };
    if (bulk) {
        db.pause();
        paused = true;
    }
    try {
        for await (const row of rows) {
            summary.rows++;
            if (row.error !== undefined || row.value === undefined) {
                reject(row.line, row.error ?? 'empty row');
                continue;
            }
            const value = row.value;
            const problem = check(value);
            if (problem !== null) {
                reject(row.line, problem);
                continue;
            }
            let id = row.id;
            if (id === undefined && opts.idField !== undefined) {
                const raw = value[opts.idField];
                id = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
                if (id === undefined) {
                    reject(row.line, `no "${opts.idField}" field for the id`);
                    continue;
                }
            }
            if (id !== undefined && !ID_PATTERN.test(id)) {
                reject(row.line, 'an id is 1..256 characters without control characters');
                continue;
            }
            if (id !== undefined && (!fresh || seen.has(id) || seen.size >= MAX_SEEN)) {
                // This row may replace a version: links need the index from here on.
                if (fresh || paused)
                    await flush();
                fresh = false;
                if (paused) {
                    db.resume();
                    paused = false;
                }
            }
            if (id !== undefined && fresh)
                seen.add(id);
            // The same id twice in one batch is not allowed: the second goes in the next batch (and replaces the first).
            if (id !== undefined && pendingIds.has(id))
                await flush();
            if (id !== undefined)
                pendingIds.add(id);
            pending.push({ line: row.line, op: id === undefined ? { type: 'put', schema: opts.schema, value } : { type: 'put', schema: opts.schema, value, id } });
            if (pending.length >= batchSize)
                await flush();
        }
        await flush();
    }
    finally {
        if (paused)
            db.resume();
    }
    summary.ms = Date.now() - started;
    return summary;
}
//# sourceMappingURL=import.js.map