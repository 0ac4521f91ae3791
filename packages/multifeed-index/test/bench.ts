// Run by hand (not a test): node packages/multifeed-index/dist/test/bench.js [count] [maxBatch]
// Prints the time to append `count` small JSON entries in batches of 1,000 (packed
// into blocks by appendEntries) and the time to append + index them (live, as a
// kv-like consumer) with the blocks read back from storage or handed over by
// EntryReader.append, plus indexing throughput of entries already on disk.
import path from 'node:path'
import { Multifeed, appendEntries } from '@kappa-ts/multifeed'
import { MultifeedIndex, EntryReader, type Entry, type IndexBatch, type IndexContext } from '../src/index.js'
import { makeTmpDir } from '@kappa-ts/test-helpers'
import { openDb } from './helpers.js'

const COUNT = Number(process.argv[2] ?? 100_000)
const BATCH = 1000
const MAX_BATCH = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined

function record (i: number): { id: string; title: string; year: number; genres: string[] } {
  return { id: 'tt' + String(i).padStart(7, '0'), title: 'Title number ' + i, year: 1900 + (i % 120), genres: ['Drama', 'Comedy'].slice(i % 2) }
}

function kvMap (entries: Entry[], batch: IndexBatch, ctx: IndexContext): void {
  if (process.env.MAP === 'noop') return // measures the engine alone
  for (const e of entries) batch.put((e.value as { id: string }).id, e.value, { sublevel: ctx.data })
}

// CPU time (user + system) of this process, less sensitive to other load on the machine
function cpuMs (since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1000
}

async function appendOnly (): Promise<number> {
  const { dir, cleanup } = makeTmpDir('kappa-mfi-bench-')
  const m = new Multifeed(path.join(dir, 'cores'))
  const w = await m.writer()
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let i = 0; i < COUNT; i += BATCH) await appendEntries(w, Array.from({ length: BATCH }, (_, j) => record(i + j)))
  const ms = performance.now() - t0
  lastCpu = cpuMs(c0)
  await m.close()
  cleanup()
  return ms
}
let lastCpu = 0

async function appendAndIndex (handOver: boolean): Promise<{ appendMs: number; totalMs: number; reads: number }> {
  const { dir, cleanup } = makeTmpDir('kappa-mfi-bench-')
  const m = new Multifeed(path.join(dir, 'cores'))
  const w = await m.writer()
  const db = openDb(dir)
  const reader = new EntryReader(m)
  const index = new MultifeedIndex({ multifeed: m, db, map: kvMap, reader, maxBatch: MAX_BATCH })
  await index.indexed()
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let i = 0; i < COUNT; i += BATCH) {
    const values = Array.from({ length: BATCH }, (_, j) => record(i + j))
    if (handOver) await reader.append(w, values)
    else await appendEntries(w, values)
  }
  const appendMs = performance.now() - t0
  await index.indexed()
  const totalMs = performance.now() - t0
  lastCpu = cpuMs(c0)
  const reads = reader.stats.storageReads
  await index.close()
  await db.close()
  await m.close()
  cleanup()
  return { appendMs, totalMs, reads }
}

async function indexExisting (): Promise<number> {
  const { dir, cleanup } = makeTmpDir('kappa-mfi-bench-')
  const m = new Multifeed(path.join(dir, 'cores'))
  const w = await m.writer()
  for (let i = 0; i < COUNT; i += BATCH) await appendEntries(w, Array.from({ length: BATCH }, (_, j) => record(i + j)))
  const db = openDb(dir)
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const index = new MultifeedIndex({ multifeed: m, db, map: kvMap, maxBatch: MAX_BATCH })
  await index.indexed()
  const ms = performance.now() - t0
  lastCpu = cpuMs(c0)
  await index.close()
  await db.close()
  await m.close()
  cleanup()
  return ms
}

const fmt = (ms: number): string => (ms / 1000).toFixed(2) + ' s'
if (process.env.ONLY === 'handover') {
  const r = await appendAndIndex(true)
  console.log(`append + index, handed over: ${fmt(r.totalMs)}  cpu ${fmt(lastCpu)}  (appends done at ${fmt(r.appendMs)})`)
  process.exit(0)
}
const raw = await appendOnly()
const rawCpu = lastCpu
console.log(`append only:                 ${fmt(raw)}  cpu ${fmt(rawCpu)}  (${Math.round(COUNT / raw * 1000)} entries/s)`)
const plain = await appendAndIndex(false)
console.log(`append + index, read-back:   ${fmt(plain.totalMs)}  cpu ${fmt(lastCpu)}  (appends done at ${fmt(plain.appendMs)}; ${(plain.totalMs / raw).toFixed(2)}x wall, ${(lastCpu / rawCpu).toFixed(2)}x cpu of append only; ${plain.reads} storage reads)`)
const handedOver = await appendAndIndex(true)
console.log(`append + index, handed over: ${fmt(handedOver.totalMs)}  cpu ${fmt(lastCpu)}  (appends done at ${fmt(handedOver.appendMs)}; ${(handedOver.totalMs / raw).toFixed(2)}x wall, ${(lastCpu / rawCpu).toFixed(2)}x cpu of append only; ${handedOver.reads} storage reads)`)
const existing = await indexExisting()
console.log(`index ${COUNT} already on disk: ${fmt(existing)}  cpu ${fmt(lastCpu)}  (${Math.round(COUNT / existing * 1000)} entries/s)`)
