// By-hand: kappa writer with no views vs raw Corestore append, alternated, CPU time.
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path'
import { performance } from 'node:perf_hooks'
import Corestore from 'corestore'
import { Kappa } from '@kappa-ts/kappa-core'
const N = 100000
const records = Array.from({ length: N }, (_, i) => ({ tconst: 'tt' + String(i + 1).padStart(7, '0'), titleType: 'movie', primaryTitle: 'The Night ' + i, originalTitle: 'The Night ' + i, isAdult: false, startYear: 1900 + (i % 125), endYear: null, runtimeMinutes: i % 180, genres: ['Drama', 'Comedy'] }))
async function time (label, open) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nvr-'))
  const { append, close } = await open(dir)
  const c0 = process.cpuUsage(); const t0 = performance.now()
  for (let i = 0; i < N; i += 1000) await append(records.slice(i, i + 1000))
  const c = process.cpuUsage(c0)
  console.log(label.padEnd(6), 'wall', Math.round(performance.now() - t0), 'cpu', Math.round((c.user + c.system) / 1000))
  await close()
  fs.rmSync(dir, { recursive: true, force: true })
}
for (let r = 0; r < 3; r++) {
  await time('raw', async (dir) => { const s = new Corestore(dir); const c = s.get({ name: 'x', valueEncoding: 'json' }); await c.ready(); return { append: (v) => c.append(v), close: () => s.close() } })
  await time('kappa', async (dir) => { const k = new Kappa(dir); await k.ready(); const w = await k.writer(); return { append: (v) => w.append(v), close: () => k.close() } })
  await time('feed', async (dir) => { const k = new Kappa(dir); await k.ready(); const w = await k.writer(); return { append: (v) => w.feed.append(v), close: () => k.close() } })
}
