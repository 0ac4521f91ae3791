// Exactly-once under SIGKILL: a child process indexes a multifeed into a counting
// consumer and is killed at random moments (seeded); after the last restart every
// entry has been counted exactly once. The logs mix block sizes: one entry per
// block, small packed blocks and large ones, so kills land inside and between blocks.
import test from 'tape'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Multifeed } from '@kappa-ts/multifeed'
import { closeAtEnd, tmpDir } from '@kappa-ts/test-helpers'
import { openDb, feedKey, append } from './helpers.js'

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-child.js')
const FEEDS = 3
const PER_FEED = 7_000
const KILLS = 24

// mulberry32: a tiny seeded PRNG so the kill schedule is the same every run
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Run { child: ChildProcess; lines: string[]; exited: Promise<{ code: number | null; signal: string | null }>; line: (prefix: string) => Promise<string | null> }

function start (dir: string, maxBatch: number, version: number): Run {
  const child = spawn(process.execPath, [CHILD, dir, String(maxBatch), String(version)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  const waiting: Array<{ prefix: string; resolve: (l: string | null) => void }> = []
  let buf = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (d: string) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) !== -1) {
      const l = buf.slice(0, i)
      buf = buf.slice(i + 1)
      lines.push(l)
      for (const w of waiting.splice(0)) {
        if (l.startsWith(w.prefix)) w.resolve(l)
        else waiting.push(w)
      }
    }
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of waiting.splice(0)) w.resolve(null)
      resolve({ code, signal })
    })
  })
  return {
    child,
    lines,
    exited,
    line: (prefix) => {
      const seen = lines.find((l) => l.startsWith(prefix))
      if (seen !== undefined) return Promise.resolve(seen)
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(null)
      return new Promise((resolve) => waiting.push({ prefix, resolve }))
    }
  }
}

test(`exactly-once under SIGKILL: ${FEEDS} feeds, ${FEEDS * PER_FEED} entries, ${KILLS} kills`, async (t) => {
  const dir = tmpDir(t, 'kappa-mfi-')
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  const keys: string[] = []
  for (let f = 0; f < FEEDS; f++) {
    const w = await multifeed.writer('w' + f)
    keys.push(feedKey(w))
    for (let i = 0, chunk = 0; i < PER_FEED; i += 1000, chunk++) {
      const perBlock = [1, 7, 100, 3, 250][(f + chunk) % 5]
      await append(w, Array.from({ length: Math.min(1000, PER_FEED - i) }, (_, j) => ({ f, i: i + j, text: 'entry ' + (i + j) })), perBlock)
    }
  }
  await multifeed.close()

  const random = prng(0xC0FFEE)
  let kills = 0
  let midIndex = 0
  let runs = 0
  const startedAt: number[] = []
  while (kills < KILLS) {
    const maxBatch = 8 + Math.floor(random() * 56)
    const delay = Math.floor(random() * 70)
    // half way through the consumer's version changes: the rebuild is killed too
    const version = kills < KILLS / 2 ? 1 : 2
    const run = start(dir, maxBatch, version)
    runs++
    const opened = await run.line('open')
    if (opened === null) { t.fail('child died before opening'); break }
    startedAt.push(Number(opened.split(' ')[1]))
    // a random moment after this run's first commit (or its end): a fixed delay alone, on a
    // loaded machine, killed runs that had committed nothing yet
    await Promise.race([run.line('batch'), run.line('done')])
    await new Promise((resolve) => setTimeout(resolve, delay))
    const finished = run.lines.some((l) => l.startsWith('done'))
    run.child.kill('SIGKILL')
    const { signal } = await run.exited
    if (signal === 'SIGKILL') {
      kills++
      if (!finished) midIndex++
    }
    if (finished) break
  }
  t.ok(kills >= 20, `${kills} kills (${midIndex} before the child had caught up) in ${runs} runs`)
  t.ok(midIndex >= 20, 'at least 20 kills landed while indexing')
  // each restart resumed where the last one was killed, after the commit it was killed past:
  // every restart advanced but the one that changed the version
  const advanced = startedAt.filter((n, i) => i > 0 && n > startedAt[i - 1]).length
  t.equal(advanced, startedAt.length - 2, `progress advanced across ${advanced} of ${startedAt.length - 1} restarts (${startedAt.join(',')})`)
  t.ok(startedAt[KILLS / 2] < startedAt[KILLS / 2 - 1], 'the version change started over')
  t.ok(startedAt[startedAt.length - 1] < FEEDS * PER_FEED, 'work was left for the last run')

  // a last run to the end
  const last = start(dir, 64, 2)
  const done = await last.line('done')
  await last.exited
  t.ok(done !== null, 'the last run caught up: ' + String(done))

  // opened only now: the children held the LevelDB's lock until here
  const db = closeAtEnd(t, openDb(dir))
  const meta = await db.sublevel<string, { generation: number; stale: number[] }>('meta', { valueEncoding: 'json' }).get('state')
  t.ok(meta !== undefined && meta.generation >= 1, 'a later generation after the version change')
  t.deepEqual(meta?.stale, [], 'old generations deleted')
  let oldKeys = 0
  for await (const _ of db.sublevel('g0').keys()) oldKeys++
  t.equal(oldKeys, 0, 'nothing left of generation 0')
  const data = db.sublevel('g' + String(meta?.generation)).sublevel<string, { count: number; value: { f: number; i: number } }>('data', { valueEncoding: 'json' })
  // counted by address; each entry's value says which (feed, i) it is
  const counts = new Map<string, number>()
  for await (const [k, v] of data.iterator()) {
    const id = `${keys[v.value.f]}/${v.value.i}`
    if (!k.startsWith(keys[v.value.f]! + ':')) t.fail(`entry ${id} recorded under another feed`)
    counts.set(id, (counts.get(id) ?? 0) + v.count)
  }
  let missing = 0
  let twice = 0
  for (const key of keys) {
    for (let i = 0; i < PER_FEED; i++) {
      const c = counts.get(`${key}/${i}`)
      if (c === undefined) missing++
      else if (c !== 1) twice++
    }
  }
  t.equal(counts.size, FEEDS * PER_FEED, 'one record per entry, no strays')
  t.equal(missing, 0, 'no entry missing')
  t.equal(twice, 0, 'no entry counted twice')
})
