// 2. Many small writes: one append() per record, all at once, then one after another.
import path from 'node:path'
import { readAll } from '../generate.js'
import type { Scenario } from '../scenario.js'
import { BATCH, allIndexed, kvKappa } from '../setup.js'
import { now, round } from '../stats.js'

type WriteMode = 'batched' | 'concurrent' | 'awaited'

/** Writes `records` into a fresh kappa in `mode`; returns ms until appended and until indexed. */
async function write (dir: string, records: readonly unknown[], mode: WriteMode): Promise<{ appendMs: number; indexedMs: number }> {
  const kappa = kvKappa(dir)
  await kappa.ready()
  const w = await kappa.writer()
  const start = now()
  if (mode === 'batched') {
    for (let i = 0; i < records.length; i += BATCH) await w.append(records.slice(i, i + BATCH))
  } else if (mode === 'concurrent') {
    await Promise.all(records.map((r) => w.append(r)))
  } else {
    for (const r of records) await w.append(r)
  }
  const appendMs = now() - start
  await kappa.indexed()
  const indexedMs = now() - start
  if (!allIndexed(kappa, records.length)) throw new Error(`${mode}: the view does not hold the ${records.length} entries written`)
  await kappa.close()
  return { appendMs, indexedMs }
}

export const smallWrites: Scenario = {
  id: 2,
  name: 'small-writes',
  title: 'Many small writes: one append per record, concurrent vs awaited',
  data: 'main',
  fields: ['records', 'batchedPerS', 'concurrentPerS', 'awaitedPerS', 'concurrentAppendPerS', 'awaitedAppendPerS', 'batchedOverConcurrent'],

  async run (cfg, log) {
    const n = cfg.quick ? 1000 : 10_000
    const records = await readAll(cfg.dataFile, n)
    // warm-up, untimed
    await write(path.join(cfg.workDir, 'warm'), records.slice(0, 500), 'concurrent')
    const batched = await write(path.join(cfg.workDir, 'batched'), records, 'batched')
    const concurrent = await write(path.join(cfg.workDir, 'concurrent'), records, 'concurrent')
    const awaited = await write(path.join(cfg.workDir, 'awaited'), records, 'awaited')
    log(`batched ${batched.indexedMs.toFixed(0)} ms, concurrent ${concurrent.indexedMs.toFixed(0)} ms, awaited ${awaited.indexedMs.toFixed(0)} ms`)
    const rate = (ms: number): number => Math.round(records.length / (ms / 1000))
    return {
      records: records.length,
      batchedPerS: rate(batched.indexedMs),
      concurrentPerS: rate(concurrent.indexedMs),
      awaitedPerS: rate(awaited.indexedMs),
      concurrentAppendPerS: rate(concurrent.appendMs),
      awaitedAppendPerS: rate(awaited.appendMs),
      batchedOverConcurrent: round(concurrent.indexedMs / batched.indexedMs, 2)
    }
  },

  row (r, quick) {
    return {
      figures: `${String(r.records)} records, appended + indexed: batched ${String(r.batchedPerS)}/s, concurrent ${String(r.concurrentPerS)}/s (${String(r.batchedOverConcurrent)}x the batched time), awaited ${String(r.awaitedPerS)}/s`,
      aim: 'concurrent within 2x the batched rate',
      met: quick ? null : (r.batchedOverConcurrent as number) <= 2
    }
  }
}
