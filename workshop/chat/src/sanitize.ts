// Text from peers is untrusted: it must never reach the terminal as control
// sequences (cursor moves, colour changes, title changes, clearing the screen),
// nor hide or reorder what it shows with invisible characters.
import stripAnsi from 'strip-ansi'

// C0 controls, DEL and C1 controls (U+0080-U+009F: 8-bit CSI, OSC and friends),
// bidi embeddings, overrides and isolates that could disguise text, and the
// Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

// Characters that draw nothing: format characters (zero-width space and joiners,
// LRM/RLM/ALM, word joiner, BOM, soft hyphen, tags, ...) and every other default
// ignorable code point (variation selectors, Hangul fillers, ...). With them a
// peer could make two different nicks or lines look the same, or one look empty.
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu
const PICTOGRAPH = /\p{Extended_Pictographic}/u
const ZWJ = '\u200d'
const VARIATION = /^[\ufe0e\ufe0f]$/

/**
 * An invisible character that only shapes an emoji is kept: a variation selector
 * right after a pictograph, and a zero-width joiner between two (as in 👨‍👩‍👧).
 */
function shapesEmoji (ch: string, offset: number, text: string): boolean {
  const before = [...text.slice(Math.max(0, offset - 4), offset)]
  let prev = before.at(-1) ?? ''
  if (VARIATION.test(ch)) return PICTOGRAPH.test(prev)
  if (ch !== ZWJ) return false
  if (VARIATION.test(prev)) prev = before.at(-2) ?? ''
  const next = [...text.slice(offset + 1, offset + 3)][0] ?? ''
  return PICTOGRAPH.test(prev) && PICTOGRAPH.test(next)
}

/**
 * One printable line: escape sequences removed, other control characters shown
 * as spaces, invisible characters removed (except inside emoji).
 */
export function sanitize (text: string, maxLength = 4096): string {
  const clean = stripAnsi(text)
    .replace(CONTROL, ' ')
    .replace(INVISIBLE, (ch: string, offset: number, whole: string) => shapesEmoji(ch, offset, whole) ? ch : '')
  return clean.length > maxLength ? clean.slice(0, maxLength) + '…' : clean
}
