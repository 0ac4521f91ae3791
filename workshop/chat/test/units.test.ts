// The chat's plain modules: sanitizing, commands, the message store, the row layout.
// (Records, their validation and the fork rule are record-db's: its app-schemas and
// ordered-query tests; the chat's use of them is in chat.test.ts.)
import test from 'tape'
import {
  sanitize, parseCommand, HELP, MessageStore, messageRows, wrapText, isChannel, type ChatLine
} from '../src/index.js'

const FEED = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)

test('sanitize removes escape sequences and control characters', (t) => {
  t.equal(sanitize('\x1b[31mred\x1b[0m'), 'red', 'CSI colour codes')
  t.equal(sanitize('a\x1b]0;evil title\x07b'), 'ab', 'OSC title change')
  t.equal(sanitize('x\x1b[2J\x1b[Hy'), 'xy', 'clear screen, cursor home')
  t.equal(sanitize('one\ntwo\rthree\tfour\x07'), 'one two three four ', 'newlines, CR, tab, BEL become spaces')
  t.equal(sanitize('8-bit \u009b31m CSI'), '8-bit  CSI', '8-bit CSI sequence removed')
  t.equal(sanitize('c1 \u0085 \u009f end'), 'c1     end', 'other C1 controls become spaces')
  t.equal(sanitize('bidi \u202eevil'), 'bidi  evil', 'bidi override removed')
  t.equal(sanitize('héllo 👋 ok'), 'héllo 👋 ok', 'ordinary unicode kept')
  t.equal(sanitize('x'.repeat(10), 4), 'xxxx…', 'truncated')
  t.end()
})

test('commands', (t) => {
  t.deepEqual(parseCommand('hello'), { kind: 'say', text: 'hello' })
  t.deepEqual(parseCommand('//not a command'), { kind: 'say', text: '/not a command' })
  t.deepEqual(parseCommand('/join #random'), { kind: 'join', channel: '#random' })
  t.deepEqual(parseCommand('/join random'), { kind: 'join', channel: '#random' }, '# is optional')
  t.equal(parseCommand('/join #no spaces').kind, 'invalid')
  t.ok(isChannel('#a_b-9') && !isChannel('#') && !isChannel('#' + 'x'.repeat(65)) && !isChannel('general'), 'channel names: the message schema\'s pattern')
  t.deepEqual(parseCommand('/nick  alice '), { kind: 'nick', nick: 'alice' })
  t.equal(parseCommand('/nick').kind, 'invalid')
  t.deepEqual(parseCommand('/topic cats and dogs'), { kind: 'topic', topic: 'cats and dogs' })
  t.deepEqual(parseCommand('/topic'), { kind: 'show-topic' }, '/topic with no text shows the topic (it does not clear it)')
  t.deepEqual(parseCommand('/topic   '), { kind: 'show-topic' })
  for (const cmd of ['/join', '/nick', '/topic', '/channels', '/peers', '/key', '/history', '/help', '/quit']) t.ok(HELP.includes(cmd), `/help lists ${cmd}`)
  for (const k of ['channels', 'peers', 'key', 'quit', 'help'] as const) t.equal(parseCommand(`/${k}`).kind, k)
  t.equal(parseCommand('/frobnicate').kind, 'invalid')
  t.equal(parseCommand('   ').kind, 'none')
  t.end()
})

const line = (id: string, timestamp: number, author = FEED, channel = '#general'): ChatLine =>
  ({ id, channel, author, nick: author.slice(0, 8), text: id, timestamp })

test('message store: sorted by time, deduplicated, late arrivals go to their place', (t) => {
  const store = new MessageStore()
  t.ok(store.add(line('b', 20)))
  t.ok(store.add(line('c', 30)))
  t.notOk(store.add(line('b', 20)), 'a duplicate is dropped')
  t.ok(store.add(line('a', 10)), 'an old message synced late')
  t.ok(store.add(line('x', 20, OTHER)), 'same timestamp, another author')
  t.ok(store.add(line('r', 1, FEED, '#random')))
  t.deepEqual(store.lines('#general').map((l) => l.id), ['a', 'b', 'x', 'c'])
  t.deepEqual(store.channels(), ['#general', '#random'])
  store.renick(OTHER, 'bob')
  t.equal(store.lines('#general')[2]!.nick, 'bob', 'renick updates shown lines')
  const small = new MessageStore(2)
  for (const [i, id] of ['1', '2', '3'].entries()) small.add(line(id, i))
  t.deepEqual(small.lines('#general').map((l) => l.id), ['2', '3'], 'keeps the newest maxPerChannel')
  t.end()
})

test('layout: a long message wraps onto rows no wider than the pane, every word kept', (t) => {
  const words = Array.from({ length: 100 }, (_, i) => `word${String(i).padStart(3, '0')}`)
  const text = words.join(' ') + ' ' + 'x'.repeat(150) // 600-odd characters, one word longer than any row
  const line: ChatLine = { id: 'f@1', channel: '#general', author: FEED, nick: 'bob', text, timestamp: Date.UTC(2024, 0, 1, 12, 0, 0) }
  for (const width of [20, 57, 76, 120]) {
    const rows = messageRows(line, width)
    t.ok(rows.every((r) => (r.head + r.text).length <= width), `width ${width}: ${rows.length} rows, none wider`)
    t.ok(rows[0]!.head.includes('<bob>'), 'the first row starts with the time and nick')
    t.equal(rows.slice(1).every((r) => r.head === ''), true, 'the others are text only')
    const joined = rows.map((r) => r.head + r.text).join(' ').replace(/\s+/g, ' ')
    for (const w of words) if (!joined.includes(w)) t.fail(`width ${width}: lost ${w}`)
    t.equal(rows.map((r) => r.text).join('').split('x').length - 1 >= 150, true, 'the long word is broken across rows, not cut')
    t.equal(new Set(rows.map((r) => r.key)).size, rows.length, 'row keys are unique')
  }
  t.deepEqual(messageRows({ ...line, text: 'short' }, 80).length, 1, 'a short message is one row')
  t.deepEqual(wrapText('', 10), [''], 'an empty status is one empty row')
  t.deepEqual(wrapText('chat key ' + 'a'.repeat(64) + ' · join', 70), ['chat key', 'a'.repeat(64) + ' ·', 'join'], 'a key is never broken when it fits a row')
  t.end()
})
