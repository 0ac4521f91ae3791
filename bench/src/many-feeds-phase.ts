// One phase of the many-feeds scenario, in a process of its own so that its time
// and memory are its own: `node --expose-gc many-feeds-phase.js <phase> <json>`.
// Prints `RESULT {json}` on stdout.
//
//   create  a kappa with a kv view and N local writers of a few entries each, until indexed; closed
//   reopen  the same folder reopened until indexed: time, then memory of the idle peer,
//           then one kv get per feed (which needs every feed's entry) and memory again
//   fresh   the folder reopened as a source, and a fresh peer with the same key that
//           replicates from it over one stream until its view has indexed everything
//   floor   the hypercore work any sync of N one-author feeds does, without a wire: open each
//           of the source's feeds and read its block, then create N cores in a new Corestore
//           with one block each (a yardstick for `fresh`: one hypercore per author on each side)
import path from 'node:path'
import { rmSync } from 'node:fs'
import Corestore from 'corestore'
import { Kappa } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
import { connect, untilIndexed } from './setup.js'
import { MB, RssSampler, now, round } from './stats.js'

export interface PhaseArgs {
  dir: string
  feeds: number
  entries: number
}

// Room for the bench's own N feeds on a fresh peer (the default maxFeeds is 10,000).
const MAX_FEEDS = 1_000_000
/** Writers created (and appended to) at once while creating. */
const CREATE_PARALLEL = 64

function kappaAt (dir: string, key?: Buffer): Kappa<{ kv: ReturnType<typeof kvView> }> {
  return new Kappa(dir, { maxFeeds: MAX_FEEDS, views: { kv: kvView() }, ...(key !== undefined ? { key } : {}) })
}

function keyOf (feed: number, entry: number): string {
  return `f${feed}-e${entry}`
}

/** Memory after a full collection (the process runs with --expose-gc). */
function settledMemory (): { rss: number; heap: number; external: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) { gc(); gc() }
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function create ({ dir, feeds, entries }: PhaseArgs): Promise<Record<string, unknown>> {
  const kappa = kappaAt(path.join(dir, 'source'))
  await kappa.ready()
  const start = now()
  for (let first = 0; first < feeds; first += CREATE_PARALLEL) {
    const batch: Array<Promise<unknown>> = []
    for (let f = first; f < Math.min(feeds, first + CREATE_PARALLEL); f++) {
      batch.push(kappa.writer(`author-${f}`).then((w) => w.append(
        Array.from({ length: entries }, (_, e) => ({ key: keyOf(f, e), value: { feed: f, entry: e }, links: [] })))))
    }
    await Promise.all(batch)
  }
  await kappa.indexed()
  const createMs = now() - start
  const indexed = kappa.status().kv!.indexed
  if (indexed !== feeds * entries) throw new Error(`create: indexed ${indexed} of ${feeds * entries}`)
  const key = kappa.key.toString('hex')
  await kappa.close()
  return { createMs: round(createMs, 1), key }
}

async function reopen ({ dir, feeds, entries }: PhaseArgs): Promise<Record<string, unknown>> {
  const before = settledMemory()
  const start = now()
  const kappa = kappaAt(path.join(dir, 'source'))
  await kappa.ready()
  await kappa.indexed()
  const reopenMs = now() - start
  const indexed = kappa.status().kv!.indexed
  if (indexed !== feeds * entries) throw new Error(`reopen: the view reports ${indexed} of ${feeds * entries} entries`)
  // Let whatever the reopen started settle (lingering sessions, background compaction).
  await pause(1000)
  const idle = settledMemory()
  // Every feed's entry is needed: one kv get per feed.
  const getStart = now()
  for (let f = 0; f < feeds; f++) {
    const heads = await kappa.api.kv.get(keyOf(f, 0))
    if (heads.length !== 1 || (heads[0]!.value as { feed: number }).feed !== f) throw new Error(`reopen: kv get of feed ${f} returned ${JSON.stringify(heads)}`)
  }
  const getMs = now() - getStart
  const active = settledMemory()
  await kappa.close()
  return {
    reopenMs: round(reopenMs, 1),
    idleRssMB: round(idle.rss / MB, 1),
    idleBytesPerFeed: Math.round((idle.rss - before.rss) / feeds),
    idleHeapBytesPerFeed: Math.round((idle.heap + idle.external - before.heap - before.external) / feeds),
    getEveryFeedMs: round(getMs, 1),
    activeRssMB: round(active.rss / MB, 1),
    activeBytesPerFeed: Math.round((active.rss - before.rss) / feeds),
    activeHeapBytesPerFeed: Math.round((active.heap + active.external - before.heap - before.external) / feeds)
  }
}

async function fresh ({ dir, feeds, entries }: PhaseArgs): Promise<Record<string, unknown>> {
  const rss = new RssSampler(50).start()
  const source = kappaAt(path.join(dir, 'source'))
  await source.ready()
  await source.indexed()
  const peer = kappaAt(path.join(dir, 'fresh'), source.key)
  await peer.ready()
  const start = now()
  const hangup = connect(source, peer)
  await untilIndexed(peer, feeds * entries)
  const freshMs = now() - start
  const heads = await peer.api.kv.get(keyOf(feeds - 1, 0))
  if (heads.length !== 1) throw new Error('fresh: kv get on the fresh peer found nothing')
  hangup()
  await peer.close()
  await source.close()
  return { freshMs: round(freshMs, 1), freshPeakRssMB: round(rss.stop() / MB, 1) }
}

/** Feeds opened or created at once in the floor phase (as many as admission checks at once). */
const FLOOR_PARALLEL = 64

async function floor ({ dir, feeds }: PhaseArgs): Promise<Record<string, unknown>> {
  const source = kappaAt(path.join(dir, 'source'))
  await source.ready()
  const keys = source.feedKeys()
  const openStart = now()
  for (let first = 0; first < keys.length; first += FLOOR_PARALLEL) {
    await Promise.all(keys.slice(first, first + FLOOR_PARALLEL).map(async (key) => {
      const feed = await source.multifeed.hold(key)
      if (feed === undefined) throw new Error(`floor: feed ${key} is not in the set`)
      await feed.get(0)
      source.multifeed.release(key)
    }))
  }
  const openMs = now() - openStart
  await source.close()
  const storeDir = path.join(dir, 'floor-cores')
  const store = new Corestore(storeDir)
  await store.ready()
  const block = Buffer.alloc(128, 1) // about one packed block of 3 small entries
  const createStart = now()
  for (let first = 0; first < feeds; first += FLOOR_PARALLEL) {
    await Promise.all(Array.from({ length: Math.min(FLOOR_PARALLEL, feeds - first) }, async (_, j) => {
      const core = store.get({ name: `author-${first + j}` })
      await core.append(block)
      await core.close()
    }))
  }
  const createMs = now() - createStart
  await store.close()
  rmSync(storeDir, { recursive: true, force: true })
  return { floorOpenMs: round(openMs, 1), floorCreateMs: round(createMs, 1), floorMs: round(openMs + createMs, 1) }
}

const PHASES = { create, reopen, fresh, floor }

async function main (): Promise<void> {
  const phase = process.argv[2] as keyof typeof PHASES
  const args = JSON.parse(process.argv[3] ?? '{}') as PhaseArgs
  const run = PHASES[phase]
  if (run === undefined) throw new Error(`unknown phase ${String(phase)}`)
  const figures = await run(args)
  process.stdout.write(`RESULT ${JSON.stringify(figures)}\n`)
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
