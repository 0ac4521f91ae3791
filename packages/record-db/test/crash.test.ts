// kill -9 while writing and indexing, restart: the views agree with the log; a replica agrees too.
import test from 'tape'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Envelope } from '@kappa-ts/schemas'
import { readEntries } from '@kappa-ts/multifeed'
import { connect, tmpDir } from '@kappa-ts/test-helpers'
import { collect, caughtUp, openDb, personSchema } from './helpers.js'
import type { RecordDB } from '../src/index.js'

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.js', import.meta.url))

/** The live records according to the log itself (one writer: feed order is version order). */
async function truthFromLog (db: RecordDB): Promise<Map<string, Record<string, unknown>>> {
  const feed = db.kappa.feed(db.writerKey)
  if (feed === undefined) throw new Error('no writer feed')
  const live = new Map<string, Record<string, unknown>>()
  for (let block = 0; block < feed.length; block++) {
    for (const env of await readEntries(feed, block) as Envelope[]) {
      if (env.schema !== 'person') continue
      if (env.op === 'put') live.set(env.id, env.value as Record<string, unknown>)
      else live.delete(env.id)
    }
  }
  return live
}

async function checkAgainst (t: test.Test, db: RecordDB, truth: Map<string, Record<string, unknown>>, who: string): Promise<void> {
  const listed = await collect(db.list('person'))
  t.equal(listed.length, truth.size, `${who}: list has every live record (${truth.size})`)
  t.ok(listed.every((r) => JSON.stringify(r.value) === JSON.stringify(truth.get(r.id))), `${who}: with its latest value`)
  const lima = (await collect(db.query('person', { where: { city: 'Lima' } }))).map((r) => r.id).sort()
  const limaTruth = [...truth].filter(([, v]) => v.city === 'Lima').map(([id]) => id).sort()
  t.deepEqual(lima, limaTruth, `${who}: query city=Lima (${limaTruth.length})`)
  const aged = (await collect(db.query('person', { where: { age: { gte: 90 } } }))).map((r) => r.id).sort()
  t.deepEqual(aged, [...truth].filter(([, v]) => (v.age as number) >= 90).map(([id]) => id).sort(), `${who}: query age>=90`)
  const quartz = (await db.search('quartz', { limit: 100_000 })).map((h) => h.record.id).sort()
  const quartzTruth = [...truth].filter(([, v]) => String(v.bio).includes('quartz')).map(([id]) => id).sort()
  t.deepEqual(quartz, quartzTruth, `${who}: search quartz (${quartzTruth.length})`)
}

/** Runs the child until `until` says so, then kills it with SIGKILL. */
async function runAndKill (dir: string, mode: string, until: (line: string, count: number) => boolean): Promise<number> {
  const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  let lines = 0
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter((l) => l !== '')) {
        lines++
        if (until(line, lines) && child.exitCode === null && !child.killed) child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code ?? signal}`))))
  })
  return lines
}

test('query and search are right after kill -9 with an unindexed backlog and in the middle of indexing, and on a replica', async (t) => {
  const dir = tmpDir(t, 'kappa-rdb-')
  const dir2 = tmpDir(t, 'kappa-rdb-')
  const setup = await openDb(dir)
  await setup.putSchema('person', personSchema)
  await setup.close()

  const steps = await runAndKill(dir, 'backlog', (_line, count) => count >= 7)
  t.pass(`killed with SIGKILL after ${steps} acknowledged steps (the last 3 with indexing paused)`)
  let db = await openDb(dir)
  let { index } = await db.status()
  t.comment(`after the kill: ${index.indexed} of ${index.total} entries were indexed`)
  await db.indexed()
  await checkAgainst(t, db, await truthFromLog(db), 'restarted')
  await db.close()

  await runAndKill(dir, 'mid-index', (line) => line === 'resuming')
  t.pass('killed with SIGKILL while indexing a backlog of 8,000 entries')
  db = await openDb(dir)
  const peer = await openDb(dir2, { key: db.key })
  try {
    ;({ index } = await db.status())
    t.comment(`after the kill: ${index.indexed} of ${index.total} entries were indexed`)
    await db.indexed()
    const truth = await truthFromLog(db)
    t.ok(truth.size >= 11000, `the log holds ${truth.size} live records`)
    await checkAgainst(t, db, truth, 'restarted again')

    const stop = connect(db, peer)
    await caughtUp(peer, db)
    await checkAgainst(t, peer, truth, 'replica')
    stop()
  } finally {
    await db.close()
    await peer.close()
  }
})
