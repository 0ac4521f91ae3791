// `kappa-db serve` as a process: the printed URL and token, the token file, KAPPA_DB_TOKEN,
// the refusal to listen beyond loopback without a chosen token, SIGTERM, and joining the
// swarm like `sync` (a loopback DHT testnet) so a peer's record arrives as an event.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import createTestnet from 'hyperdht/testnet.js'
import { RecordDB } from '../src/index.js'
import { eventually, tmpDir } from '@kappa-ts/test-helpers'
import { call, events } from './serve-helpers.js'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

function cli (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 60_000, env: { ...process.env, KAPPA_DB_TOKEN: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : 1), stdout, stderr })
    })
  })
}

interface Started { child: ChildProcess; info: { url: string; api: string; token: string; tokenSource: string; key: string; writer: string; online: boolean }; base: { url: string } }

/** Starts `kappa-db --json serve ...` and resolves with the JSON line it prints once serving. */
async function startServe (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [BIN, '--json', 'serve', ...args], { cwd, env: { ...process.env, KAPPA_DB_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed nothing in 60 s; stderr: ${err}`)), 60_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) { clearTimeout(timer); resolve(out.slice(0, nl)) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${err}`)) })
  })
  const info = JSON.parse(line) as Started['info']
  return { child, info, base: { url: info.url.replace(/#.*$/, '') } }
}

async function stop (s: Started): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode
  s.child.kill('SIGTERM')
  const [code] = await once(s.child, 'exit') as [number | null]
  return code
}

const note = JSON.stringify({ type: 'object', required: ['text'], properties: { text: { type: 'string', search: true } } })

test('kappa-db serve: URL and token, token file, KAPPA_DB_TOKEN, loopback rule, SIGTERM', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const none = await cli(dir, ['serve', '--offline', '--port', '0'])
  t.equal(none.code, 1, 'no database: exit 1')
  t.match(none.stderr, /no database in .*kappa-db init.*ERR_NOT_FOUND/, '  and says to run init')

  t.equal((await cli(dir, ['init'])).code, 0)
  fs.writeFileSync(path.join(dir, 'note.json'), note)
  t.equal((await cli(dir, ['schema', 'add', 'note.json'])).code, 0)

  const open = await cli(dir, ['serve', '--offline', '--port', '0', '--host', '0.0.0.0'])
  t.equal(open.code, 1, 'a non-loopback host without KAPPA_DB_TOKEN: exit 1')
  t.match(open.stderr, /0\.0\.0\.0.*not a loopback address.*set KAPPA_DB_TOKEN.*ERR_TOKEN_REQUIRED/s, '  saying clearly what to set')
  t.notOk(fs.existsSync(path.join(dir, '.kappa-db', 'serve-token')), '  and no token was generated for it')
  const short = await cli(dir, ['serve', '--offline', '--port', '0'], { KAPPA_DB_TOKEN: 'short' })
  t.equal(short.code, 1, 'a short KAPPA_DB_TOKEN: exit 1')
  t.match(short.stderr, /ERR_BAD_TOKEN/)
  t.equal((await cli(dir, ['serve', '--port', '70000'])).code, 1, 'a port out of range: exit 1')

  const first = await startServe(dir, ['--offline', '--port', '0'])
  const tokenFile = path.join(dir, '.kappa-db', 'serve-token')
  t.equal(first.info.tokenSource, 'file', 'a generated token')
  t.equal(fs.readFileSync(tokenFile, 'utf8').trim(), first.info.token, 'stored in the database folder')
  t.equal(fs.statSync(tokenFile).mode & 0o777, 0o600, '  readable by this user only')
  t.match(first.info.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=/, 'the printed URL is on loopback and carries the token')
  t.equal(decodeURIComponent(first.info.url.split('#token=')[1] as string), first.info.token)
  t.equal(first.info.online, false, '--offline: not in the swarm')
  const st = await call(first.base, 'GET', 'api/status', { token: first.info.token })
  t.equal(st.status, 200, 'the API answers with the printed token')
  t.equal(st.body.key, first.info.key)
  t.equal((await call(first.base, 'GET', 'api/status', { token: null })).status, 401, 'and refuses a request without it')
  t.equal(await stop(first), 0, 'SIGTERM: exit 0')

  const again = await startServe(dir, ['--offline', '--port', '0'])
  t.equal(again.info.token, first.info.token, 'a restart keeps the token (same URL)')
  await stop(again)

  const chosen = 'chosen-token-for-this-test-1234'
  const env = await startServe(dir, ['--offline', '--port', '0'], { KAPPA_DB_TOKEN: chosen })
  t.equal(env.info.tokenSource, 'env', 'KAPPA_DB_TOKEN is used when set')
  t.equal((await call(env.base, 'GET', 'api/status', { token: chosen })).status, 200, 'it opens the API')
  t.equal((await call(env.base, 'GET', 'api/status', { token: first.info.token })).status, 401, 'the stored token does not')
  await stop(env)

  // Human output: the URL alone on stdout, the rest on stderr.
  const human = spawn(process.execPath, [BIN, 'serve', '--offline', '--port', '0'], { cwd: dir, env: { ...process.env, KAPPA_DB_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  human.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  human.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  await eventually(() => stderr.includes('Ctrl-C to stop'), 'the human banner')
  t.match(stdout, /^http:\/\/127\.0\.0\.1:\d+\/#token=\S+\n$/, 'stdout: the URL to open, alone')
  t.match(stderr, /web UI: http.*\n.*API: .*Bearer.*openapi\.json[\s\S]*token: +read from .*serve-token/, 'stderr: the UI and API addresses, where the token is')
  human.kill('SIGINT')
  const [code] = await once(human, 'exit') as [number | null]
  t.equal(code, 0, 'SIGINT: exit 0')
})

test('kappa-db serve joins the swarm: a record a peer writes arrives as an event', async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  const boot = net.bootstrap.map((b) => `${b.host}:${b.port}`).join(',')
  const dir = tmpDir(t, 'kappa-rdb-')
  let server: Started | null = null
  let peer: RecordDB | null = null
  try {
    t.equal((await cli(dir, ['init', '--mode', 'open'])).code, 0)
    fs.writeFileSync(path.join(dir, 'note.json'), note)
    t.equal((await cli(dir, ['schema', 'add', 'note.json'])).code, 0)
    server = await startServe(dir, ['--port', '0', '--bootstrap', boot])
    t.equal(server.info.online, true, 'joined the swarm')
    const token = server.info.token
    const base = server.base
    const stream = await events(base, '', token)

    peer = new RecordDB(path.join(dir, 'peer'), { key: server.info.key })
    await peer.ready()
    await peer.join({ bootstrap: boot.split(',') })
    const p = peer
    // The peer writes once it has the schema, which it gets from the server's peer.
    await eventually(async () => (await p.getSchema('note')) !== null, 'the peer to sync the schema', { timeoutMs: 60_000 })
    const id = await peer.put('note', { text: 'hello from a peer over the swarm' })
    const ev = await stream.next((e) => e.event === 'change' && e.data.id === id, "the peer's record", 60_000)
    t.equal(ev.data.feed, peer.writerKey, "the event names the peer's feed")
    const got = await call(base, 'GET', `api/records/note/${id}`, { token })
    t.equal(got.status, 200, 'and the server serves the record')
    const st = await call(base, 'GET', 'api/status', { token })
    t.ok(st.body.peers.length >= 1, 'status lists the peer')
    stream.close()
  } finally {
    if (server !== null) t.equal(await stop(server), 0, 'serve stops on SIGTERM while peers are connected')
    await peer?.close()
    await net.destroy()
  }
})

test('SERVE.md: the library example runs and prints what it says', async (t) => {
  const doc = fs.readFileSync(fileURLToPath(new URL('../../SERVE.md', import.meta.url)), 'utf8')
  const from = doc.indexOf('## As a library')
  const code = /```js\n([\s\S]*?)```/.exec(doc.slice(from))
  t.ok(from >= 0 && code !== null, 'SERVE.md has the example')
  // Inside the package (so @kappa-ts/record-db resolves as for a user), run in a temp folder.
  const file = fileURLToPath(new URL('./serve-example.tmp.mjs', import.meta.url))
  fs.writeFileSync(file, (code as RegExpExecArray)[1] as string)
  const cwd = tmpDir(t, 'kappa-rdb-')
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [file], { cwd, timeout: 60_000, env: { ...process.env, KAPPA_DB_TOKEN: '' } }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`${err.message}\n${stderr}`))
        else resolve(stdout)
      })
    })
    const lines = out.trim().split('\n')
    t.match(lines[0] ?? '', /^open http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/, 'prints the URL with the generated token')
    t.equal(lines[1], "201 { title: 'Kindred' }", 'then the created record')
  } finally {
    fs.rmSync(file, { force: true })
  }
})
