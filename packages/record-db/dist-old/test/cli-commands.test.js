// The smaller kappa-db commands: schema list/show, put from stdin, list options,
// revoke, open mode, usage and input errors.
import test from 'tape';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rm, tmpdir } from './helpers.js';
const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
function cli(cwd, args, stdin) {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(stdin ?? '');
    });
}
test('kappa-db commands: schema list/show, put from stdin, list options, revoke, errors', async (t) => {
    const dir = tmpdir();
    const run = (...args) => cli(dir, args);
    try {
        t.equal((await run('--json', 'init', '--mode', 'open')).code, 0, 'init in open mode');
        const st = JSON.parse((await run('--json', 'status')).stdout);
        t.deepEqual([st.mode, st.root], ['open', ''], 'status says open mode, no root');
        fs.writeFileSync(path.join(dir, 'tag.schema.json'), JSON.stringify({ type: 'object', required: ['label'], properties: { label: { type: 'string', index: true } } }));
        t.equal((await run('schema', 'add', 'tag.schema.json')).code, 0);
        t.deepEqual(JSON.parse((await run('--json', 'schema', 'list')).stdout), ['tag'], 'schema name from the file name');
        t.equal(JSON.parse((await run('--json', 'schema', 'show', 'tag')).stdout).required[0], 'label', 'schema show');
        t.equal((await run('schema', 'show', 'nope')).code, 1, 'unknown schema');
        const fromStdin = await cli(dir, ['--json', 'put', 'tag', '--id', 't1'], '{"label":"from stdin"}');
        t.deepEqual(JSON.parse(fromStdin.stdout), { id: 't1' }, 'put reads the value from stdin');
        for (const id of ['t2', 't3', 't4'])
            await run('put', 'tag', `{"label":"${id}"}`, '--id', id);
        const ids = async (...args) => JSON.parse((await run('--json', 'list', 'tag', ...args)).stdout).map((r) => r.id);
        t.deepEqual(await ids(), ['t1', 't2', 't3', 't4']);
        t.deepEqual(await ids('--reverse', '--limit', '2'), ['t4', 't3']);
        t.deepEqual(await ids('--gt', 't1', '--lt', 't4'), ['t2', 't3']);
        t.deepEqual(JSON.parse((await run('--json', 'query', 'tag', 'label=from stdin')).stdout).map((r) => r.id), ['t1'], 'query with a space in the value');
        const badJson = await run('--json', 'put', 'tag', '{oops');
        t.equal(badJson.code, 1);
        t.equal(JSON.parse(badJson.stdout).error.code, 'ERR_VALIDATION', 'invalid JSON is a validation error');
        const notIndexed = await run('query', 'tag', 'other=1');
        t.equal(notIndexed.code, 1);
        t.match(notIndexed.stderr, /ERR_NOT_INDEXED/, 'querying a field that is not indexed');
        t.match((await run('query', 'tag', 'label~x')).stderr, /ERR_BAD_QUERY/, 'an unreadable condition');
        fs.writeFileSync(path.join(dir, 'rows.txt'), 'x');
        t.match((await run('import', 'rows.txt', '--schema', 'tag')).stderr, /pass --format/, 'import needs a known format');
        t.match((await run('import', 'missing.csv', '--schema', 'tag')).stderr, /no such file/, 'import of a missing file');
        t.match((await run('authorize', 'not-a-key')).stderr, /ERR_BAD_KEY/, 'authorize checks the key');
        t.equal((await run('revoke', 'ab'.repeat(32), '--length', '0')).code, 0, 'revoke writes a core/source revocation');
        t.equal((await run('frobnicate')).code, 1, 'unknown command');
        t.match((await run('--help')).stdout, /import \[options\] <file>/, '--help lists the commands');
    }
    finally {
        rm(dir);
    }
});
//# sourceMappingURL=cli-commands.test.js.map