// By-hand: where the time goes. Append with no views, then index the history
// into each kind of view separately (reads come from storage).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'

const N = Number(process.argv[2] ?? 100_000)
const which = process.argv[3] ?? 'kv'
const records = Array.from({ length: N }, (_, i) => ({ tconst: 'tt' + String(i + 1).padStart(7, '0'), titleType: 'movie', primaryTitle: 'The Night ' + i, originalTitle: 'The Night ' + i, isAdult: false, startYear: 1900 + (i % 125), endYear: null, runtimeMinutes: i % 180, genres: ['Drama', 'Comedy'] }))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-phases-'))
const k = new Kappa(dir)
await k.ready()
const w = await k.writer()
let t0 = performance.now()
for (let i = 0; i < N; i += 1000) await w.append(records.slice(i, i + 1000))
console.log('append, no views', Math.round(performance.now() - t0), 'ms')
const views = {
  kv: () => kvView({ map: (e) => ({ key: e.value.tconst }), maxBatch: Number(process.env.MB ?? 500) }),
  noop: () => ({ map () {} }),
  put: () => ({ map (entries, batch) { for (const e of entries) batch.put(e.value.tconst, e.seq) } })
}
t0 = performance.now()
k.use(which, views[which]())
await k.indexed()
console.log('index history into', which, Math.round(performance.now() - t0), 'ms', JSON.stringify(k.reader.stats))
await k.close()
fs.rmSync(dir, { recursive: true, force: true })
