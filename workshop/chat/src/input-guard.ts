// Keys reach ink only as sequences it understands. ink's input handler throws on
// some escape sequences (`ESC [ 31 m` parses as a Ctrl-modified key without a
// name), and pasted or typed terminal escapes are never text for a chat line.
// The UI reads stdin through this filter: printable text and control keys pass,
// the escape sequences of the keys the UI uses pass, every other escape sequence
// (CSI, SS3, OSC, DCS, APC, PM, SOS, 8-bit C1, bracketed-paste markers) is dropped.
import { Readable } from 'node:stream'

/** Escape sequences kept (after ESC): arrows, Home/End, PageUp/PageDown, Insert/Delete. */
const KEYS = new Set([
  '[A', '[B', '[C', '[D', '[H', '[F', 'OA', 'OB', 'OC', 'OD', 'OH', 'OF',
  '[1~', '[2~', '[3~', '[4~', '[5~', '[6~', '[7~', '[8~', '[[5~', '[[6~'
])
/** Longest escape sequence waited for across reads; a longer one is dropped whole. */
const MAX_SEQUENCE = 4096

/**
 * Filters a stream of terminal input. `push` returns what may go to ink now; an
 * escape sequence cut at the end of a read is held until the next read, or
 * dropped by `flush`.
 */
export class InputFilter {
  private held = ''

  push (chunk: string): string {
    const text = this.held + chunk
    this.held = ''
    let out = ''
    let i = 0
    while (i < text.length) {
      const ch = text[i] as string
      const code = ch.charCodeAt(0)
      if (ch !== '\x1b' && !(code >= 0x80 && code <= 0x9f)) { out += ch; i++; continue }
      const end = sequenceEnd(text, i)
      if (end === -1) {
        // Cut by the end of this read: wait for the rest (a lone ESC is the Escape key, which the UI ignores).
        if (text.length - i <= MAX_SEQUENCE) this.held = text.slice(i)
        break
      }
      const seq = text.slice(i, end)
      if (ch === '\x1b' && KEYS.has(seq.slice(1))) out += seq
      i = end
    }
    return out
  }

  /** Nothing more came: a held partial sequence is dropped. */
  flush (): void { this.held = '' }
  get holding (): boolean { return this.held !== '' }
}

/** Index just past the escape sequence starting at `i`, or -1 if the text ends inside it. */
function sequenceEnd (text: string, i: number): number {
  const ch = text[i] as string
  // 8-bit forms: CSI (0x9b) and the string introducers (DCS 0x90, SOS 0x98, OSC 0x9d, PM 0x9e, APC 0x9f).
  if (ch === '\x9b') return csiEnd(text, i + 1)
  if ('\x90\x98\x9d\x9e\x9f'.includes(ch)) return stringEnd(text, i + 1)
  if (ch !== '\x1b') return i + 1 // another C1 control: one character
  const next = text[i + 1]
  if (next === undefined) return -1
  if (next === '[') {
    if (text[i + 2] === '[') return text.length > i + 3 ? csiEnd(text, i + 3) : -1 // putty's ESC [ [ 5 ~
    return csiEnd(text, i + 2)
  }
  if (next === 'O') return text.length > i + 2 ? i + 3 : -1
  if (']P_^X'.includes(next)) return stringEnd(text, i + 2)
  return i + 2 // ESC and one character (Alt+key, or ESC ESC)
}

/** CSI: parameter bytes 0x30-0x3f, intermediates 0x20-0x2f, one final byte 0x40-0x7e. */
function csiEnd (text: string, j: number): number {
  while (j < text.length) {
    const c = text.charCodeAt(j)
    if (c >= 0x40 && c <= 0x7e) return j + 1
    if (c < 0x20 || c > 0x3f) return j // malformed: end the sequence before this character
    j++
  }
  return -1
}

/** OSC, DCS, APC, PM, SOS: up to BEL, ST (ESC \) or 8-bit ST (0x9c). */
function stringEnd (text: string, j: number): number {
  while (j < text.length) {
    const c = text[j]
    if (c === '\x07' || c === '\x9c') return j + 1
    if (c === '\x1b') {
      if (j + 1 >= text.length) return -1
      return text[j + 1] === '\\' ? j + 2 : j // an ESC that starts something else ends the string
    }
    j++
  }
  return -1
}

/** The TTY surface ink uses on its stdin. */
export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?(mode: boolean): unknown
  ref?(): unknown
  unref?(): unknown
}

/**
 * A stdin for ink: `source` (process.stdin) read through an InputFilter, with the
 * TTY controls (raw mode, ref/unref) passed through to `source`.
 */
export function guardedStdin (source: TtyInput): NodeJS.ReadStream {
  const filter = new InputFilter()
  let flushTimer: NodeJS.Immediate | null = null
  const out = new Readable({ read () {} }) as Readable & TtyInput
  out.isTTY = source.isTTY
  out.setRawMode = (mode: boolean) => { source.setRawMode?.(mode); return out }
  out.ref = () => { source.ref?.(); return out }
  out.unref = () => { source.unref?.(); return out }
  source.setEncoding('utf8')
  source.on('data', (chunk: string | Buffer) => {
    if (flushTimer !== null) clearImmediate(flushTimer)
    flushTimer = null
    const text = filter.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'))
    if (text !== '') out.push(text)
    if (filter.holding) flushTimer = setImmediate(() => { flushTimer = null; filter.flush() })
  })
  source.on('end', () => out.push(null))
  return out as unknown as NodeJS.ReadStream
}
