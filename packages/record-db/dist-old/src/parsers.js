// Streaming row parsers for imports. Each yields one ImportRow per data row, with
// its line number; a bad row becomes { line, error } and parsing goes on.
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
export const IMPORT_FORMATS = ['ndjson', 'csv', 'tsv', 'export'];
/** Longest NDJSON line accepted (longer lines are rejected, not parsed). */
export const MAX_LINE_LENGTH = 1024 * 1024;
/** The format a file name suggests, or null. */
export function formatOfPath(path) {
    const lower = path.toLowerCase();
    if (lower.endsWith('.tsv') || lower.endsWith('.tab'))
        return 'tsv';
    if (lower.endsWith('.csv'))
        return 'csv';
    if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl'))
        return 'ndjson';
    return null;
}
export function parseRows(input, format) {
    if (format === 'ndjson' || format === 'export')
        return parseNdjson(input, format === 'export');
    return parseDelimited(input, format === 'tsv' ? '\t' : ',');
}
async function* parseNdjson(input, exported) {
    const lines = createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
        line++;
        if (text.trim() === '')
            continue;
        if (text.length > MAX_LINE_LENGTH) {
            yield { line, error: `line longer than ${MAX_LINE_LENGTH} characters` };
            continue;
        }
        let parsed;
        try {
            parsed = JSON.parse(text);
        }
        catch (err) {
            yield { line, error: `invalid JSON: ${err.message}` };
            continue;
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
            yield { line, error: 'not a JSON object' };
            continue;
        }
        if (!exported) {
            yield { line, value: parsed };
            continue;
        }
        const rec = parsed;
        if (typeof rec.id !== 'string' || rec.value === null || typeof rec.value !== 'object' || Array.isArray(rec.value)) {
            yield { line, error: 'an exported record needs a string "id" and an object "value"' };
            continue;
        }
        yield { line, id: rec.id, value: rec.value };
    }
}
async function* parseDelimited(input, delimiter) {
    const skipped = [];
    const parser = input.pipe(parseCsv({
        delimiter,
        // TSV has no quoting: a quote character is data.
        quote: delimiter === '\t' ? false : '"',
        info: true,
        relax_column_count: true,
        skip_empty_lines: true,
        bom: true,
        skip_records_with_error: true,
        on_skip: (err) => {
            skipped.push({ line: Number(err?.lines ?? 0), error: err?.message ?? 'unparseable row' });
            return undefined;
        }
    }));
    let header = null;
    for await (const item of parser) {
        while (skipped.length > 0)
            yield skipped.shift();
        const { record, info } = item;
        const line = Number(info.lines);
        if (header === null) {
            header = record.map((h) => h.trim());
            const dup = header.find((h, i) => header?.indexOf(h) !== i);
            if (header.some((h) => h === '') || dup !== undefined) {
                throw new Error(`bad header on line ${line}: column names must be unique and not empty`);
            }
            continue;
        }
        if (record.length !== header.length) {
            yield { line, error: `expected ${header.length} columns, got ${record.length}` };
            continue;
        }
        const value = {};
        for (let i = 0; i < header.length; i++) {
            const cell = record[i];
            if (cell !== '')
                value[header[i]] = cell; // an empty cell is an absent field
        }
        yield { line, value };
    }
    while (skipped.length > 0)
        yield skipped.shift();
}
//# sourceMappingURL=parsers.js.map