// The screen rows of the terminal UI, computed before ink draws them: a message wraps onto
// as many rows as the pane needs (so a long one can be read whole), and the pane scrolls by
// rows. Widths are terminal cells (wide characters count two), as wrap-ansi measures them.
import wrapAnsi from 'wrap-ansi'
import type { ChatLine } from './chat.js'

/** One row of the message pane. `head` (first row only): the `[HH:MM:SS] <nick> ` part, drawn in colour. */
export interface PaneRow { key: string; head: string; text: string; author: string }

export function clock (ts: number): string {
  const d = new Date(ts)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}

/** Text wrapped to `width` cells: words kept whole when they fit, longer ones broken. */
export function wrapText (text: string, width: number): string[] {
  if (text === '') return ['']
  return wrapAnsi(text, Math.max(1, width), { hard: true, trim: true }).split('\n')
}

// Lines are immutable (a nick change replaces them), so rows are cached per line and width.
const cache = new WeakMap<ChatLine, { width: number; rows: PaneRow[] }>()

/** The rows of one message at `width` cells. */
export function messageRows (line: ChatLine, width: number): PaneRow[] {
  const hit = cache.get(line)
  if (hit !== undefined && hit.width === width) return hit.rows
  const head = `[${clock(line.timestamp)}] <${line.nick}> `
  const wrapped = wrapText(head + line.text, width)
  const first = wrapped[0] ?? ''
  // The coloured head is drawn apart when it fits on the first row as it is.
  const split = first.startsWith(head.trimEnd())
  const rows = wrapped.map((text, i): PaneRow => {
    if (i > 0 || !split) return { key: `${line.id}:${i}`, head: '', text, author: line.author }
    const headPart = first.length > head.length ? head : head.trimEnd()
    return { key: `${line.id}:${i}`, head: headPart, text: first.slice(headPart.length), author: line.author }
  })
  cache.set(line, { width, rows })
  return rows
}

/** Every row of `lines` at `width`, oldest first. */
export function paneRows (lines: readonly ChatLine[], width: number): PaneRow[] {
  const out: PaneRow[] = []
  for (const line of lines) for (const row of messageRows(line, width)) out.push(row)
  return out
}
