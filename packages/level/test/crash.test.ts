// A process writing batches is killed with SIGKILL: after a restart every batch whose
// write resolved is there, whole, and the one in flight is there whole or not at all.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'tape'
import { KappaLevel } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js')

/** Starts the writer and kills it (SIGKILL) once it has reported `after` batches; resolves with the last reported. */
function killAfter (dir: string, first: number, after: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(first)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let last = -1
    let buf = ''
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        last = Number(line.split(' ')[1])
        // a moment later, so the kill may land while the next batch is being written
        if (last + 1 - first === after) setTimeout(() => p.kill('SIGKILL'), 1 + (last % 3))
      }
    })
    p.on('error', reject)
    p.on('exit', () => resolve(last))
  })
}

test('SIGKILL mid-write: resolved batches survive whole, the batch in flight is all or nothing', async (t) => {
  const dir = tmpDir(t, 'kappa-level-')
  const lasts: number[] = []
  for (const round of [1, 2]) {
    const first = (round - 1) * 1000
    const last = await killAfter(dir, first, 20)
    const db = new KappaLevel(dir)
    const keys = (await db.keys().all()).filter((k) => k.startsWith('b'))
    const perBatch = new Map<string, number>()
    for (const k of keys) perBatch.set(k.slice(1, 7), (perBatch.get(k.slice(1, 7)) ?? 0) + 1)
    const partial = [...perBatch].filter(([, n]) => n !== 50)
    t.deepEqual(partial, [], `round ${round}: no batch is there in part`)
    let missing = 0
    let reported = 0
    for (let r = 0; r < round; r++) {
      const end = r === round - 1 ? last : lasts[r]!
      for (let i = r * 1000; i <= end; i++, reported++) if (perBatch.get(String(i).padStart(6, '0')) !== 50) missing++
    }
    lasts.push(last)
    t.equal(missing, 0, `round ${round}: all ${reported} batches reported written are there`)
    t.ok(perBatch.size <= reported + round, `round ${round}: besides, at most the batch in flight at each kill (${perBatch.size} batches)`)
    await db.put('alive', String(round))
    t.equal(await db.get('alive'), String(round), `round ${round}: writable after the restart`)
    await db.close()
  }
})
