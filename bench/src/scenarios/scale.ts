// 5. Scale: a million records into kv + list views (peak RSS, entries/s), then
//    reopen and time ready() with nothing left to index. Its own process, so the RSS is its own.
import path from 'node:path'
import { readBatches } from '../generate.js'
import { rawAppendReopen } from '../raw.js'
import type { Scenario } from '../scenario.js'
import { BATCH, allIndexed, kvListKappa } from '../setup.js'
import { MB, RssSampler, dirSize, fmtS, now, processPeakRss, round } from '../stats.js'

export const scale: Scenario = {
  id: 5,
  name: 'scale',
  title: 'Scale: records into kv + list views, then reopen',
  data: 'scale',
  fields: ['records', 'appendMs', 'indexedMs', 'entriesPerS', 'indexPeakRssMB', 'diskMB', 'reopenReadyMs', 'reopenIndexedMs', 'rawAppendMs', 'rawReopenMs'],

  async run (cfg, log) {
    const dir = path.join(cfg.workDir, 'kappa')
    const rss = new RssSampler(50).start()
    const kappa = kvListKappa(dir)
    await kappa.ready()
    const w = await kappa.writer()
    const start = now()
    let n = 0
    // Streamed from the TSV: only one batch of records is held at a time.
    for await (const batch of readBatches(cfg.scaleFile, BATCH)) {
      await w.append(batch)
      n += batch.length
      if (n % 100_000 === 0) log(`${n} appended at ${((now() - start) / 1000).toFixed(1)} s, rss ${(process.memoryUsage.rss() / MB).toFixed(0)} MB`)
    }
    const appendMs = now() - start
    await kappa.indexed()
    const indexedMs = now() - start
    // the kernel's high-water mark catches a spike between two samples
    const indexPeak = Math.max(rss.peakBytes, processPeakRss())
    log(`indexed ${n} in ${(indexedMs / 1000).toFixed(1)} s, peak rss ${(indexPeak / MB).toFixed(0)} MB`)
    await kappa.close()
    const diskMB = dirSize(dir) / MB

    const reopenStart = now()
    const again = kvListKappa(dir)
    await again.ready()
    const reopenReadyMs = now() - reopenStart
    await again.indexed()
    const reopenIndexedMs = now() - reopenStart
    if (!allIndexed(again, n)) throw new Error('reopened kappa does not report every entry indexed')
    await again.close()
    const kappaPeak = Math.max(rss.peakBytes, processPeakRss())

    // The floor, after the kappa part so it cannot inflate the kappa's peak RSS.
    const raw = await rawAppendReopen(path.join(cfg.workDir, 'raw'), readBatches(cfg.scaleFile, BATCH))
    if (raw.length !== n) throw new Error(`raw core has ${raw.length} entries, expected ${n}`)

    return {
      records: n,
      appendMs: round(appendMs, 1),
      indexedMs: round(indexedMs, 1),
      entriesPerS: Math.round(n / (indexedMs / 1000)),
      indexPeakRssMB: round(kappaPeak / MB, 1),
      diskMB: round(diskMB, 1),
      reopenReadyMs: round(reopenReadyMs, 1),
      reopenIndexedMs: round(reopenIndexedMs, 1),
      rawAppendMs: round(raw.appendMs, 1),
      rawReopenMs: round(raw.reopenMs, 1)
    }
  },

  row (r, quick) {
    return {
      figures: `${String(r.records)} records indexed in ${fmtS(r.indexedMs)} (${String(r.entriesPerS)} entries/s), peak RSS ${String(r.indexPeakRssMB)} MB, ${String(r.diskMB)} MB on disk; reopen: ready ${String(r.reopenReadyMs)} ms, indexed ${String(r.reopenIndexedMs)} ms; raw hypercore: append ${fmtS(r.rawAppendMs)}, reopen ${String(r.rawReopenMs)} ms`,
      aim: '>= 150,000 entries/s; peak RSS < 250 MB; reopen < 1 s',
      met: quick ? null : (r.entriesPerS as number) >= 150_000 && (r.indexPeakRssMB as number) < 250 && (r.reopenIndexedMs as number) < 1000
    }
  }
}
