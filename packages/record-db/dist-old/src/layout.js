// Key layout of the records view (string keys, JSON values, one sublevel).
//
// Components are joined with \x00. None can contain \x00 or \x01: ids and schema
// names exclude control characters (envelope schema), feed keys are hex, terms are
// letters and digits, and indexed values are escaped. So every key under a prefix p
// lies in the range (p + \x00, p + \x01).
export const SEP = '\x00';
const END = '\x01';
/** The iterator bounds of every key that starts with `parts` followed by the separator. */
export function under(...parts) {
    const p = parts.join(SEP);
    return { gt: p + SEP, lt: p + END };
}
export const ref = (feed, seq) => `${feed}@${seq}`;
export function parseRef(r) {
    const at = r.lastIndexOf('@');
    return { feed: r.slice(0, at), seq: Number(r.slice(at + 1)) };
}
/** One version of a record: `v|schema|id|ref`. */
export const versionKey = (schema, id, r) => ['v', schema, id, r].join(SEP);
/** Heads (refs no version links to) of a record, over every version whatever its author: `h|schema|id`. */
export const headsKey = (schema, id) => ['h', schema, id].join(SEP);
/** Marks a version some other version links to (so it can never be a head): `k|schema|id|ref`. */
export const linkedKey = (schema, id, r) => ['k', schema, id, r].join(SEP);
/** Secondary index entry: `i|schema|field|encoded value|id|ref`. */
export const indexKey = (schema, field, enc, id, r) => ['i', schema, field, enc, id, r].join(SEP);
/** Full-text posting: `t|term|schema|id|ref` -> term frequency. */
export const postingKey = (term, schema, id, r) => ['t', term, schema, id, r].join(SEP);
/** Full-text statistics of a schema: `n|schema` -> { docs, length }. */
export const statsKey = (schema) => ['n', schema].join(SEP);
/** The fields of a schema the indexes cover (union over every version of its definition): `f|schema`. */
export const fieldsKey = (schema) => ['f', schema].join(SEP);
/** An authorization op: `a|target feed|author feed|seq` -> { op, length? }. */
export const authKey = (target, author, seq) => ['a', target, author, String(seq)].join(SEP);
export function splitKey(key) {
    return key.split(SEP);
}
const MAX_INDEXED_STRING = 512;
export function isIndexValue(v) {
    return v === null || typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}
export function encodeValue(v) {
    if (v === null)
        return 'a';
    if (v === false)
        return 'b';
    if (v === true)
        return 'c';
    if (typeof v === 'number')
        return 'd' + encodeNumber(v);
    // \x00 and \x01 are escaped order-preservingly; very long strings are cut (a prefix still sorts right).
    return 'e' + v.slice(0, MAX_INDEXED_STRING).replace(/[\x00\x01]/g, (c) => (c === '\x00' ? '\x01\x02' : '\x01\x03'));
}
function encodeNumber(n) {
    const buf = Buffer.alloc(8);
    buf.writeDoubleBE(n === 0 ? 0 : n); // -0 and 0 index alike
    if (buf[0] & 0x80) {
        for (let i = 0; i < 8; i++)
            buf[i] = ~buf[i] & 0xff;
    }
    else {
        buf[0] = buf[0] | 0x80;
    }
    return buf.toString('hex');
}
/** The first tag after every value of v's type (the end of its range). */
export function typeEnd(v) {
    if (typeof v === 'number')
        return 'e';
    if (typeof v === 'string')
        return 'f';
    return encodeValue(v) + SEP;
}
export function typeStart(v) {
    if (typeof v === 'number')
        return 'd';
    if (typeof v === 'string')
        return 'e';
    return encodeValue(v);
}
//# sourceMappingURL=layout.js.map