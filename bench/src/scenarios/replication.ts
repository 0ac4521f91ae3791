// 3. Replication: three writers hold the records; a fresh peer replicates them
//    over one stream until all its views are indexed.
import path from 'node:path'
import { readAll } from '../generate.js'
import type { Scenario } from '../scenario.js'
import { Kappa } from '@kappa-ts/kappa-core'
import { rawReplicate } from '../raw.js'
import { BATCH, allIndexed, appendBatched, connect, kvKappa, untilIndexed } from '../setup.js'
import { MB, fmtS, now, round } from '../stats.js'

const WRITERS = 3

/** Resolves when `kappa` holds `blocks` blocks in all of `feeds` feeds, downloaded (open or not: feeds open lazily). */
async function untilHolds (kappa: Kappa, feeds: number, blocks: number): Promise<void> {
  for (;;) {
    const t = kappa.multifeed.totals()
    if (t.feeds >= feeds && t.contiguousLength >= blocks) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Bytes stored in every feed of `kappa`, opening each one that is closed. */
async function storedBytes (kappa: Kappa): Promise<number> {
  let bytes = 0
  for (const key of kappa.feedKeys()) bytes += (await kappa.multifeed.get(key))?.byteLength ?? 0
  return bytes
}

export const replication: Scenario = {
  id: 3,
  name: 'replication',
  title: 'Replication: 3 writers to a fresh peer over one stream, until indexed',
  data: 'main',
  fields: ['records', 'writers', 'blocks', 'ms', 'bytes', 'MBps', 'entriesPerS', 'rawMs', 'rawMBps', 'rawPackedMs', 'ratio'],

  async run (cfg, log) {
    const records = await readAll(cfg.dataFile)
    const per = Math.ceil(records.length / WRITERS)
    const shares = Array.from({ length: WRITERS }, (_, i) => records.slice(i * per, (i + 1) * per))
    // The floor: the same three logs from one Corestore to a fresh one, no views.
    const raw = await rawReplicate(path.join(cfg.workDir, 'raw'), shares, BATCH)
    log(`raw hypercore replication of ${records.length} entries in ${raw.ms.toFixed(0)} ms (one record per block)`)
    const packed = await rawReplicate(path.join(cfg.workDir, 'raw-packed'), shares, BATCH, 'packed')
    log(`raw hypercore replication of ${records.length} entries in ${packed.ms.toFixed(0)} ms (packed)`)

    // Writers only produce logs (no views), so the setup stays short.
    const writers: Kappa[] = []
    const first = new Kappa(path.join(cfg.workDir, 'w0'))
    await first.ready()
    writers.push(first)
    for (let i = 1; i < WRITERS; i++) {
      const k = new Kappa(path.join(cfg.workDir, `w${i}`), { key: first.key })
      await k.ready()
      writers.push(k)
    }
    // Each writer appends its share; then the first gathers all three logs (untimed setup).
    await Promise.all(writers.map((k, i) => appendBatched(k, shares[i]!, BATCH)))
    const hangups = writers.slice(1).map((k) => connect(first, k))
    const blocks = writers.reduce((n, k) => n + k.feeds().filter((f) => f.writable).reduce((m, f) => m + f.length, 0), 0)
    await untilHolds(first, WRITERS, blocks)
    for (const h of hangups) h()
    const bytes = await storedBytes(first)
    log(`setup done: ${first.feedKeys().length} feeds, ${records.length} entries, ${(bytes / MB).toFixed(1)} MB`)

    const fresh = kvKappa(path.join(cfg.workDir, 'fresh'), { key: first.key })
    await fresh.ready()
    const start = now()
    const hangup = connect(first, fresh)
    await untilIndexed(fresh, records.length)
    const ms = now() - start
    if (!allIndexed(fresh, records.length)) throw new Error('fresh peer did not index everything')
    hangup()
    await fresh.close()
    for (const k of writers) await k.close()
    return {
      records: records.length,
      writers: WRITERS,
      blocks,
      ms: round(ms, 1),
      bytes,
      MBps: round(bytes / MB / (ms / 1000), 2),
      entriesPerS: Math.round(records.length / (ms / 1000)),
      rawMs: round(raw.ms, 1),
      rawMBps: round(raw.bytes / MB / (raw.ms / 1000), 2),
      rawPackedMs: round(packed.ms, 1),
      ratio: round(ms / raw.ms, 3)
    }
  },

  row (r, quick) {
    return {
      figures: `${String(r.records)} records (${String(r.blocks)} blocks) from ${String(r.writers)} writers replicated and indexed (kv) in ${fmtS(r.ms)} = ${String(r.ratio)}x raw: ` +
        `${String(r.MBps)} MB/s, ${String(r.entriesPerS)} entries/s; raw hypercore download of the same records one per block ${fmtS(r.rawMs)} (${String(r.rawMBps)} MB/s), packed ${fmtS(r.rawPackedMs)}`,
      aim: 'until indexed <= 0.2x the raw one-record-per-block download',
      met: quick ? null : (r.ratio as number) <= 0.2
    }
  }
}
