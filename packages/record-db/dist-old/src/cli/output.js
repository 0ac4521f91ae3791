export function makeOut(json) {
    return {
        json,
        result(data, human) {
            if (json)
                process.stdout.write(JSON.stringify(data, replacer) + '\n');
            else {
                const lines = human();
                process.stdout.write((Array.isArray(lines) ? lines.join('\n') : lines) + (Array.isArray(lines) && lines.length === 0 ? '' : '\n'));
            }
        },
        info(line) {
            if (!json)
                process.stderr.write(line + '\n');
        }
    };
}
/** Infinity (a feed that counts in full) has no JSON form. */
export function replacer(_key, value) {
    return value === Infinity ? 'all' : value;
}
export function recordLine(r) {
    return `${r.id}\t${JSON.stringify(r.value)}`;
}
export function recordDetail(r) {
    return `${r.schema}/${r.id} ${r.op} by ${r.feed.slice(0, 8)}…@${r.seq} at ${new Date(r.timestamp).toISOString()}${r.value === undefined ? '' : '\n  ' + JSON.stringify(r.value)}`;
}
//# sourceMappingURL=output.js.map