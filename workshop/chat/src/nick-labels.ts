// Nicks are chosen by their authors, so two authors can pick the same one (or two
// that look the same once sanitized): their lines must still say who wrote them.
// Where nicks collide, each is shown with the first 8 hex characters of its
// author's feed key: `bob~3f2a9c1d`. '~' never appears in a nick as shown (it is
// replaced by '-'), so a peer cannot pick a nick that looks like another's suffix.

export const SUFFIX_HEX = 8

/** What two nicks must share to look the same: compatibility-normalized, case-folded. */
function lookalike (nick: string): string {
  return nick.normalize('NFKC').toLowerCase()
}

/** Labels for the authors of `lines` (author -> sanitized nick; the latest entry per author wins). */
export function nickLabels (lines: Iterable<{ author: string; nick: string }>): (author: string, nick: string) => string {
  const nickOf = new Map<string, string>()
  for (const { author, nick } of lines) nickOf.set(author, nick)
  const authors = new Map<string, Set<string>>()
  for (const [author, nick] of nickOf) {
    const k = lookalike(nick)
    let set = authors.get(k)
    if (set === undefined) authors.set(k, set = new Set())
    set.add(author)
  }
  return (author, nick) => {
    const shown = nick.replace(/~/g, '-')
    const sharing = authors.get(lookalike(nick))
    const collides = sharing !== undefined && [...sharing].some((a) => a !== author)
    return collides ? `${shown}~${author.slice(0, SUFFIX_HEX)}` : shown
  }
}
