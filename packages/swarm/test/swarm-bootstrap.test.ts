import test from 'tape'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import {
  parseBootstrap, resolveBootstrap, defaultBindHost, isLoopbackHost, SwarmError, KappaSwarm
} from '../src/index.js'
import type { SwarmMultifeed } from '@kappa-ts/kappa-core'
import { defer, LineProcess, nextEvent } from '@kappa-ts/test-helpers'

const code = (fn: () => unknown): string | null => {
  try { fn() } catch (err) { return err instanceof SwarmError ? err.code : `not a SwarmError: ${String(err)}` }
  return null
}

test('parseBootstrap reads host:port lists and rejects anything else with ERR_BAD_BOOTSTRAP', (t) => {
  t.deepEqual(parseBootstrap('127.0.0.1:49737'), [{ host: '127.0.0.1', port: 49737 }])
  t.deepEqual(parseBootstrap(' 10.0.0.2:1 , dht.example.org:65535,'), [
    { host: '10.0.0.2', port: 1 }, { host: 'dht.example.org', port: 65535 }
  ], 'spaces and a trailing comma are fine, names allowed')
  t.deepEqual(parseBootstrap(''), [], 'empty string: no nodes')
  for (const bad of ['127.0.0.1', ':80', 'host:', 'host:0', 'host:65536', 'host:12x', '[::1]:80', 'a b:80', 'h:80:90']) {
    t.equal(code(() => parseBootstrap(bad)), 'ERR_BAD_BOOTSTRAP', `rejects ${JSON.stringify(bad)}`)
  }
  t.end()
})

test('resolveBootstrap: option wins, else KAPPA_BOOTSTRAP, else null (public DHT)', (t) => {
  const env = { KAPPA_BOOTSTRAP: '127.0.0.1:5000,127.0.0.1:5001' }
  t.deepEqual(resolveBootstrap(['10.1.1.1:7', { host: '10.1.1.2', port: 8 }], env), [
    { host: '10.1.1.1', port: 7 }, { host: '10.1.1.2', port: 8 }
  ], 'option used, strings and objects mixed')
  t.deepEqual(resolveBootstrap(undefined, env), [{ host: '127.0.0.1', port: 5000 }, { host: '127.0.0.1', port: 5001 }], 'env used')
  t.equal(resolveBootstrap(undefined, {}), null, 'nothing given: null')
  t.equal(resolveBootstrap(undefined, { KAPPA_BOOTSTRAP: '  ' }), null, 'blank env: null')
  t.equal(code(() => resolveBootstrap([], {})), 'ERR_BAD_BOOTSTRAP', 'empty list rejected')
  t.equal(code(() => resolveBootstrap([{ host: 'x', port: 0 }], {})), 'ERR_BAD_BOOTSTRAP', 'bad object rejected')
  t.equal(code(() => resolveBootstrap(undefined, { KAPPA_BOOTSTRAP: 'nope' })), 'ERR_BAD_BOOTSTRAP', 'bad env rejected')
  t.end()
})

test('our DHT binds 127.0.0.1 exactly when every bootstrap node is on loopback, unless host is given', (t) => {
  t.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('127.9.8.7') && isLoopbackHost('localhost') && isLoopbackHost('::1'))
  t.notOk(isLoopbackHost('10.0.0.1') || isLoopbackHost('128.0.0.1') || isLoopbackHost('0.0.0.0'))
  t.equal(defaultBindHost([{ host: '127.0.0.1', port: 1 }, { host: 'localhost', port: 2 }]), '127.0.0.1')
  t.equal(defaultBindHost([{ host: '127.0.0.1', port: 1 }, { host: '192.168.1.4', port: 2 }]), undefined, 'one LAN node: all interfaces')
  t.equal(defaultBindHost(null), undefined, 'public DHT: all interfaces')
  t.equal(defaultBindHost([{ host: '192.168.1.4', port: 2 }], '0.0.0.0'), '0.0.0.0', 'explicit host wins')
  t.end()
})

test('KappaSwarm validates its options up front, and reads KAPPA_BOOTSTRAP', (t) => {
  const fake = { replicate: () => null } as unknown as SwarmMultifeed
  t.equal(code(() => new KappaSwarm(fake, { maxPeers: 0 })), 'ERR_BAD_OPTION', 'maxPeers 0')
  t.equal(code(() => new KappaSwarm(fake, { bootstrap: ['nope'] })), 'ERR_BAD_BOOTSTRAP', 'bad bootstrap')
  t.equal(code(() => new KappaSwarm(null as unknown as SwarmMultifeed)), 'ERR_BAD_OPTION', 'no multifeed')
  const saved = process.env.KAPPA_BOOTSTRAP
  process.env.KAPPA_BOOTSTRAP = '127.0.0.1:4000'
  try {
    const s = new KappaSwarm(fake)
    t.deepEqual(s.bootstrap, [{ host: '127.0.0.1', port: 4000 }], 'bootstrap from env')
    t.equal(s.host, '127.0.0.1', 'loopback bootstrap => bind loopback')
    t.equal(new KappaSwarm(fake, { bootstrap: ['10.0.0.9:4000'] }).host, undefined, 'option overrides env')
  } finally {
    if (saved === undefined) delete process.env.KAPPA_BOOTSTRAP
    else process.env.KAPPA_BOOTSTRAP = saved
  }
  t.end()
})

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin', 'kappa-dht.js')

test('kappa-dht prints host:port, rejects bad arguments, and exits 0 on SIGTERM', async (t) => {
  const dht = new LineProcess('kappa-dht', spawn(process.execPath, [BIN, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }))
  defer(t, async () => { dht.kill(); await dht.exited })
  const line = String((await dht.wait((m) => m.type === 'line', 'kappa-dht to print its address')).text)
  t.match(line, /^127\.0\.0\.1:\d+$/, `prints a loopback address (${line})`)
  t.deepEqual(parseBootstrap(line).length, 1, 'the line parses as a bootstrap list')
  dht.kill('SIGTERM')
  t.deepEqual(await dht.exited, { code: 0, signal: null }, 'clean exit on SIGTERM')
  const bad = spawn(process.execPath, [BIN, '--port', 'many'], { stdio: 'ignore' })
  const [code] = await nextEvent<[number | null]>(bad, 'exit', () => true, 'kappa-dht --port many to exit')
  t.equal(code, 2, 'bad --port: exit code 2')
})
