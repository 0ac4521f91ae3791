// 7. KappaLevel: the records written with db.batch() in batches of 1,000 and read
// back by range, beside classic-level (the single-machine floor) and hyperbee (a
// single-writer Level-like B-tree on hypercore) on the same data in the same process.
// The multi-writer Hyperbee stack the project started from (multi-hyperbee) is
// quoted from the seed's report: it is not maintained for hypercore 11.
import { rmSync } from 'node:fs'
import path from 'node:path'
import type { AbstractLevel } from 'abstract-level'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { ClassicLevel } from 'classic-level'
import { KappaLevel } from '@kappa-ts/level'
import { readAll, type TitleRecord } from '../generate.js'
import { Prng } from '../prng.js'
import type { Scenario } from '../scenario.js'
import { BATCH } from '../setup.js'
import { MB, dirSize, fmtS, latencies, now, round } from '../stats.js'

const RANGE = 100
/** Pause between an import and its range reads, so background compaction of the stores settles first (the same for all three). */
const SETTLE_MS = { quick: 300, full: 1500 }

/** What each contender does: batched import, one range read, close. */
interface Contender {
  importAll(records: readonly TitleRecord[]): Promise<void>
  range(gte: string): Promise<number>
  close(): Promise<void>
}

function levelContender (db: AbstractLevel<string | Buffer | Uint8Array, string, TitleRecord>): Contender {
  return {
    async importAll (records) {
      for (let i = 0; i < records.length; i += BATCH) {
        await db.batch(records.slice(i, i + BATCH).map((r) => ({ type: 'put' as const, key: r.tconst, value: r })))
      }
    },
    async range (gte) {
      return (await db.iterator({ gte, limit: RANGE }).all()).length
    },
    async close () { await db.close() }
  }
}

async function beeContender (dir: string): Promise<Contender> {
  const store = new Corestore(dir)
  const bee = new Hyperbee<string, TitleRecord>(store.get({ name: 'bee' }), { keyEncoding: 'utf-8', valueEncoding: 'json' })
  await bee.ready()
  return {
    async importAll (records) {
      for (let i = 0; i < records.length; i += BATCH) {
        const b = bee.batch()
        for (const r of records.slice(i, i + BATCH)) await b.put(r.tconst, r)
        await b.flush()
      }
    },
    async range (gte) {
      let n = 0
      for await (const _ of bee.createReadStream({ gte, limit: RANGE })) n++
      return n
    },
    async close () { await store.close() }
  }
}

interface Figures { importMs: number; importCpuMs: number; rangeP50Ms: number; rangeP99Ms: number; diskMB: number }

async function measure (name: string, dir: string, open: (dir: string) => Promise<Contender>, records: readonly TitleRecord[], starts: string[], quick: boolean, log: (m: string) => void): Promise<Figures> {
  // warm up the code paths on a slice, untimed, in a folder of its own
  const warm = await open(dir + '-warm')
  await warm.importAll(records.slice(0, Math.min(2000, records.length)))
  await warm.close()
  rmSync(dir + '-warm', { recursive: true, force: true })

  const c = await open(dir)
  const cpu = process.cpuUsage()
  const start = now()
  await c.importAll(records)
  const importMs = now() - start
  const used = process.cpuUsage(cpu)
  await new Promise((resolve) => setTimeout(resolve, quick ? SETTLE_MS.quick : SETTLE_MS.full))
  const range = await latencies(starts.length, async (i) => {
    const n = await c.range(starts[i]!)
    if (n !== RANGE) throw new Error(`${name}: range read from ${starts[i]!} gave ${n}, expected ${RANGE}`)
  })
  await c.close()
  const figures = {
    importMs: round(importMs, 1),
    importCpuMs: round((used.user + used.system) / 1000, 1),
    rangeP50Ms: round(range.p50, 4),
    rangeP99Ms: round(range.p99, 4),
    diskMB: round(dirSize(dir) / MB, 2)
  }
  log(`${name}: import ${figures.importMs} ms (cpu ${figures.importCpuMs} ms), range p50 ${figures.rangeP50Ms} ms, ${figures.diskMB} MB`)
  return figures
}

