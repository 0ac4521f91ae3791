// kill -9 while writing and indexing, restart: the views agree with the log; a replica agrees too.
import test from 'tape'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Envelope } from '@kappa-ts/schemas'
import { collect, connect, caughtUp, openDb, personSchema, rm, tmpdir } from './helpers.js'
import type { RecordDB } from '../src/index.js'

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.js', import.meta.url))

/** The live records according to the log itself (one writer: feed order is version order). */
async function truthFromLog (db: RecordDB): Promise<Map<string, Record<string, unknown>>> {
  const feed = db.kappa.feed(db.writerKey)
  if (feed === undefined) throw new Error('no writer feed')
  const live = new Map<string, Record<string, unknown>>()
  for (let i = 0; i < feed.length; i++) {
    const env = await feed.get(i) as Envelope
    if (env.schema !== 'person') continue
    if (env.op === 'put') live.set(env.id, env.value as Record<string, unknown>)
    else live.delete(env.id)
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

test('query and search are right after kill -9 during writes and indexing, and on a replica', async (t) => {
  const dir = tmpdir()
  const dir2 = tmpdir()
  const setup = await openDb(dir)
  await setup.putSchema('person', personSchema)
  await setup.close()

  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let rounds = 0
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      rounds += chunk.split('\n').filter((l) => l.startsWith('wrote')).length
      if (rounds >= 12 && child.exitCode === null && !child.killed) child.kill('SIGKILL')
    })
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code ?? signal}`))))
  })
  t.pass(`child killed with SIGKILL after ${rounds} acknowledged batches`)

  const db = await openDb(dir)
  const peer = await openDb(dir2, { key: db.key })
  try {
    await db.indexed()
    const truth = await truthFromLog(db)
    t.ok(truth.size >= 1000, `the log holds ${truth.size} live records`)
    await checkAgainst(t, db, truth, 'restarted')

    const stop = connect(db, peer)
    await caughtUp(peer, db)
    await checkAgainst(t, peer, truth, 'replica')
    stop()
  } finally {
    await db.close()
    await peer.close()
    rm(dir)
    rm(dir2)
  }
})
