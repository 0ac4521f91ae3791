// What a peer or a paste can put in front of the chat's UI: invisible characters
// in lines and nicks, a nick another author already uses, escape sequences typed
// into the input line. (The real UI is driven in tmux by tmux.test.ts.)
import test from 'tape'
import { sanitize } from '../src/sanitize.js'
import { nickLabels } from '../src/nick-labels.js'
import { InputFilter } from '../src/input-guard.js'

test('sanitize removes zero-width, bidi-mark and other invisible characters, but keeps emoji whole', (t) => {
  const cases: Array<[string, string, string]> = [
    ['ad\u200bmin', 'admin', 'zero-width space'],
    ['ad\u200c\u200dmin', 'admin', 'zero-width non-joiner and joiner between letters'],
    ['\u200ealice\u200f', 'alice', 'LRM and RLM'],
    ['\u061calice', 'alice', 'Arabic letter mark'],
    ['al\u2060ice\ufeff', 'alice', 'word joiner and BOM'],
    ['\u3164', '', 'a Hangul filler (a nick that looks empty)'],
    ['so\u00adft', 'soft', 'soft hyphen'],
    ['a\u2028b\u2029c', 'a b c', 'line and paragraph separators become spaces'],
    ['bidi \u2067evil\u2069', 'bidi  evil ', 'bidi isolates become spaces, as overrides do'],
    ['tag\u{e0041}s', 'tags', 'tag characters'],
    ['family 👨\u200d👩\u200d👧 ok', 'family 👨\u200d👩\u200d👧 ok', 'an emoji ZWJ sequence is kept'],
    ['heart ❤\ufe0f', 'heart ❤\ufe0f', 'a variation selector after a pictograph is kept'],
    ['a\ufe0fb', 'ab', 'a variation selector elsewhere is not']
  ]
  for (const [input, want, what] of cases) t.equal(sanitize(input), want, what)
  t.end()
})

test('nick labels: authors sharing a nick (or one that looks the same) get a key suffix, others do not', (t) => {
  const bob = '3f2a9c1d'.padEnd(64, '0')
  const mallory = '77aa77aa'.padEnd(64, '1')
  const carol = 'c0c0c0c0'.padEnd(64, '2')
  const label = nickLabels([
    { author: bob, nick: 'bob' },
    { author: mallory, nick: 'Bob' },
    { author: carol, nick: 'carol' }
  ])
  t.equal(label(bob, 'bob'), 'bob~3f2a9c1d', 'bob gets his suffix')
  t.equal(label(mallory, 'Bob'), 'Bob~77aa77aa', 'the lookalike gets hers')
  t.equal(label(carol, 'carol'), 'carol', 'a nick nobody else uses stays bare')
  const forged = nickLabels([{ author: bob, nick: 'bob' }, { author: mallory, nick: 'bob~3f2a9c1d' }])
  t.equal(forged(mallory, 'bob~3f2a9c1d'), 'bob-3f2a9c1d', '~ in a nick is shown as -: a suffix cannot be forged')
  const compat = nickLabels([{ author: bob, nick: 'bob' }, { author: mallory, nick: 'ｂｏｂ' }])
  t.equal(compat(mallory, 'ｂｏｂ'), 'ｂｏｂ~77aa77aa', 'full-width letters look the same: suffixed')
  t.end()
})

test('input filter: printable text and the UI\'s keys pass, every other escape sequence is dropped', (t) => {
  const run = (...chunks: string[]): string => {
    const f = new InputFilter()
    let out = ''
    for (const c of chunks) out += f.push(c)
    f.flush()
    return out
  }
  t.equal(run('hello\x1b[31mred\x1b[0m'), 'hellored', 'SGR colour codes (on which ink\'s handler throws)')
  t.equal(run('a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c'), 'abc', 'OSC title and hyperlink, ended by BEL or ST')
  t.equal(run('\x1b[200~pasted\x1b[201~'), 'pasted', 'bracketed-paste markers')
  t.equal(run('x\x1bPq#0;2;0;0;0\x1b\\y'), 'xy', 'DCS (sixel)')
  t.equal(run('8-bit \u009b31mcsi\u009d0;t\u0007 end'), '8-bit csi end', '8-bit CSI and OSC')
  t.equal(run('\x1b[A\x1b[B\x1b[5~\x1b[6~\x1bOA'), '\x1b[A\x1b[B\x1b[5~\x1b[6~\x1bOA', 'arrows and PageUp/PageDown pass')
  t.equal(run('\r\x7f\x03\x15line\n'), '\r\x7f\x03\x15line\n', 'Enter, Backspace, Ctrl-C, Ctrl-U and newlines pass')
  t.equal(run('ab\x1b[3', '1mcd'), 'abcd', 'a sequence cut between two reads is still dropped whole')
  t.equal(run('ab\x1b', '[5~'), 'ab\x1b[5~', 'a key cut between two reads still arrives')
  t.equal(run('\x1bx\x1b'), '', 'Alt+key and a lone Escape (the UI uses neither)')
  t.equal(run('\x1b[' + '1;'.repeat(3000)), '', 'an endless sequence is dropped, not held for ever')
  t.end()
})
