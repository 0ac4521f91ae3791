// 1. Import + index, batched, beside the raw hypercore append of the same records.
import { rmSync } from 'node:fs'
import path from 'node:path'
import { readAll } from '../generate.js'
import { Prng } from '../prng.js'
import { rawAppend } from '../raw.js'
import type { Scenario } from '../scenario.js'
import { BATCH, appendBatched, kvKappa } from '../setup.js'
import { MB, dirSize, fmtS, latencies, now, round } from '../stats.js'

const GETS = 1000
/** Pause before the settled kv gets: the stores' background flushes and compactions after the import end first. */
const SETTLE_MS = { quick: 500, full: 2000 }

export const importIndex: Scenario = {
  id: 1,
  name: 'import-index',
  title: 'Import + index (batches of 1,000, kv view) vs raw hypercore append (one record per block, and packed)',
  data: 'main',
  fields: ['records', 'rawAppendMs', 'rawDiskMB', 'rawPackedAppendMs', 'rawPackedDiskMB', 'rawEncryptedAppendMs', 'encryptionCost', 'appendMs', 'indexedMs', 'ratio', 'ratioPacked', 'diskMB', 'diskRatio', 'blocks', 'kvGetP50Ms', 'kvGetP99Ms', 'kvGetHotP50Ms', 'kvGetHotP99Ms'],

  async run (cfg, log) {
    const records = await readAll(cfg.dataFile)

    // Warm both paths up (JIT, RocksDB and LevelDB code) on a slice, untimed.
    const warm = records.slice(0, Math.min(2000, records.length))
    await rawAppend(path.join(cfg.workDir, 'warm-raw'), warm, BATCH)
    await rawAppend(path.join(cfg.workDir, 'warm-raw-packed'), warm, BATCH, 'packed')
    await rawAppend(path.join(cfg.workDir, 'warm-raw-encrypted'), warm, BATCH, 'packed-encrypted')
    {
      const k = kvKappa(path.join(cfg.workDir, 'warm-kappa'))
      await appendBatched(k, warm, BATCH)
      await k.indexed()
      await k.close()
    }
    rmSync(path.join(cfg.workDir, 'warm-raw'), { recursive: true, force: true })
    rmSync(path.join(cfg.workDir, 'warm-raw-packed'), { recursive: true, force: true })
    rmSync(path.join(cfg.workDir, 'warm-raw-encrypted'), { recursive: true, force: true })
    rmSync(path.join(cfg.workDir, 'warm-kappa'), { recursive: true, force: true })

    const raw = await rawAppend(path.join(cfg.workDir, 'raw'), records, BATCH)
    log(`raw append ${records.length} in ${raw.appendMs.toFixed(0)} ms (one record per block)`)
    const packed = await rawAppend(path.join(cfg.workDir, 'raw-packed'), records, BATCH, 'packed')
    log(`raw append ${records.length} in ${packed.appendMs.toFixed(0)} ms (packed)`)
    const encrypted = await rawAppend(path.join(cfg.workDir, 'raw-encrypted'), records, BATCH, 'packed-encrypted')
    log(`raw append ${records.length} in ${encrypted.appendMs.toFixed(0)} ms (packed, blocks encrypted as a multifeed encrypts them)`)

    const dir = path.join(cfg.workDir, 'kappa')
    const kappa = kvKappa(dir)
    await kappa.ready()
    const w = await kappa.writer()
    const start = now()
    for (let i = 0; i < records.length; i += BATCH) await w.append(records.slice(i, i + BATCH))
    const appendMs = now() - start
    await kappa.indexed()
    const indexedMs = now() - start
    log(`kappa append ${appendMs.toFixed(0)} ms, indexed at ${indexedMs.toFixed(0)} ms`)

    const rng = new Prng(cfg.seed ^ 0x9e3779b9)
    const getRandom = async (): Promise<{ p50: number; p99: number }> => {
      const keys = Array.from({ length: GETS }, () => records[rng.int(0, records.length - 1)]!.tconst)
      return latencies(GETS, async (i) => {
        const heads = await kappa.api.kv.get(keys[i]!)
        if (heads.length !== 1 || (heads[0]!.value as { tconst?: string }).tconst !== keys[i]) throw new Error(`kv get ${keys[i]!}: expected its one record, got ${heads.length} heads`)
      })
    }
    // Right after the import, RocksDB and LevelDB are still flushing and compacting
    // in the background on the same 2 cores; then again once they have settled.
    const blocks = (await kappa.writer()).length
    const hot = await getRandom()
    await new Promise((resolve) => setTimeout(resolve, cfg.quick ? SETTLE_MS.quick : SETTLE_MS.full))
    const gets = await getRandom()
    await kappa.close()

    return {
      records: records.length,
      batch: BATCH,
      rawAppendMs: round(raw.appendMs, 1),
      rawDiskMB: round(raw.diskBytes / MB, 2),
      rawPackedAppendMs: round(packed.appendMs, 1),
      rawPackedDiskMB: round(packed.diskBytes / MB, 2),
      rawEncryptedAppendMs: round(encrypted.appendMs, 1),
      encryptionCost: round(encrypted.appendMs / packed.appendMs, 2),
      appendMs: round(appendMs, 1),
      indexedMs: round(indexedMs, 1),
      ratio: round(indexedMs / raw.appendMs, 2),
      ratioPacked: round(indexedMs / packed.appendMs, 2),
      diskMB: round(dirSize(dir) / MB, 2),
      diskRatio: round(dirSize(dir) / raw.diskBytes, 2),
      blocks,
      kvGetP50Ms: round(gets.p50, 4),
      kvGetP99Ms: round(gets.p99, 4),
      kvGetHotP50Ms: round(hot.p50, 4),
      kvGetHotP99Ms: round(hot.p99, 4)
    }
  },

  row (r, quick) {
    const met = quick ? null : (r.ratio as number) <= 0.5 && (r.diskRatio as number) <= 0.5 && (r.kvGetP50Ms as number) < 0.1
    return {
      figures: `raw one record per block ${fmtS(r.rawAppendMs)} (${String(r.rawDiskMB)} MB), raw packed ${fmtS(r.rawPackedAppendMs)} (${String(r.rawPackedDiskMB)} MB), encrypted ${fmtS(r.rawEncryptedAppendMs)} (${String(r.encryptionCost)}x packed); ` +
        `kappa append ${fmtS(r.appendMs)}, indexed ${fmtS(r.indexedMs)} = ${String(r.ratio)}x raw per record, ${String(r.ratioPacked)}x raw packed; ` +
        `${String(r.blocks)} blocks, ${String(r.diskMB)} MB = ${String(r.diskRatio)}x raw's disk; kv get p50 ${String(r.kvGetP50Ms)} ms / p99 ${String(r.kvGetP99Ms)} ms (right after the import ${String(r.kvGetHotP50Ms)} / ${String(r.kvGetHotP99Ms)} ms)`,
      aim: 'indexed <= 0.5x raw per-record append; disk <= 0.5x raw; kv get p50 < 0.1 ms',
      met
    }
  }
}
