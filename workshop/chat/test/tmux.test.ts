// The real terminal UI, driven in tmux (send-keys, capture-pane), chatting with
// a --headless peer over the local DHT. Skips (with a message) without tmux.
import test from 'tape'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { BIN, Headless, freeUdpPort, poll, tmpDir } from './helpers.js'

const SOCKET = `kappa-chat-test-${process.pid}`
const SESSION = 'chat'
const WIDTH = 150
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0

function tmux (...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const screen = (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', SESSION)
const alive = () => spawnSync('tmux', ['-L', SOCKET, 'has-session', '-t', SESSION]).status === 0
/** The input line ("#channel> text"), or null while ink is mid-redraw. */
const inputRow = () => screen().split('\n').find((row) => /^#[\w-]+>( |$)/.test(row)) ?? null

/**
 * Types a line and presses Enter, each once the UI has shown the previous step:
 * keys sent in one burst reach ink as one chunk, which it does not split into keys
 * (a PageUp glued to text is not a PageUp).
 */
async function type (text: string, waitCleared = true): Promise<void> {
  tmux('send-keys', '-t', SESSION, '-l', text)
  await poll(() => inputRow()?.includes(text) === true, `"${text}" in the input line`)
  tmux('send-keys', '-t', SESSION, 'Enter')
  if (waitCleared) await poll(() => /^#[\w-]+>\s*$/.test(inputRow() ?? 'x'), `the input line to clear after "${text}"`)
}

const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`

test('terminal UI in tmux: shows the other peer\'s messages (escape codes stripped), sends, scrolls, quits', { skip: !hasTmux }, async (t) => {
  const root = tmpDir(t)
  const port = String(await freeUdpPort())
  const bob = new Headless('bob', ['--storage', path.join(root, 'bob'), '--local', '--local-port', port, '--nick', 'bob'])
  try {
    const ready = await bob.wait((m) => m.type === 'ready', 'bob ready')
    const key = ready.key as string
    // CI=true on purpose: ink would draw only a last frame in CI, and kappa-chat must not let it
    const cmd = ['env', 'KAPPA_BOOTSTRAP=', 'CI=true', process.execPath, BIN, key, '--storage', path.join(root, 'alice'), '--local', '--local-port', port, '--nick', 'alice']
    // wide enough for a chat key (128 hex) on one row
    tmux('new-session', '-d', '-s', SESSION, '-x', String(WIDTH), '-y', '24', cmd.map(shellQuote).join(' '))
    await poll(() => screen().includes('you: alice'), 'the UI to draw')
    t.pass('the UI drew its header')
    await bob.wait((m) => m.type === 'peers' && m.count >= 1, 'bob sees the UI peer')
    await poll(() => screen().includes('peers: 1'), 'the header to show one peer')
    t.pass('peer count shown')

    bob.send('hello from bob')
    bob.send('\x1b[31mRED\x1b[0m alert\x1b]0;pwned\x07 \x1b[2J')
    await poll(() => screen().includes('<bob> hello from bob') && screen().includes('RED alert'), 'bob\'s messages on screen')
    t.pass('the other peer\'s messages are shown with timestamp and nick')
    t.match(screen(), /\[\d\d:\d\d:\d\d\] <bob> hello from bob/, 'as [HH:MM:SS] <nick> text')
    t.notOk(screen(true).includes('\x1b[31m'), 'no red: the peer\'s colour codes never reach the terminal')
    t.notOk(tmux('display-message', '-p', '-t', SESSION, '#{pane_title}').includes('pwned'), 'the peer could not set the window title')
    t.ok(screen().includes('you: alice'), 'the screen was not cleared by the peer')

    await type('hi from the terminal')
    const got = await bob.wait((m) => m.type === 'message' && m.text === 'hi from the terminal', 'bob gets the typed message')
    t.equal(got.nick, 'alice', 'typed in the UI, received by bob as alice')

    await type('/topic drawn in tmux')
    await bob.wait((m) => m.type === 'topic' && m.topic === 'drawn in tmux', 'bob gets the topic')
    await poll(() => screen().includes('#general — drawn in tmux'), 'the topic in the header')
    t.pass('/topic from the UI reaches bob and shows in the header')

    for (let i = 1; i <= 30; i++) bob.send(`line ${String(i).padStart(2, '0')}`)
    // lines may be indexed out of order: wait for the settled bottom of the pane, every one of
    // lines 13-30 (a screen drawn mid-arrival can hold 13 and 30 with gaps between them)
    const bottom = Array.from({ length: 18 }, (_, k) => `line ${String(13 + k).padStart(2, '0')}`)
    await poll(() => { const s = screen(); return bottom.every((l) => s.includes(l)) && !s.includes('line 12') }, 'the newest lines at the bottom')
    const dumpUnless = (ok: boolean): boolean => {
      if (!ok) { t.comment('--- screen ---'); for (const row of screen().split('\n')) t.comment('|' + row) }
      return ok
    }
    t.ok(dumpUnless(!screen().includes('line 05')), 'older lines are above the pane')
    tmux('send-keys', '-t', SESSION, 'PPage')
    await poll(() => screen().includes('line 05'), 'PageUp to show older lines')
    t.ok(dumpUnless(screen().includes('scrolled') && !screen().includes('line 30')), 'PageUp scrolls through history')
    tmux('send-keys', '-t', SESSION, 'NPage')
    await poll(() => screen().includes('line 30'), 'PageDown back to the bottom')
    t.pass('PageDown returns to the newest')

    // The channel list keeps its width whatever the pane shows: its top-right corner stays put.
    const sidebarEdge = (): number => (screen().split('\n').find((row) => row.startsWith('┌')) ?? '').indexOf('┐')
    const edge = sidebarEdge()
    t.equal(edge, 19, 'the channel list is 20 columns wide')

    // A 600-character message wraps onto several rows and can be read to its last word.
    const long = Array.from({ length: 80 }, (_, i) => `word${String(i).padStart(2, '0')}`).join(' ') + ' ' + 'y'.repeat(80) + ' THE-END'
    t.ok(long.length >= 600, `a ${long.length}-character message`)
    bob.send(long)
    await poll(() => screen().includes('THE-END'), 'the end of the long message on screen')
    const rows = screen().split('\n')
    t.ok(rows.some((r) => r.includes('<bob> word00')) && rows.some((r) => r.includes('word79')), 'its first and last words are both visible')
    t.notOk(rows.some((r) => /word\d\d…/.test(r)), 'nothing cut with …')
    t.ok(rows.every((r) => r.length <= WIDTH), 'no row is wider than the terminal')
    t.equal(sidebarEdge(), edge, 'the channel list did not narrow')

    await type('/key')
    const flat = (): string => screen().replace(/\s*\n\s*/g, ' ')
    await poll(() => flat().includes(`--local-port ${port}`), 'the /key reply')
    t.ok(screen().split('\n').some((r) => r.includes(key)), '/key: the whole key on one row, not cut')
    t.ok(flat().includes(`npx kappa-chat ${key} --local --local-port ${port}`), '/key: the command that joins, in full')

    await type('/peers')
    await poll(() => screen().includes('1 peer: bob'), '/peers to name bob')
    t.pass('/peers shows the nick of the peer\'s feed')

    await type('/topic')
    await poll(() => screen().includes('topic of #general: drawn in tmux'), '/topic to show the topic')
    t.ok(screen().includes('#general — drawn in tmux'), '/topic with no text shows the topic and leaves it set')

    await type('/help')
    await poll(() => screen().includes('/history'), '/help')
    t.pass('/help lists /history')

    // (rows are prefixed with '|': tape trims a leading '#' or space from comments)
    t.comment('--- capture of the UI ---')
    for (const row of screen().split('\n')) t.comment('|' + row.replace(/\s+$/, ''))

    await type('/join #random')
    await poll(() => screen().includes('no messages in #random yet'), 'an empty #random')
    t.ok(screen().includes('▸#random') && screen().includes(' #general'), 'channel list with the current one marked')

    await type('/quit', false)
    await poll(() => !alive(), 'the UI to exit')
    t.pass('/quit exits')
    await bob.ask('/quit', 'bye')
  } catch (err) {
    if (alive()) { t.comment('--- screen at the failure ---'); for (const row of screen().split('\n')) t.comment('|' + row) }
    throw err
  } finally {
    bob.kill()
    spawnSync('tmux', ['-L', SOCKET, 'kill-server'])
  }
})

test('terminal UI in tmux: escape sequences typed or pasted into the input do not crash it; two authors with one nick are told apart', { skip: !hasTmux }, async (t) => {
  const root = tmpDir(t)
  const port = String(await freeUdpPort())
  const bob = new Headless('bob', ['--storage', path.join(root, 'bob'), '--local', '--local-port', port, '--nick', 'bob'])
  let mallory: Headless | null = null
  try {
    const ready = await bob.wait((m) => m.type === 'ready', 'bob ready')
    const key = ready.key as string
    const bobKey = ready.me as string
    // Mallory takes bob's nick exactly, with an invisible character for good measure.
    mallory = new Headless('mallory', [key, '--storage', path.join(root, 'mallory'), '--local', '--local-port', port, '--nick', 'b\u200bob'])
    const mReady = await mallory.wait((m) => m.type === 'ready', 'mallory ready')
    const malloryKey = mReady.me as string
    const cmd = ['env', 'KAPPA_BOOTSTRAP=', 'CI=true', process.execPath, BIN, key, '--storage', path.join(root, 'alice'), '--local', '--local-port', port, '--nick', 'alice']
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '24', cmd.map(shellQuote).join(' '))
    await poll(() => screen().includes('you: alice'), 'the UI to draw')

    // Typed (or pasted) escape sequences: colour, title, bracketed paste, cursor report.
    tmux('send-keys', '-t', SESSION, '-l', 'pasted \x1b[31mred\x1b[0m \x1b]0;title\x07\x1b[200~text\x1b[201~ \x1b[6n end')
    await poll(() => inputRow()?.includes('end') === true, 'the typed text in the input line')
    t.ok(alive(), 'the UI is still running after escape sequences in its input')
    t.match(inputRow() ?? '', /^#general> pasted red text {2}end/, 'what was text stays, the sequences are gone')
    tmux('send-keys', '-t', SESSION, 'Enter')
    const got = await bob.wait((m) => m.type === 'message' && m.text.startsWith('pasted'), 'bob gets the pasted line')
    t.equal(got.text, 'pasted red text  end', 'and bob receives it without them')

    bob.send('i am the real bob')
    mallory.send('i am bob too')
    await poll(() => screen().includes('i am the real bob') && screen().includes('i am bob too'), 'both lines on screen')
    const rows = screen().split('\n')
    const realRow = rows.find((r) => r.includes('i am the real bob')) ?? ''
    const fakeRow = rows.find((r) => r.includes('i am bob too')) ?? ''
    t.ok(realRow.includes(`<bob~${bobKey.slice(0, 8)}>`), `the real bob is shown with his key: ${realRow.trim()}`)
    t.ok(fakeRow.includes(`<bob~${malloryKey.slice(0, 8)}>`), `the other "bob" with hers: ${fakeRow.trim()}`)

    await type('/quit', false)
    await poll(() => !alive(), 'the UI to exit')
    t.pass('/quit exits')
  } catch (err) {
    if (alive()) { t.comment('--- screen at the failure ---'); for (const row of screen().split('\n')) t.comment('|' + row) }
    throw err
  } finally {
    bob.kill()
    mallory?.kill()
    spawnSync('tmux', ['-L', SOCKET, 'kill-server'])
  }
})

if (!hasTmux) {
  test('terminal UI in tmux', (t) => {
    t.comment('tmux is not installed: the terminal UI test is SKIPPED (install it with `apt-get install -y tmux`)')
    t.end()
  })
}
