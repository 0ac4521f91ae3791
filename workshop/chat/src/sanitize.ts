// Text from peers is untrusted: it must never reach the terminal as control
// sequences (cursor moves, colour changes, title changes, clearing the screen).
import stripAnsi from 'strip-ansi'

// C0 controls, DEL and C1 controls (U+0080-U+009F: 8-bit CSI, OSC and friends),
// plus bidi overrides that could disguise text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** One printable line: escape sequences removed, other control characters shown as spaces. */
export function sanitize (text: string, maxLength = 4096): string {
  const clean = stripAnsi(text).replace(CONTROL, ' ')
  return clean.length > maxLength ? clean.slice(0, maxLength) + '…' : clean
}
