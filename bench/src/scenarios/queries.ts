// 6. Queries: list view range reads of 100 entries and tail(50), p50/p99.
import path from 'node:path'
import { readAll } from '../generate.js'
import { Prng } from '../prng.js'
import type { Scenario } from '../scenario.js'
import { BATCH, appendBatched, listKappa } from '../setup.js'
import { latencies, now, round } from '../stats.js'

export const queries: Scenario = {
  id: 6,
  name: 'queries',
  title: 'Queries: list range reads of 100 and tail(50)',
  data: 'main',
  fields: ['records', 'importMs', 'rangeReads', 'rangeP50Ms', 'rangeP99Ms', 'tails', 'tailP50Ms', 'tailP99Ms'],

  async run (cfg) {
    const records = await readAll(cfg.dataFile)
    const kappa = listKappa(path.join(cfg.workDir, 'kappa'))
    const start = now()
    await appendBatched(kappa, records, BATCH)
    await kappa.indexed()
    const importMs = now() - start

    const rng = new Prng(cfg.seed ^ 0x51ed270b)
    const reads = cfg.quick ? 200 : 1000
    // Start keys drawn from the first 90% so every read can fill its 100.
    const starts = Array.from({ length: reads }, () => records[rng.int(0, Math.floor(records.length * 0.9))]!.tconst)
    const range = await latencies(reads, async (i) => {
      const items = await kappa.api.list.read({ gte: starts[i]!, limit: 100 })
      if (items.length !== 100) throw new Error(`range read from ${starts[i]!}: ${items.length} items, expected 100`)
    })

    const tails = cfg.quick ? 50 : 200
    const tail = await latencies(tails, async () => {
      const q = kappa.api.list.tail(50)
      let got = 0
      for await (const _ of q) {
        if (++got === 50) break
      }
    })
    await kappa.close()
    return {
      records: records.length,
      importMs: round(importMs, 1),
      rangeReads: reads,
      rangeP50Ms: round(range.p50, 3),
      rangeP99Ms: round(range.p99, 3),
      tails,
      tailP50Ms: round(tail.p50, 3),
      tailP99Ms: round(tail.p99, 3)
    }
  },

  row (r) {
    return {
      figures: `over ${String(r.records)} records: read 100 p50 ${String(r.rangeP50Ms)} ms / p99 ${String(r.rangeP99Ms)} ms; tail(50) p50 ${String(r.tailP50Ms)} ms / p99 ${String(r.tailP99Ms)} ms`,
      aim: '',
      met: null
    }
  }
}
