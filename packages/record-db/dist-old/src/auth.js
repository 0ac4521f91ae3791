// Who may write: a pure, order-independent function from the set of `core/source`
// records to "how many records of each feed count".
//
// Model. Each (author, target) pair is a grant edge, read in the author's feed order:
// a `put` that counts (its seq is below the author's own limit) opens the edge
// (unlimited), a `del` carrying `length` L limits an open edge to L (the target's
// records with seq >= L stop counting; a later counted `put` opens it again).
// A feed's limit is the best of its incoming edges, capped by the root's own latest
// word about it (the root's revocation is final whatever other grants exist).
// The root always counts in full.
//
// Every step only grows when the limits it reads grow, so iterating from
// "nothing counts" reaches the least fixed point, the same whatever order the
// records arrived in. Grant cycles with no path from the root stay at 0.
export function computeLimits(root, ops) {
    // target -> author -> that author's ops about target, in seq order
    const byTarget = new Map();
    for (const op of ops) {
        if (op.target === root)
            continue; // nobody limits the root
        let authors = byTarget.get(op.target);
        if (authors === undefined)
            byTarget.set(op.target, authors = new Map());
        let list = authors.get(op.author);
        if (list === undefined)
            authors.set(op.author, list = []);
        list.push(op);
    }
    for (const authors of byTarget.values()) {
        for (const list of authors.values())
            list.sort((a, b) => a.seq - b.seq);
    }
    const limits = new Map([[root, Infinity]]);
    const limitOf = (feed) => limits.get(feed) ?? 0;
    // Bounded: each round raises at least one limit, and a target's limit only takes values
    // from {0, Infinity, the lengths named in its ops}.
    let opCount = 0;
    for (const authors of byTarget.values())
        for (const list of authors.values())
            opCount += list.length;
    for (let round = 0; round <= opCount + 2 * byTarget.size + 1; round++) {
        let changed = false;
        for (const [target, authors] of byTarget) {
            let best = 0;
            let cap = Infinity;
            for (const [author, list] of authors) {
                let edge = 0;
                let open = false;
                for (const op of list) {
                    if (op.op === 'put') {
                        if (op.seq < limitOf(author)) {
                            edge = Infinity;
                            open = true;
                        }
                    }
                    else if (open) {
                        edge = Math.min(edge, revokedLength(op));
                    }
                }
                if (author === root) {
                    // The root's latest word is a cap on every other grant too.
                    const last = list[list.length - 1];
                    if (last !== undefined && last.op === 'del')
                        cap = revokedLength(last);
                }
                best = Math.max(best, edge);
            }
            const next = Math.min(best, cap);
            if (next !== limitOf(target)) {
                limits.set(target, next);
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    for (const [feed, limit] of limits)
        if (limit === 0)
            limits.delete(feed);
    return limits;
}
function revokedLength(op) {
    return typeof op.length === 'number' && Number.isSafeInteger(op.length) && op.length >= 0 ? op.length : 0;
}
//# sourceMappingURL=auth.js.map