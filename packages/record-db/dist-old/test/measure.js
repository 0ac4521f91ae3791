// By-hand measurements (not a test): node packages/record-db/dist/test/measure.js [rows]
// Times the CLI import of a generated TSV (whole process, wall clock), then query and
// search latency in-process (median and p95 of repeated runs, warm).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RecordDB } from '../src/index.js';
import { personJsonSchema, writeTsv } from './fixtures/tsv.js';
import { rm, tmpdir, collect } from './helpers.js';
const ROWS = Number(process.argv[2] ?? 100_000);
const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const dir = tmpdir();
const run = (...args) => execFileSync(process.execPath, [BIN, '--storage', path.join(dir, 'db'), ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
function stats(ms) {
    const s = [...ms].sort((a, b) => a - b);
    const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
    return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms`;
}
async function time(n, fn) {
    const out = [];
    for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        await fn();
        out.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return out;
}
try {
    fs.writeFileSync(path.join(dir, 'person.json'), JSON.stringify(personJsonSchema));
    const { good } = writeTsv(path.join(dir, 'people.tsv'), ROWS);
    run('init');
    run('schema', 'add', 'person.json');
    const t0 = Date.now();
    const summary = JSON.parse(run('--json', 'import', 'people.tsv', '--schema', 'person'));
    const wall = Date.now() - t0;
    console.log(`CLI import of ${ROWS} TSV rows: ${wall} ms wall (process), ${summary.ms} ms parse+validate+append, ${summary.indexMs} ms indexing after; ${summary.imported} imported, ${summary.rejected} rejected`);
    const t1 = Date.now();
    run('--json', 'query', 'person', 'city=Oslo', 'age=42');
    console.log(`CLI query process (open + query + close): ${Date.now() - t1} ms`);
    const db = new RecordDB(path.join(dir, 'db'));
    await db.ready();
    await db.indexed();
    const q = async (where, limit) => (await collect(db.query('person', limit === undefined ? { where: where } : { where: where, limit }))).length;
    const cases = [
        ['query age=42 (eq, ~1.1% of rows)', () => q({ age: 42 })],
        ['query city=Oslo AND age>=80 (~11% scanned)', () => q({ city: 'Oslo', age: { gte: 80 } })],
        ['query city=Oslo AND age=42 (narrower index scanned: 1.1%)', () => q({ city: 'Oslo', age: 42 })],
        ['query age=42 limit 10', () => q({ age: 42 }, 10)],
        ['get by id', async () => (await db.get('person', (await collect(db.list('person', { limit: 1 })))[0]?.id)).length],
        ['search "zeppelin" (rare term) limit 10', async () => (await db.search('zeppelin')).length],
        ['search "quiet harbor" (two common terms) limit 10', async () => (await db.search('quiet harbor')).length]
    ];
    for (const [name, fn] of cases) {
        const n = await fn();
        console.log(`${name}: ${n} results, ${stats(await time(20, fn))}`);
    }
    console.log(`(dataset: ${good.length} live records)`);
    await db.close();
}
finally {
    rm(dir);
}
//# sourceMappingURL=measure.js.map