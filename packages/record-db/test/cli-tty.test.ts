// kappa-db on a terminal (tmux: send nothing, capture the pane): the one-line sync status
// shows the real index progress, also when everything was indexed before sync started.
// Skips (with a message) without tmux.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import createTestnet from 'hyperdht/testnet.js'
import { eventually, tmpDir } from '@kappa-ts/test-helpers'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))
const SOCKET = `kappa-db-test-${process.pid}`
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0

function tmux (...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

test('kappa-db sync --duration on a terminal: the status line counts what is indexed, never 0/0', { skip: !hasTmux }, async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  const dir = tmpDir(t, 'kappa-rdb-')
  const kdb = (...args: string[]): string => execFileSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' })
  try {
    kdb('init')
    fs.writeFileSync(path.join(dir, 'note.json'), JSON.stringify({ type: 'object', properties: { text: { type: 'string' } } }))
    kdb('schema', 'add', 'note.json')
    for (const id of ['n1', 'n2', 'n3']) kdb('put', 'note', `{"text":"${id}"}`, '--id', id)
    const total = (JSON.parse(kdb('--json', 'status')) as { index: { indexed: number; total: number } }).index
    t.ok(total.total > 0 && total.indexed === total.total, `everything is indexed before sync starts (${total.indexed}/${total.total})`)

    const boot = net.bootstrap.map((b) => `${b.host}:${b.port}`).join(',')
    const cmd = [process.execPath, BIN, '--bootstrap', boot, 'sync', '--duration', '2'].map(shellQuote).join(' ')
    tmux('new-session', '-d', '-s', 'sync', '-x', '160', '-y', '20', '-c', dir, `sh -c ${shellQuote(`${cmd}; echo EXIT=$?; sleep 60`)}`)
    const screen = (): string => tmux('capture-pane', '-p', '-t', 'sync')
    await eventually(() => screen().includes('EXIT='), 'sync --duration 2 to end', { timeoutMs: 45_000 })
    const text = screen()
    for (const row of text.split('\n')) if (row.trim() !== '') t.comment('|' + row.replace(/\s+$/, ''))
    t.ok(text.includes('EXIT=0'), 'exit code 0')
    t.ok(text.includes(`indexed ${total.indexed}/${total.total}`), `the status line says indexed ${total.indexed}/${total.total}`)
    t.notOk(text.includes('indexed 0/0'), 'never indexed 0/0')
    t.ok(text.includes('stops after 2 s (Ctrl-C to stop sooner)'), 'says when it stops')
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server'])
    await net.destroy()
  }
})

if (!hasTmux) {
  test('kappa-db on a terminal', (t) => {
    t.comment('tmux is not installed: the terminal test is SKIPPED (install it with `apt-get install -y tmux`)')
    t.end()
  })
}
