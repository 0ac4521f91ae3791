// Pure parts: tokenizer, BM25, key encoding, authorization limits, validation errors, row parsers.
import test from 'tape';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { tokenize, termsOf, bm25Term, idf, computeLimits, Validators, fieldsOf, ValidationError, parseRows } from '../src/index.js';
import { encodeValue } from '../src/layout.js';
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const ROOT = 'f'.repeat(64);
test('tokenize: lower-case words, accents folded, stop words and punctuation dropped', (t) => {
    t.deepEqual(tokenize('The Café at the Zoo, déjà-vu!'), ['cafe', 'zoo', 'deja', 'vu']);
    t.deepEqual(tokenize('Ünïcödé 42 and x2'), ['unicode', '42', 'x2']);
    t.deepEqual(tokenize(''), []);
    t.deepEqual(tokenize('planets cities glass bus news'), ['planet', 'city', 'glass', 'bus', 'new'], 'plurals fold to the singular');
    t.deepEqual(tokenize('x'.repeat(65) + ' ok'), ['ok'], 'over-long token dropped');
    const { tf, length } = termsOf({ title: 'red fox', body: 'the red dog', other: 'red' }, ['title', 'body']);
    t.equal(tf.get('red'), 2, 'only searchable fields count');
    t.equal(length, 4);
    t.end();
});
test('BM25: rarer terms weigh more, repeated terms saturate, long documents weigh less', (t) => {
    t.ok(idf(1000, 1) > idf(1000, 500), 'rare term has higher idf');
    t.ok(idf(10, 10) > 0, 'idf never negative');
    const i = idf(100, 5);
    t.ok(bm25Term(2, 10, 10, i) > bm25Term(1, 10, 10, i), 'more occurrences score more');
    t.ok(bm25Term(20, 10, 10, i) < 20 * bm25Term(1, 10, 10, i), 'saturates');
    t.ok(bm25Term(1, 5, 10, i) > bm25Term(1, 50, 10, i), 'shorter doc scores more');
    t.end();
});
test('index encoding preserves the order of numbers and strings (property, fixed seed)', (t) => {
    const cmp = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (a, b) => {
        const want = a < b ? -1 : a > b ? 1 : 0;
        return Math.sign(cmp(encodeValue(a), encodeValue(b))) === want;
    }), { seed: 42, numRuns: 2000 });
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
        const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        return Math.sign(cmp(encodeValue(a), encodeValue(b))) === want;
    }), { seed: 42, numRuns: 2000 });
    const ordered = [null, false, true, -1, 0, 2.5, '', 'a'];
    for (let i = 1; i < ordered.length; i++)
        t.ok(cmp(encodeValue(ordered[i - 1]), encodeValue(ordered[i])) < 0, `type order ${i}`);
    t.end();
});
test('authorization: root grants, grants chain, unauthorized and cycles count nothing', (t) => {
    t.deepEqual([...computeLimits(ROOT, [])], [[ROOT, Infinity]]);
    const ops = [
        { author: ROOT, seq: 3, target: A, op: 'put' },
        { author: A, seq: 0, target: B, op: 'put' }, // A's grant counts: A is authorized in full
        { author: C, seq: 0, target: C, op: 'put' } // self-grant of an outsider
    ];
    const l = computeLimits(ROOT, ops);
    t.equal(l.get(A), Infinity);
    t.equal(l.get(B), Infinity, 'authorized by an authorized feed');
    t.equal(l.get(C), undefined, 'a self-grant counts nothing');
    const cycle = computeLimits(ROOT, [{ author: A, seq: 0, target: B, op: 'put' }, { author: B, seq: 0, target: A, op: 'put' }]);
    t.equal(cycle.get(A), undefined, 'a grant cycle without the root counts nothing');
    t.end();
});
test('authorization: revocation by root is final; by the grantor withdraws its grant from that length', (t) => {
    const base = [
        { author: ROOT, seq: 1, target: A, op: 'put' },
        { author: A, seq: 5, target: B, op: 'put' }
    ];
    const byRoot = computeLimits(ROOT, [...base, { author: ROOT, seq: 9, target: A, op: 'del', length: 6 }]);
    t.equal(byRoot.get(A), 6, "A's records from seq 6 stop counting");
    t.equal(byRoot.get(B), Infinity, "A's grant at seq 5 (before its revocation point) still counts");
    const late = computeLimits(ROOT, [...base, { author: ROOT, seq: 9, target: A, op: 'del', length: 5 }]);
    t.equal(late.get(B), undefined, "A's grant at seq 5 is at its revocation point: it no longer counts");
    const byGrantor = computeLimits(ROOT, [...base, { author: A, seq: 7, target: B, op: 'del', length: 2 }]);
    t.equal(byGrantor.get(B), 2);
    const byStranger = computeLimits(ROOT, [...base, { author: C, seq: 0, target: B, op: 'del', length: 0 }]);
    t.equal(byStranger.get(B), Infinity, 'a feed that never granted cannot revoke');
    const regrant = computeLimits(ROOT, [...base, { author: ROOT, seq: 9, target: A, op: 'del', length: 6 }, { author: ROOT, seq: 10, target: A, op: 'put' }]);
    t.equal(regrant.get(A), Infinity, 'a later grant by the root lifts the revocation');
    t.end();
});
test('authorization limits do not depend on the order ops arrive in (property, fixed seed)', (t) => {
    const feeds = [ROOT, A, B, C];
    const opArb = fc.record({
        author: fc.constantFrom(...feeds),
        seq: fc.nat(20),
        target: fc.constantFrom(A, B, C),
        op: fc.constantFrom('put', 'del'),
        length: fc.nat(20)
    });
    fc.assert(fc.property(fc.uniqueArray(opArb, { selector: (o) => `${o.author}@${o.seq}`, maxLength: 12 }).chain((ops) => fc.tuple(fc.constant(ops), fc.shuffledSubarray(ops, { minLength: ops.length, maxLength: ops.length }))), ([ops, shuffled]) => {
        const a = computeLimits(ROOT, ops);
        const b = computeLimits(ROOT, shuffled);
        return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
    }), { seed: 7, numRuns: 500 });
    t.pass('same limits for every arrival order');
    t.end();
});
test('validation names schema, path and rule; fieldsOf reads the kappa keywords', (t) => {
    const v = new Validators();
    const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 3, search: true }, n: { type: 'integer', index: true } } };
    t.doesNotThrow(() => v.validate('s', 'k', schema, { name: 'abc', n: 1 }));
    try {
        v.validate('s', 'k', schema, { name: 'abcd' });
        t.fail('should throw');
    }
    catch (err) {
        t.ok(err instanceof ValidationError);
        const e = err;
        t.equal(e.code, 'ERR_VALIDATION');
        t.equal(e.schema, 's');
        t.equal(e.path, '/name');
        t.equal(e.rule, 'maxLength');
    }
    try {
        v.validate('s', 'k', schema, {});
        t.fail('should throw');
    }
    catch (err) {
        t.equal(err.path, '/name', 'a missing property is named in the path');
        t.equal(err.rule, 'required');
    }
    t.throws(() => v.compile('bad', { type: 'no-such-type' }), /invalid JSON Schema/, 'a broken schema is ERR_BAD_SCHEMA');
    t.deepEqual(fieldsOf(schema), { index: ['n'], search: ['name'] });
    t.end();
});
async function rowsOf(text, format) {
    const out = [];
    for await (const r of parseRows(Readable.from([text]), format))
        out.push(r);
    return out;
}
test('parsers: NDJSON, CSV and TSV report a bad row with its line and go on', async (t) => {
    const nd = await rowsOf('{"a":1}\n\n{bad json\n[1,2]\n{"a":2}\n', 'ndjson');
    t.deepEqual(nd.map((r) => r.line), [1, 3, 4, 5]);
    t.deepEqual(nd[0]?.value, { a: 1 });
    t.match(nd[1]?.error ?? '', /invalid JSON/);
    t.match(nd[2]?.error ?? '', /not a JSON object/);
    t.deepEqual(nd[3]?.value, { a: 2 });
    const csv = await rowsOf('name,age\n"Smith, J",41\nshort\n"multi\nline",3\nx,\n', 'csv');
    t.deepEqual(csv[0], { line: 2, value: { name: 'Smith, J', age: '41' } });
    t.equal(csv[1]?.line, 3);
    t.match(csv[1]?.error ?? '', /expected 2 columns, got 1/);
    t.deepEqual(csv[2]?.value, { name: 'multi\nline', age: '3' });
    t.deepEqual(csv[3]?.value, { name: 'x' }, 'an empty cell is an absent field');
    const tsv = await rowsOf('a\tb\n1\t"q\n2\n3\t4\n', 'tsv');
    t.deepEqual(tsv[0]?.value, { a: '1', b: '"q' }, 'quotes are data in TSV');
    t.match(tsv[1]?.error ?? '', /expected 2 columns/);
    t.deepEqual(tsv[2]?.value, { a: '3', b: '4' });
    const exp = await rowsOf('{"schema":"p","id":"x","value":{"a":1}}\n{"id":3}\n', 'export');
    t.deepEqual(exp[0], { line: 1, id: 'x', value: { a: 1 } });
    t.ok(exp[1]?.error);
});
//# sourceMappingURL=unit.test.js.map