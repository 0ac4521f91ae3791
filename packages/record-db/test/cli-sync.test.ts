// kappa-db sync: two storages find each other through a local DHT (loopback testnet)
// and exchange records; authorize from the CLI.
import test from 'tape'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import createTestnet from 'hyperdht/testnet.js'
import { tmpDir } from '@kappa-ts/test-helpers'

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

function cli (cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : 1, stdout, stderr })
    })
  })
}

test('kappa-db sync over a local DHT; authorize from the CLI', async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  const boot = net.bootstrap.map((b) => `${b.host}:${b.port}`).join(',')
  const dir = tmpDir(t, 'kappa-rdb-')
  try {
    fs.writeFileSync(path.join(dir, 'note.json'), JSON.stringify({ type: 'object', required: ['text'], properties: { text: { type: 'string', search: true } } }))
    const a = (...args: string[]): ReturnType<typeof cli> => cli(dir, '--storage', 'a', '--bootstrap', boot, ...args)
    const b = (...args: string[]): ReturnType<typeof cli> => cli(dir, '--storage', 'b', '--bootstrap', boot, ...args)
    const init = JSON.parse((await a('--json', 'init')).stdout) as { key: string }
    await a('schema', 'add', 'note.json')
    await a('put', 'note', '{"text":"hello from a"}', '--id', 'n1')
    const binit = JSON.parse((await b('--json', 'init', '--key', init.key)).stdout) as { key: string; writer: string }
    t.equal(binit.key, init.key, 'b joins a by key')
    await b('put', 'note', '{"text":"hello from b"}', '--id', 'n2').then((r) => t.equal(r.code, 1, 'b cannot write before it has the schema'))

    const [sa, sb] = await Promise.all([a('--json', 'sync', '--until-synced', '--duration', '45'), b('--json', 'sync', '--until-synced', '--duration', '45')])
    t.equal(sa.code, 0, 'a synced')
    t.equal(sb.code, 0, 'b synced')
    t.ok((JSON.parse(sb.stdout) as { peers: number }).peers >= 0, 'sync prints JSON')
    const got = JSON.parse((await b('--json', 'get', 'note', 'n1')).stdout) as Array<{ value: unknown }>
    t.deepEqual(got.map((g) => g.value), [{ text: 'hello from a' }], "b has a's record")

    const bput = await b('put', 'note', '{"text":"hello from b"}', '--id', 'n2')
    t.equal(bput.code, 0, 'b writes (with the schema it synced)')
    t.match(bput.stderr, /not authorized.*kappa-db authorize [0-9a-f]{64}/, 'and is told its records do not count yet')
    t.equal((await a('authorize', binit.writer)).code, 0, 'a authorizes b')
    const runs = await Promise.all([a('sync', '--until-synced', '--duration', '45'), b('sync', '--until-synced', '--duration', '45')])
    t.match(runs[0].stderr, /joined [0-9a-f]{16}…; stops once a peer and this one hold the same data/, '--until-synced says when it stops')
    t.notOk(runs.some((r) => r.stderr.includes('Ctrl-C')), 'and does not say "Ctrl-C to stop"')
    const hits = JSON.parse((await a('--json', 'search', 'hello')).stdout) as Array<{ record: { id: string } }>
    t.deepEqual(hits.map((h) => h.record.id).sort(), ['n1', 'n2'], "a sees b's record once b is authorized")
    const st = JSON.parse((await a('--json', 'status')).stdout) as { feeds: Array<{ key: string; counted: string | number }> }
    t.equal(st.feeds.find((f) => f.key === binit.writer)?.counted, 'all', 'status: b counts')
  } finally {
    await net.destroy()
  }
})
