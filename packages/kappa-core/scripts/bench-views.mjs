// By-hand: append 100,000 records in batches of 1,000 while one view indexes them
// (VIEW=kv | noop | none; MEM=1 for memory-level views), wall and CPU time.
import { performance } from 'node:perf_hooks'
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
const N = 100000
const records = Array.from({ length: N }, (_, i) => ({ tconst: 'tt' + String(i + 1).padStart(7, '0'), titleType: 'movie', primaryTitle: 'The Night ' + i, originalTitle: 'The Night ' + i, isAdult: false, startYear: 1900 + (i % 125), endYear: null, runtimeMinutes: i % 180, genres: ['Drama', 'Comedy'] }))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ko-'))
const view = process.env.VIEW === 'none' ? null : process.env.VIEW === 'noop' ? { map () {} } : kvView({ map: (e) => ({ key: e.value.tconst }), ...(process.env.MB ? { maxBatch: Number(process.env.MB) } : {}) })
const kappa = new Kappa(dir, process.env.MEM ? { db: new (await import('memory-level')).MemoryLevel() } : {})
if (view) kappa.use('kv', view)
await kappa.ready()
const w = await kappa.writer()
const c0 = process.cpuUsage(); const t0 = performance.now()
for (let i = 0; i < N; i += 1000) await w.append(records.slice(i, i + 1000))
await kappa.indexed()
const c = process.cpuUsage(c0)
console.log(process.env.VIEW ?? 'kv', 'total', Math.round(performance.now() - t0), 'cpu', Math.round((c.user + c.system) / 1000))
await kappa.close()
fs.rmSync(dir, { recursive: true, force: true })
