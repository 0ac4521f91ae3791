// The chat's plain modules: sanitizing, records and their validation, commands,
// the message store, and the deterministic choice among kv heads.
import test from 'tape'
import fc from 'fast-check'
import {
  sanitize, messageRecord, nickRecord, topicRecord, parseMessage, parseNick, parseTopic, tooBig,
  parseCommand, HELP, MessageStore, messageRows, wrapText, resolveHeads, clamp, messageSortKey, decodeSortKey, channelRange, ChatError,
  type MetaHead, type ChatLine
} from '../src/index.js'
import { compareAddress } from '@kappa-ts/kappa-core'

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

test('records: valid ones are envelopes of the chat schemas; invalid ones throw typed errors', (t) => {
  const m = messageRecord('#general', 'hello', 1000)
  t.deepEqual({ schema: m.schema, op: m.op, timestamp: m.timestamp, links: m.links, value: m.value },
    { schema: 'chat/message', op: 'put', timestamp: 1000, links: [], value: { channel: '#general', text: 'hello', timestamp: 1000 } })
  t.ok(parseMessage(m), 'a record we write parses back')
  const throwsCode = (fn: () => unknown, code: string, msg: string) => {
    try { fn(); t.fail(msg) } catch (err) { t.ok(err instanceof ChatError && err.code === code, `${msg}: ${(err as Error).message}`) }
  }
  throwsCode(() => messageRecord('general', 'x'), 'ERR_INVALID_CHANNEL', 'channel without #')
  throwsCode(() => messageRecord('#general', ''), 'ERR_INVALID_MESSAGE', 'empty text')
  throwsCode(() => messageRecord('#general', 'x'.repeat(4097)), 'ERR_INVALID_MESSAGE', 'text over 4096')
  throwsCode(() => nickRecord(FEED, 'bad\x1bnick', []), 'ERR_INVALID_MESSAGE', 'nick with ESC')
  throwsCode(() => nickRecord(FEED, 'x'.repeat(33), []), 'ERR_INVALID_MESSAGE', 'nick over 32')
  throwsCode(() => topicRecord('#a', 'x'.repeat(257), []), 'ERR_INVALID_MESSAGE', 'topic over 256')
  t.ok(parseNick(nickRecord(FEED, 'alice', [`${OTHER}@3.0`]), FEED), 'a nick with links parses')
  t.ok(parseTopic(topicRecord('#a', 'cats', [])), 'a topic parses')
  t.end()
})

test('records from peers: anything malformed, oversized or misattributed parses to null', (t) => {
  const good = messageRecord('#general', 'hi', 5)
  const bad: Array<[string, unknown]> = [
    ['null', null], ['a string', 'hello'], ['a number', 42], ['an array', [good]],
    ['no envelope', { channel: '#general', text: 'hi', timestamp: 1 }],
    ['wrong schema', { ...good, schema: 'chat/nick' }],
    ['a tombstone', { ...good, op: 'del' }],
    ['extra property', { ...good, value: { ...good.value, extra: 1 } }],
    ['bad channel', { ...good, value: { ...good.value!, channel: '#a b' } }],
    ['1 MB text', { ...good, value: { ...good.value!, text: 'x'.repeat(1024 * 1024) } }],
    ['huge extra field', { ...good, junk: 'y'.repeat(100_000) }],
    ['bad link', { ...good, links: ['nope'] }],
    ['negative timestamp', { ...good, timestamp: -1 }]
  ]
  for (const [what, value] of bad) t.equal(parseMessage(value), null, what)
  t.equal(parseNick(nickRecord(FEED, 'mallory', []), OTHER), null, 'a nick record naming another author is ignored')
  t.equal(parseTopic({ ...topicRecord('#a', 'x', []), id: '#b' }), null, 'a topic whose id is not its channel is ignored')
  t.ok(tooBig({ a: 'x'.repeat(20_000) }), 'tooBig sees a long string')
  t.ok(tooBig(Array.from({ length: 10_000 }, () => 1)), 'tooBig sees a long array')
  t.notOk(tooBig(good), 'an ordinary record is not too big')
  t.end()
})

test('commands', (t) => {
  t.deepEqual(parseCommand('hello'), { kind: 'say', text: 'hello' })
  t.deepEqual(parseCommand('//not a command'), { kind: 'say', text: '/not a command' })
  t.deepEqual(parseCommand('/join #random'), { kind: 'join', channel: '#random' })
  t.deepEqual(parseCommand('/join random'), { kind: 'join', channel: '#random' }, '# is optional')
  t.equal(parseCommand('/join #no spaces').kind, 'invalid')
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

test('sort keys: one channel is one key range, in timestamp order', (t) => {
  const keys = [messageSortKey('#a', 5), messageSortKey('#a', 40), messageSortKey('#a-b', 1), messageSortKey('#ab', 1), messageSortKey('#a', 1_700_000_000_000)]
  const { gte, lt } = channelRange('#a')
  t.deepEqual(keys.filter((k) => k >= gte && k < lt).sort().map((k) => decodeSortKey(k)[1]), [5, 40, 1_700_000_000_000], 'only #a, numerically ordered')
  t.deepEqual(decodeSortKey(messageSortKey('#x_y', 123)), ['#x_y', 123])
  t.equal(clamp(5_000, () => 1_000), 1_000, 'future clamped to now')
  t.equal(clamp(500, () => 1_000), 500, 'past kept')
  t.end()
})

test('resolveHeads: the same choice whatever order the heads come in (fast-check, fixed seed)', (t) => {
  const head = fc.record({
    key: fc.constantFrom(FEED, OTHER, 'c'.repeat(64)),
    address: fc.record({ block: fc.nat(20), index: fc.nat(3) }),
    value: fc.record({ text: fc.string({ maxLength: 5 }), timestamp: fc.integer({ min: 0, max: 3 }) })
  }).map((h) => ({ ...h, id: `${h.key}@${h.address.block}.${h.address.index}` }) as MetaHead)
  const heads = fc.uniqueArray(head, { minLength: 1, maxLength: 6, selector: (h) => h.id })
  fc.assert(fc.property(heads, fc.nat(), (hs, rot) => {
    const shuffled = [...hs.slice(rot % hs.length), ...hs.slice(0, rot % hs.length)].reverse()
    const a = resolveHeads(hs)!
    const b = resolveHeads(shuffled)!
    if (a.id !== b.id) return false
    // it is the maximum by (timestamp, feed key, address)
    return hs.every((h) => h.value.timestamp < a.value.timestamp ||
      (h.value.timestamp === a.value.timestamp && (h.key < a.key || (h.key === a.key && compareAddress(h.address, a.address) <= 0))))
  }), { seed: 8, numRuns: 300 })
  t.equal(resolveHeads([]), null, 'no heads, no value')
  t.pass('300 runs: order never changes the choice, and it is the highest (timestamp, feed key, address)')
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
