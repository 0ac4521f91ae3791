// Query conditions: parsing `where`, the index range to scan, matching a value.
import { RecordDbError } from './errors.js';
import { encodeValue, isIndexValue, typeEnd, typeStart, SEP } from './layout.js';
export function parseWhere(where, indexed) {
    if (where === null || typeof where !== 'object' || Array.isArray(where)) {
        throw new RecordDbError('ERR_BAD_QUERY', 'query needs { where: { field: value | { gt, gte, lt, lte } } }');
    }
    const conds = [];
    for (const [field, w] of Object.entries(where)) {
        if (!indexed.includes(field)) {
            throw new RecordDbError('ERR_NOT_INDEXED', `field "${field}" is not indexed (mark it "index": true in the schema); indexed: ${indexed.join(', ') || 'none'}`);
        }
        let range;
        if (isIndexValue(w))
            range = { eq: w };
        else if (w !== null && typeof w === 'object' && !Array.isArray(w)) {
            range = {};
            for (const [op, v] of Object.entries(w)) {
                if (!['eq', 'gt', 'gte', 'lt', 'lte'].includes(op))
                    throw new RecordDbError('ERR_BAD_QUERY', `unknown operator "${op}" (use eq, gt, gte, lt, lte)`);
                if (!isIndexValue(v))
                    throw new RecordDbError('ERR_BAD_QUERY', `${field}.${op} must be a string, number, boolean or null`);
                range[op] = v;
            }
            const types = new Set(Object.values(range).map((v) => (v === null ? 'null' : typeof v)));
            if (types.size !== 1)
                throw new RecordDbError('ERR_BAD_QUERY', `${field}: give one value, or bounds of one type`);
        }
        else {
            throw new RecordDbError('ERR_BAD_QUERY', `${field}: give a value or a range object`);
        }
        conds.push({ field, range });
    }
    if (conds.length === 0)
        throw new RecordDbError('ERR_BAD_QUERY', 'where needs at least one field');
    return conds;
}
export function scanBounds(prefix, r) {
    if (r.eq !== undefined)
        return { gt: prefix + encodeValue(r.eq) + SEP, lt: prefix + encodeValue(r.eq) + '\x01' };
    const sample = (r.gt ?? r.gte ?? r.lt ?? r.lte);
    const out = {};
    if (r.gt !== undefined)
        out.gt = prefix + encodeValue(r.gt) + '\x01';
    else if (r.gte !== undefined)
        out.gt = prefix + encodeValue(r.gte);
    else
        out.gt = prefix + typeStart(sample);
    if (r.lt !== undefined)
        out.lt = prefix + encodeValue(r.lt);
    else if (r.lte !== undefined)
        out.lt = prefix + encodeValue(r.lte) + '\x01';
    else
        out.lt = prefix + typeEnd(sample);
    return out;
}
function compare(a, b) {
    const ea = encodeValue(a);
    const eb = encodeValue(b);
    return ea < eb ? -1 : ea > eb ? 1 : 0;
}
export function matches(value, c) {
    if (value === null || typeof value !== 'object')
        return false;
    const raw = value[c.field];
    const vals = (Array.isArray(raw) ? raw : [raw]).filter(isIndexValue);
    const sample = (c.range.eq ?? c.range.gt ?? c.range.gte ?? c.range.lt ?? c.range.lte);
    const sameType = (v) => (v === null ? 'null' : typeof v) === (sample === null ? 'null' : typeof sample);
    return vals.some((v) => {
        if (!sameType(v))
            return false;
        const r = c.range;
        if (r.eq !== undefined && compare(v, r.eq) !== 0)
            return false;
        if (r.gt !== undefined && compare(v, r.gt) <= 0)
            return false;
        if (r.gte !== undefined && compare(v, r.gte) < 0)
            return false;
        if (r.lt !== undefined && compare(v, r.lt) >= 0)
            return false;
        if (r.lte !== undefined && compare(v, r.lte) > 0)
            return false;
        return true;
    });
}
//# sourceMappingURL=where.js.map