// Two KappaLevel peers find each other through @kappa-ts/swarm's join(db.kappa) on a loopback DHT
// (hyperdht's testnet, never the public one) and read each other's writes.
import path from 'node:path'
import test from 'tape'
import createTestnet from 'hyperdht/testnet.js'
import { join } from '@kappa-ts/swarm'
import { KappaLevel } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { synced } from './helpers.js'

test('join(db.kappa): two peers on a loopback DHT share the database', async (t) => {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  const dir = tmpDir(t, 'kappa-level-')
  const a = new KappaLevel<string, unknown>(path.join(dir, 'a'), { valueEncoding: 'json' })
  await a.open()
  const b = new KappaLevel<string, unknown>(path.join(dir, 'b'), { valueEncoding: 'json', key: a.kappa.key })
  await b.open()
  await a.batch([{ type: 'put', key: 'from:a', value: { n: 1 } }, { type: 'put', key: 'shared', value: 'a' }])
  await b.put('from:b', { n: 2 })

  await join(a.kappa, { bootstrap: net.bootstrap })
  await join(b.kappa, { bootstrap: net.bootstrap })
  await synced(a, b)
  t.deepEqual(await b.iterator().all(), [['from:a', { n: 1 }], ['from:b', { n: 2 }], ['shared', 'a']], 'b reads a\'s writes and its own')
  await b.put('shared', 'b')
  await synced(a, b)
  t.equal(await a.get('shared'), 'b', 'b replaced a\'s value (it linked it): a reads b\'s')
  t.equal((await a.heads('shared')).length, 1, 'no conflict')

  await a.close()
  await b.close()
  await net.destroy()
})
