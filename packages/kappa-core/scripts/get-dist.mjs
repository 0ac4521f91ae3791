// By-hand: distribution of kv get latency after a 100,000-record import (which gets are slow, and why).
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
const N = 100000
const records = Array.from({ length: N }, (_, i) => ({ tconst: 'tt' + String(i + 1).padStart(7, '0'), titleType: 'movie', primaryTitle: 'The Night ' + i, genres: ['Drama'] }))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gd-'))
const kappa = new Kappa(dir).use('kv', kvView({ map: (e) => ({ key: e.value.tconst }) }))
await kappa.ready()
const w = await kappa.writer()
for (let i = 0; i < N; i += 1000) await w.append(records.slice(i, i + 1000))
await kappa.indexed()
const gcs = []
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push([e.startTime, e.duration]) }).observe({ entryTypes: ['gc'] })
let seed = 7
const lat = []
for (let i = 0; i < 1000; i++) {
  seed = (seed * 48271) % 2147483647
  const key = records[seed % N].tconst
  const s = performance.now()
  const lv = performance.now()
  await kappa.api.kv.get(key)
  lat.push([performance.now() - s, i, lv])
}
const sorted = [...lat].sort((a, b) => a[0] - b[0])
console.log('p50', sorted[500][0].toFixed(3), 'p90', sorted[900][0].toFixed(3), 'p99', sorted[990][0].toFixed(3))
console.log('slowest (ms, index):', sorted.slice(-12).map(([t, i]) => `${t.toFixed(2)}@${i}`).join(' '))
console.log('gc during gets:', gcs.length, 'total', gcs.reduce((a, [, d]) => a + d, 0).toFixed(1), 'ms')
await kappa.close()
fs.rmSync(dir, { recursive: true, force: true })
