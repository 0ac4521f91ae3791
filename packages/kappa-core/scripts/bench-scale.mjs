// By-hand: N records (default 1,000,000) appended in batches of 1,000 and indexed
// into a kv and a list view: wall time, entries/s, peak RSS; then reopen time.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'

const N = Number(process.argv[2] ?? 1_000_000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'))
const views = () => ({
  kv: kvView({ map: (e) => ({ key: e.value.id }) }),
  byYear: listView({ map: (e) => e.value.year, ...(process.env.LMB ? { maxBatch: Number(process.env.LMB) } : {}) })
})
let peak = 0
const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 50)
const kappa = new Kappa(dir, { views: views(), ...(process.env.CACHE ? { cacheSize: Number(process.env.CACHE) } : {}) })
await kappa.ready()
const w = await kappa.writer()
const t0 = performance.now()
for (let i = 0; i < N; i += 1000) {
  await w.append(Array.from({ length: 1000 }, (_, j) => ({ id: 'r' + (i + j), year: 1900 + ((i + j) * 7) % 125, title: 'Title number ' + (i + j), genres: ['Drama'] })))
}
const appended = performance.now() - t0
await kappa.indexed()
const total = performance.now() - t0
await kappa.close()
clearInterval(sample)
const t1 = performance.now()
const again = new Kappa(dir, { views: views() })
await again.ready()
await again.indexed()
const reopen = performance.now() - t1
console.log(JSON.stringify({ records: N, append_ms: Math.round(appended), indexed_ms: Math.round(total), entries_per_s: Math.round(N / total * 1000), peak_rss_mb: Math.round(peak / 1e6), reopen_ms: Math.round(reopen), reader: again.reader.stats }))
await again.close()
fs.rmSync(dir, { recursive: true, force: true })
