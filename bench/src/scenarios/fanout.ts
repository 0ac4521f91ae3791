// 4. Fan-out: one writer serves N fresh readers at once over in-process streams.
//    Each N runs in its own process; the series stops where time or memory would not allow the next.
import path from 'node:path'
import { readAll } from '../generate.js'
import type { Figures, Scenario } from '../scenario.js'
import { BATCH, appendBatched, connect, kvKappa, untilIndexed } from '../setup.js'
import { MB, RssSampler, now, percentile, round } from '../stats.js'

/** How long the readers of one N get to finish; those not done by then count as failed. */
const DEADLINE_S = { quick: 60, full: 420 }

export const fanout: Scenario = {
  id: 4,
  name: 'fanout',
  title: 'Fan-out: one writer to N fresh readers at once, until every reader is indexed',
  data: 'main',
  // per run (in `runs`): readers, ms, done, failures, peakRssMB
  fields: ['runs', 'stopReason'],

  variants: {
    values: ({ readers }) => readers,
    stop (done: Figures[], next: number, limits) {
      const last = done[done.length - 1]
      if (last === undefined) return null
      const scale = next / (last.readers as number)
      const mem = (last.peakRssMB as number) * scale
      if (mem > limits.memoryMB) return `stopped before ${next} readers: ${(last.peakRssMB as number).toFixed(0)} MB at ${String(last.readers)} readers predicts ${mem.toFixed(0)} MB, more than the ${limits.memoryMB} MB free to use`
      if ((last.done as number) < (last.readers as number)) return `stopped before ${next} readers: only ${String(last.done)} of ${String(last.readers)} finished`
      const deadline = Math.min(limits.timeoutS, last.deadlineS as number)
      const t = (last.ms as number) * scale / 1000
      if (t > deadline) return `stopped before ${next} readers: ${((last.ms as number) / 1000).toFixed(1)} s at ${String(last.readers)} readers predicts ${t.toFixed(0)} s, beyond the ${deadline} s allowed`
      return null
    }
  },

  async run (cfg, log) {
    const n = cfg.variant ?? 10
    const count = cfg.quick ? 1000 : 10_000
    const records = await readAll(cfg.dataFile, count)
    const rss = new RssSampler(100).start()
    const writer = kvKappa(path.join(cfg.workDir, 'writer'))
    await appendBatched(writer, records, BATCH)
    await writer.indexed()

    const setupStart = now()
    const readers = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const k = kvKappa(path.join(cfg.workDir, `r${i}`), { key: writer.key })
      await k.ready()
      return k
    }))
    const setupMs = now() - setupStart
    log(`${n} readers open in ${setupMs.toFixed(0)} ms, rss ${(rss.peakBytes / MB).toFixed(0)} MB`)

    const deadlineS = cfg.quick ? DEADLINE_S.quick : DEADLINE_S.full
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), deadlineS * 1000) })
    const start = now()
    const finished: number[] = []
    const failures: string[] = []
    const hangups = readers.map((r) => connect(writer, r))
    await Promise.all(readers.map(async (r) => {
      try {
        const outcome = await Promise.race([untilIndexed(r, records.length), deadline])
        if (outcome === 'late') failures.push(`not indexed within ${deadlineS} s`)
        else finished.push(now() - start)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }))
    clearTimeout(timer)
    const ms = now() - start
    // How far the readers got (all of it when every one finished): tells a slow N from a stuck one.
    const indexedEntries = readers.reduce((sum, r) => sum + Math.min(records.length, ...Object.values(r.status()).map((v) => v.indexed)), 0)
    const indexedFraction = indexedEntries / (records.length * n)
    for (const h of hangups) h()
    await Promise.all(readers.map((r) => r.close()))
    await writer.close()
    return {
      readers: n,
      records: records.length,
      setupMs: round(setupMs, 1),
      deadlineS,
      ms: round(ms, 1),
      done: finished.length,
      failures: failures.length,
      failureSample: failures.slice(0, 3),
      readerP50Ms: round(percentile(finished, 50), 1),
      indexedFraction: round(indexedFraction, 3),
      // entries replicated and indexed by all readers together, per second
      entriesPerS: Math.round(indexedEntries / (ms / 1000))
    }
  },

  row (r) {
    const runs = (r.runs as Figures[]) ?? []
    const parts = runs.map((x) => x.ok === true
      ? `N=${String(x.readers)}: ${(x.done as number) === (x.readers as number) ? `all indexed in ${((x.ms as number) / 1000).toFixed(2)} s` : `${String(x.done)} done in ${((x.ms as number) / 1000).toFixed(0)} s (${((x.indexedFraction as number) * 100).toFixed(0)}% of all entries indexed)`}, ${String(x.entriesPerS)} entries/s in all, ${String(x.failures)} failed, peak RSS ${String(x.peakRssMB)} MB`
      : `N=${String(x.variant)}: ${String(x.error)}`)
    if (r.stopReason !== null && r.stopReason !== undefined) parts.push(`(${String(r.stopReason)})`)
    return { figures: parts.join('; '), aim: '', met: null }
  }
}