/** The seed report's figure for multi-hyperbee importing the 100,000 rows (quoted, not measured). */
export const MULTI_HYPERBEE_QUOTED = '~2 min, 70 MB (seed report, quoted)'

export const level: Scenario = {
  id: 7,
  name: 'level',
  title: 'KappaLevel: db.batch() import (batches of 1,000) and range reads of 100, vs classic-level and hyperbee',
  data: 'main',
  fields: [
    'records',
    'classicImportMs', 'classicImportCpuMs', 'classicRangeP50Ms', 'classicRangeP99Ms', 'classicDiskMB',
    'kappaImportMs', 'kappaImportCpuMs', 'kappaRangeP50Ms', 'kappaRangeP99Ms', 'kappaDiskMB',
    'beeImportMs', 'beeImportCpuMs', 'beeRangeP50Ms', 'beeRangeP99Ms', 'beeDiskMB',
    'importRatio', 'importCpuRatio'
  ],

  async run (cfg, log) {
    const records = await readAll(cfg.dataFile)
    const rng = new Prng(cfg.seed ^ 0x1e7e1)
    const reads = cfg.quick ? 200 : 1000
    // start keys from the first 90% so every read can fill its 100
    const starts = Array.from({ length: reads }, () => records[rng.int(0, Math.floor(records.length * 0.9))]!.tconst)
    const at = (name: string): string => path.join(cfg.workDir, name)

    const classic = await measure('classic-level', at('classic'), async (dir) => {
      const db = new ClassicLevel<string, TitleRecord>(dir, { valueEncoding: 'json' })
      await db.open()
      return levelContender(db)
    }, records, starts, cfg.quick, log)
    const kappa = await measure('KappaLevel', at('kappa'), async (dir) => {
      const db = new KappaLevel<string, TitleRecord>(dir, { valueEncoding: 'json' })
      await db.open()
      return levelContender(db)
    }, records, starts, cfg.quick, log)
    const bee = await measure('hyperbee', at('bee'), beeContender, records, starts, cfg.quick, log)

    const out: Record<string, unknown> = { records: records.length, batch: BATCH, rangeReads: reads }
    for (const [prefix, f] of [['classic', classic], ['kappa', kappa], ['bee', bee]] as const) {
      out[`${prefix}ImportMs`] = f.importMs
      out[`${prefix}ImportCpuMs`] = f.importCpuMs
      out[`${prefix}RangeP50Ms`] = f.rangeP50Ms
      out[`${prefix}RangeP99Ms`] = f.rangeP99Ms
      out[`${prefix}DiskMB`] = f.diskMB
    }
    out.importRatio = round(kappa.importMs / classic.importMs, 2)
    out.importCpuRatio = round(kappa.importCpuMs / classic.importCpuMs, 2)
    out.multiHyperbee = MULTI_HYPERBEE_QUOTED
    return out
  },

  row (r, quick) {
    const n = (k: string): string => String(r[k])
    const met = quick ? null : (r.importRatio as number) <= 3 && (r.kappaRangeP50Ms as number) < 1
    return {
      figures: `KappaLevel import ${fmtS(r.kappaImportMs)} = ${n('importRatio')}x classic-level's ${fmtS(r.classicImportMs)} (CPU ${n('importCpuRatio')}x), range 100 p50 ${n('kappaRangeP50Ms')} / p99 ${n('kappaRangeP99Ms')} ms, ${n('kappaDiskMB')} MB; ` +
        `classic-level range p50 ${n('classicRangeP50Ms')} / p99 ${n('classicRangeP99Ms')} ms, ${n('classicDiskMB')} MB; ` +
        `hyperbee import ${fmtS(r.beeImportMs)}, range p50 ${n('beeRangeP50Ms')} / p99 ${n('beeRangeP99Ms')} ms, ${n('beeDiskMB')} MB; multi-hyperbee ${MULTI_HYPERBEE_QUOTED}`,
      aim: 'import within 3x classic-level; range read of 100 p50 < 1 ms',
      met
    }
  }
}
