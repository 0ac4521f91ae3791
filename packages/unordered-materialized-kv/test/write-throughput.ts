// Manual measurement (not part of the test run): write 100,000 docs in batches of 1,000.
//   node packages/unordered-materialized-kv/dist/test/write-throughput.js [count] [batchSize]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MemoryLevel } from 'memory-level'
import { Level } from 'level'
import { UnorderedMaterializedKV, type Doc, type UmkvDb } from '../src/index.js'

const COUNT = Number(process.argv[2] ?? 100_000)
const BATCH = Number(process.argv[3] ?? 1_000)

// 'new-keys': every doc a fresh key. 'updates': 20% as many keys, each doc linking the previous one.
function makeDocs (pattern: 'new-keys' | 'updates'): Doc[] {
  const docs: Doc[] = []
  const keyCount = pattern === 'new-keys' ? COUNT : Math.max(1, Math.floor(COUNT / 5))
  const last = new Map<string, string>()
  for (let i = 0; i < COUNT; i++) {
    const key = 'key-' + (i % keyCount)
    const id = 'feed' + (i % 7) + '@' + i
    const prev = last.get(key)
    docs.push({ id, key, links: prev === undefined ? [] : [prev] })
    last.set(key, id)
  }
  return docs
}

async function run (name: string, db: UmkvDb, docs: Doc[], viaOps: boolean): Promise<void> {
  const kv = new UnorderedMaterializedKV(db)
  const start = process.hrtime.bigint()
  for (let i = 0; i < docs.length; i += BATCH) {
    const slice = docs.slice(i, i + BATCH)
    if (viaOps) await db.batch(await kv.ops(slice))
    else await kv.batch(slice)
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const getStart = process.hrtime.bigint()
  const reads = 10_000
  for (let i = 0; i < reads; i++) await kv.get('key-' + i)
  const getMs = Number(process.hrtime.bigint() - getStart) / 1e6
  console.log(`${name.padEnd(34)} ${Math.round(docs.length / (ms / 1000)).toString().padStart(8)} docs/s   get: ${Math.round(reads / (getMs / 1000))} /s`)
}

for (const pattern of ['new-keys', 'updates'] as const) {
  const docs = makeDocs(pattern)
  for (const viaOps of [false, true]) {
    const label = `${pattern} ${viaOps ? 'ops()+db.batch' : 'batch()'}`
    const mem = new MemoryLevel()
    await run(`memory-level  ${label}`, mem, docs, viaOps)
    await mem.close()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-umkv-bench-'))
    const level = new Level(dir)
    await run(`classic-level ${label}`, level.sublevel('umkv'), docs, viaOps)
    await level.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
