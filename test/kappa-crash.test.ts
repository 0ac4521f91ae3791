import test from 'tape'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { MemoryLevel } from 'memory-level'
import fc from 'fast-check'
import { Kappa, entryId } from '@kappa-ts/kappa-core'
import { crashRecord, crashViews } from './kappa-crash-views.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { dumpView } from './kappa-helpers.js'

const ENTRIES = 100_000
const BATCH = 1000
const child = fileURLToPath(new URL('./fixtures/kappa-crash-child.js', import.meta.url))

/** Runs the child until the faster view has indexed `killAt` entries (so both are mid-way), then SIGKILLs it. */
function indexUntilKilled (dir: string, killAt: number): Promise<{ killed: boolean; lastIndexed: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    const seen = new Map<string, number>()
    let killed = false
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { name?: string; indexed?: number }
      if (msg.name === undefined || msg.indexed === undefined) return
      seen.set(msg.name, msg.indexed)
      const fastest = Math.max(seen.get('kv') ?? 0, seen.get('byTime') ?? 0)
      if (!killed && fastest >= killAt) {
        killed = proc.kill('SIGKILL')
      }
    })
    proc.on('error', reject)
    proc.on('exit', (_code, signal) => resolve({ killed: killed && signal === 'SIGKILL', lastIndexed: Math.min(...seen.values()) }))
  })
}

async function fingerprint (kappa: Kappa<any>, name: string): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256')
  let rows = 0
  for (const [k, v] of await dumpView(kappa, name)) {
    hash.update(k).update('\0').update(String(v)).update('\n')
    rows++
  }
  return { rows, sha256: hash.digest('hex') }
}

test('kill -9 while two views index 100,000 entries: after restart both equal a clean rebuild', async (t) => {
  const dir = tmpDir(t, 'kappa-crash-')
  // the logs, written without views
  const writer = new Kappa(dir)
  await writer.ready()
  const w = await writer.writer()
  const ids: string[] = []
  for (let start = 0; start < ENTRIES; start += BATCH) {
    const addresses = await w.append(Array.from({ length: BATCH }, (_, i) => crashRecord(ids, start + i)))
    for (const a of addresses) ids.push(entryId(w.key, a))
  }
  await writer.close()

  // two kills at seeded points of the indexing
  const killPoints = fc.sample(fc.integer({ min: 10_000, max: 60_000 }), { seed: 20261124, numRuns: 2 }).sort((a, b) => a - b)
  killPoints[1] = Math.max(killPoints[1]!, killPoints[0]! + 15_000)
  for (const killAt of killPoints) {
    const run = await indexUntilKilled(dir, killAt)
    t.ok(run.killed, `child killed with SIGKILL during indexing (at ~${run.lastIndexed} entries, aiming ${killAt})`)
  }

  // restart: work committed before the kills is kept, the rest is indexed once
  const restarted = new Kappa(dir, { views: crashViews() })
  await restarted.ready()
  const at = restarted.status()
  t.ok((at.kv?.indexed ?? 0) > 0 && (at.kv?.indexed ?? 0) < ENTRIES, `kv resumed from ${at.kv?.indexed} indexed entries`)
  t.ok((at.byTime?.indexed ?? 0) > 0 && (at.byTime?.indexed ?? 0) < ENTRIES, `list resumed from ${at.byTime?.indexed}`)
  await restarted.indexed()
  const { state: _state, ...done } = restarted.status().kv!
  t.deepEqual({ indexed: done.indexed, total: done.total, skipped: done.skipped, error: done.error }, { indexed: ENTRIES, total: ENTRIES, skipped: 0, error: null }, 'every entry indexed')
  const after = { kv: await fingerprint(restarted, 'kv'), byTime: await fingerprint(restarted, 'byTime') }
  const sample = await restarted.api.kv.get('k42')
  const firstItems = await restarted.api.byTime.read({ limit: 3 })
  await restarted.close()

  // a clean rebuild of the same logs into a fresh db
  const clean = new Kappa(dir, { db: new MemoryLevel(), views: crashViews() })
  await clean.indexed()
  const fresh = { kv: await fingerprint(clean, 'kv'), byTime: await fingerprint(clean, 'byTime') }
  t.equal(fresh.byTime.rows, ENTRIES, 'the clean list holds every entry once')
  t.deepEqual(after.kv, fresh.kv, `kv view equals the clean rebuild (${fresh.kv.rows} rows)`)
  t.deepEqual(after.byTime, fresh.byTime, 'list view equals the clean rebuild')
  t.deepEqual(sample, await clean.api.kv.get('k42'), 'same kv answer')
  t.deepEqual(sample.map((h) => h.value.n), [95042], 'one head: the last record of k42')
  t.deepEqual(firstItems, await clean.api.byTime.read({ limit: 3 }), 'same list answer')
  await clean.close()
})
