// The suite's checks. Each runs the view under test over logs written from its
// values and compares what the view stored (every key and value of its sublevel,
// and its skip records) with a rebuild: a fresh instance of the view indexing the
// same logs from scratch.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { entrySize, packBlocks, type EncodedEntry } from '@kappa-ts/multifeed'
import type { KappaError, Writer } from '@kappa-ts/kappa-core'
import { ViewSuiteError } from './errors.js'
import { hostileSet } from './hostile.js'
import {
  VIEW, ValueWriter, connect, difference, lab, permutation, pick, rebuild, schedule, size, stateOf, withOverrides,
  type SuiteKappa, type ViewState
} from './lab.js'
import type { Resolved } from './options.js'
import type { SuiteAssert } from './suite-types.js'

/** Fails with where two states differ; passes with their size. */
function same (t: SuiteAssert, actual: ViewState, expected: ViewState, what: string): boolean {
  const diff = difference(actual, expected)
  t.ok(diff === null, diff === null ? `${what} (${size(expected)})` : `${what}: ${diff}`)
  return diff === null
}

/** The view is not in error and has every block of the logs done (its entries indexed or skipped). */
function caughtUp (t: SuiteAssert, kappa: SuiteKappa, what: string): void {
  const s = kappa.status()[VIEW]!
  if (s.error !== null) t.fail(`${what}: the view is in error: ${s.error.message}`)
  else t.equal(s.blocks.indexed, s.blocks.total, `${what}: every block of the logs is done (${s.indexed} entries, ${s.skipped} skipped)`)
}

/** Local writers w0..w(n-1) of one kappa. */
async function localWriters (kappa: SuiteKappa, n: number): Promise<Writer[]> {
  const out: Writer[] = []
  for (let j = 0; j < n; j++) out.push(await kappa.writer(`w${j}`))
  return out
}

/** Incremental indexing, live over several writers on several peers, equals a rebuild. */
export async function rebuildCheck (t: SuiteAssert, opts: Resolved): Promise<void> {
  const l = lab(opts, 'rebuild')
  t.teardown(() => l.cleanup())
  const peer = await l.open(l.folder('peer'))
  const sources: SuiteKappa[] = []
  for (let j = 1; j < opts.writers; j++) sources.push(await l.open(l.folder(`source${j}`), { view: null, key: peer.key }))
  const stops = sources.map((s) => connect(peer, s))
  // writer 0 is the peer's own (its appends reach the view from memory); the others replicate in
  const writers = [await peer.writer(), ...await Promise.all(sources.map((s) => s.writer()))]
  const plan = schedule(opts, 1)
  // the peer catches up every few appends: indexing goes in many batches, as entries arrive
  await new ValueWriter(opts, writers).run(plan, async (k) => { if (k % 3 === 2) await peer.synced() })
  await peer.synced()
  caughtUp(t, peer, 'live')
  const live = await stateOf(peer)
  for (const stop of stops) stop()
  await peer.close()
  same(t, live, await rebuild(l, l.folder('peer')), `indexed live as ${opts.count} values arrived from ${opts.writers} writers (${plan.length} appends), it equals a rebuild`)
}

/** The state does not depend on the order feeds arrive in, nor on where batches end. */
export async function orderCheck (t: SuiteAssert, opts: Resolved): Promise<void> {
  const l = lab(opts, 'order')
  t.teardown(() => l.cleanup())
  // one source peer per writer, so the order of the feeds is ours to choose
  const sources: SuiteKappa[] = [await l.open(l.folder('source0'), { view: null })]
  for (let j = 1; j < opts.writers; j++) sources.push(await l.open(l.folder(`source${j}`), { view: null, key: sources[0]!.key }))
  await new ValueWriter(opts, await Promise.all(sources.map((s) => s.writer()))).run(schedule(opts, 2))

  const declared = opts.create().maxBatch
  const variants: Array<{ maxBatch: number | undefined; order: number[] | 'all' }> = [
    { maxBatch: 1, order: permutation(opts.writers, opts.seed + 3) },
    { maxBatch: 2, order: permutation(opts.writers, opts.seed + 4) },
    { maxBatch: 7, order: [...Array(opts.writers).keys()].reverse() },
    { maxBatch: undefined, order: 'all' }
  ]
  const states: ViewState[] = []
  for (const [v, { maxBatch, order }] of variants.entries()) {
    const view = maxBatch === undefined ? opts.create() : withOverrides(opts.create(), { maxBatch })
    const peer = await l.open(l.folder(`peer${v}`), { view, key: sources[0]!.key, memory: true })
    if (order === 'all') {
      const stops = sources.map((s) => connect(peer, s))
      await peer.synced()
      for (const stop of stops) stop()
    } else {
      // one source after the other: the view indexes each feed before the next arrives
      for (const j of order) {
        const stop = connect(peer, sources[j]!)
        await peer.synced()
        stop()
      }
    }
    caughtUp(t, peer, `variant ${v}`)
    states.push(await stateOf(peer))
    await peer.close()
  }
  const reference = await rebuild(l, l.folder('peer0'))
  for (const [v, { maxBatch, order }] of variants.entries()) {
    const how = order === 'all' ? 'every feed at once' : `feeds in the order ${order.join(', ')}`
    same(t, states[v]!, reference, `${how}, at most ${maxBatch ?? declared ?? 500} entries a batch: equals a rebuild`)
  }
}

/** A SIGKILL while a batch is being mapped, then a restart: equals a rebuild, nothing lost or doubled. */
export async function crashCheck (t: SuiteAssert, opts: Resolved): Promise<void> {
  const l = lab(opts, 'crash')
  t.teardown(() => l.cleanup())
  const folder = l.folder('peer')
  const writerKappa = await l.open(folder, { view: null })
  await new ValueWriter(opts, await localWriters(writerKappa, opts.writers)).run(schedule(opts, 5))
  await writerKappa.close()

  const killAt = pick(2, 4, opts.seed + 6)
  const child = await killMidMap(opts, folder, killAt)
  t.ok(child.killed, `the child was killed with SIGKILL inside map call ${killAt}, its writes staged, after ${child.committed} entries were committed`)

  const restarted = await l.open(folder, { paused: true })
  const resumed = restarted.status()[VIEW]!
  t.ok(resumed.indexed >= child.committed && resumed.indexed < resumed.total,
    `the restart resumes from what was committed (${resumed.indexed} of ${resumed.total} entries done, ${child.committed} committed before the kill)`)
  restarted.resume()
  await restarted.indexed()
  caughtUp(t, restarted, 'after the restart')
  const after = await stateOf(restarted)
  await restarted.close()
  same(t, after, await rebuild(l, folder), 'after the kill and a restart, the view equals a rebuild')
}

/** Runs the crash child over `folder` until it is inside map call `killAt`, then SIGKILLs it. */
function killMidMap (opts: Resolved, folder: string, killAt: number): Promise<{ killed: boolean; committed: number }> {
  const script = fileURLToPath(new URL('./crash-child.js', import.meta.url))
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, JSON.stringify({ module: opts.module, exportName: opts.exportName, folder, killAt, maxBatch: 1 })],
      { stdio: ['ignore', 'pipe', 'pipe'] })
    let committed = 0
    let killed = false
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { indexed?: number; mapping?: number; done?: boolean }
      if (msg.indexed !== undefined) committed = msg.indexed
      if (msg.mapping === killAt && !killed) killed = proc.kill('SIGKILL')
    })
    proc.on('error', reject)
    proc.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve({ killed: true, committed })
      else reject(new ViewSuiteError('ERR_CHILD_FAILED', `the crash child exited (code ${String(code)}, signal ${String(signal)}) before map call ${killAt}: ${stderr.trim().slice(-2000)}`))
    })
  })
}

const MARKER = '~view-suite~stale'

/** The version is stable across instances of the view, and a bump clears what the view stored and rebuilds it. */
export async function versionCheck (t: SuiteAssert, opts: Resolved): Promise<void> {
  const l = lab(opts, 'version')
  t.teardown(() => l.cleanup())
  const folder = l.folder('peer')
  const first = await l.open(folder)
  await new ValueWriter(opts, await localWriters(first, opts.writers)).run(schedule(opts, 7))
  await first.indexed()
  const before = await stateOf(first)
  // a row no version of the view wrote: a rebuild must not keep it
  await first.context(VIEW).db.put(MARKER, 'stale')
  await first.close()

  const again = await l.open(folder)
  await again.indexed()
  t.equal(await again.context(VIEW).db.get(MARKER), 'stale', `a fresh instance of the view has the same version (${JSON.stringify(opts.create().version ?? null)}): its data is kept, not rebuilt`)
  await again.context(VIEW).db.del(MARKER)
  same(t, await stateOf(again), before, 'reopened, the view holds what it held')
  await again.context(VIEW).db.put(MARKER, 'stale')
  await again.close()

  const base = opts.create()
  const bumped = `${String(base.version ?? '')}+view-suite`
  const rebuilt = await l.open(folder, { view: withOverrides(base, { version: bumped }) })
  await rebuilt.indexed()
  caughtUp(t, rebuilt, 'after the version bump')
  t.equal(await rebuilt.context(VIEW).db.get(MARKER), undefined, `version ${JSON.stringify(bumped)}: what the old version stored is gone`)
  const after = await stateOf(rebuilt)
  await rebuilt.close()
  same(t, after, await rebuild(l, folder), 'rebuilt for the new version, it equals a rebuild')
}

/** A writer truncates its feed and appends again: nothing derived from the removed entries is left. */
export async function truncateCheck (t: SuiteAssert, opts: Resolved): Promise<void> {
  const l = lab(opts, 'truncate')
  t.teardown(() => l.cleanup())
  const folder = l.folder('peer')
  const kappa = await l.open(folder)
  const writers = await localWriters(kappa, opts.writers)
  const values = new ValueWriter(opts, writers)
  await values.run(schedule(opts, 8))
  await kappa.indexed()
  // the writer with the most blocks loses its tail, then writes new entries at the same addresses
  const w = writers.reduce((a, b) => (b.length > a.length ? b : a))
  const j = writers.indexOf(w)
  const length = pick(1, w.length - 1, opts.seed + 9)
  const removedFrom = kappa.status()[VIEW]!.indexed
  await w.feed.truncate(length)
  for (let k = 0; k < 3; k++) await values.append(j, 3)
  await values.append((j + 1) % opts.writers, 2)
  await kappa.indexed()
  caughtUp(t, kappa, 'after the truncation')
  const after = await stateOf(kappa)
  await kappa.close()
  same(t, after, await rebuild(l, folder),
    `feed ${j} truncated from ${removedFrom > 0 ? 'an indexed' : 'a'} log to ${length} blocks and appended to: the view equals a rebuild that never saw the removed entries`)
}

/** Hostile entries (deep, huge, ill-formed text, JSON of no shape of the view's) are skipped and recorded, never fatal. */
export async function hostileCheck (t: SuiteAssert, opts: Resolved): Promise<void> {
  const l = lab(opts, 'hostile')
  t.teardown(() => l.cleanup())
  const folder = l.folder('peer')
  const kappa = await l.open(folder)
  const failures: string[] = []
  kappa.on('view-error', (_name: string, err: KappaError) => failures.push(err.message))
  const writers = await localWriters(kappa, opts.writers)
  const hostileWriter = await kappa.writer('hostile')
  const rawFeed = (await kappa.writer('raw')).feed
  const samples = [0, 1, 2].map((i) => opts.values(i, { writer: 0, feed: writers[0]!.key, ids: [] }))
  const set = hostileSet(opts.valueEncoding, samples)
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).join()

  // raw: good values and junk packed in one block (the good ones are indexed), then a block that is no block
  const rawEntries: EncodedEntry[] = []
  const rawBad: number[] = []
  const encode = (v: unknown): EncodedEntry => (opts.valueEncoding === 'json' ? JSON.stringify(v) : v instanceof Uint8Array ? v : String(v))
  for (const r of set.raw) { rawEntries.push(encode(samples[0])); rawBad.push(rawEntries.length); rawEntries.push(r) }
  rawEntries.push(encode(samples[1]))
  const [packed] = packBlocks(rawEntries, rawEntries.map(entrySize), 0, Infinity)
  await rawFeed.append(packed!.block)

  // hostile values among good ones, in blocks of their own feed, between the writers' appends
  let next = 0
  const values = new ValueWriter(opts, writers)
  await values.run(schedule(opts, 10), async (k) => {
    if (next >= set.values.length) return
    const chunk = set.values.slice(next, next + 12)
    next += chunk.length
    await hostileWriter.append([samples[k % samples.length], ...chunk, samples[(k + 1) % samples.length]])
  })
  if (next < set.values.length) await hostileWriter.append(set.values.slice(next))
  await rawFeed.append(set.junkBlock)
  await values.append(0, 2)

  await kappa.indexed().catch((err: unknown) => failures.push(err instanceof Error ? err.message : String(err)))
  t.deepEqual(failures, [], `${set.values.length + set.raw.length + 1} hostile entries did not stop the view`)
  caughtUp(t, kappa, 'with hostile entries')
  const state = await stateOf(kappa)
  const rawKey = rawFeed.key!.toString('hex')
  const recorded = (block: number, index: number | null): boolean => state.skipped.some((s) => s.key === rawKey && s.block === block && s.index === index)
  if (rawBad.length > 0) t.ok(rawBad.every((i) => recorded(0, i)), `the ${rawBad.length} entries no reader takes (too deep, not JSON) are skipped and recorded`)
  t.ok(recorded(1, null), 'the block that is no block is skipped and recorded')
  t.ok(state.skipped.every((s) => typeof s.code === 'string' && s.code !== '' && typeof s.reason === 'string' && s.reason !== ''),
    `every skip record has a code and a reason (${state.skipped.length} records)`)
  if (opts.valueEncoding === 'json' && !JSON.stringify(samples).includes('\ufffd')) {
    const mangled = state.rows.find(([k, v]) => k.includes(REPLACEMENT) || v.includes(REPLACEMENT))
    t.ok(mangled === undefined, mangled === undefined
      ? 'no ill-formed text was stored (a lone surrogate stored as UTF-8 turns into U+FFFD: two different strings, one key)'
      : `ill-formed text was stored as U+FFFD: ${JSON.stringify(mangled[0].toString())}; skip such entries (batch.skip) or store them escaped`)
  }
  t.equal(Object.getOwnPropertyNames(Object.prototype).join(), protoBefore, 'no entry polluted Object.prototype')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'objects have no "polluted" property')
  await kappa.close()
  same(t, state, await rebuild(l, folder), 'with hostile entries, the view equals a rebuild')
}

const REPLACEMENT = Buffer.from('\ufffd')

export const CHECK_RUNNERS: Record<string, { title: string; run: (t: SuiteAssert, opts: Resolved) => Promise<void> }> = {
  rebuild: { title: 'incremental indexing over several writers equals a rebuild', run: rebuildCheck },
  order: { title: 'the result does not depend on arrival order or batch boundaries', run: orderCheck },
  crash: { title: 'a SIGKILL mid-indexing, then a restart, equals a rebuild', run: crashCheck },
  version: { title: 'a stable version keeps the data; a version bump rebuilds', run: versionCheck },
  truncate: { title: 'a truncated feed leaves nothing of the removed entries', run: truncateCheck },
  hostile: { title: 'hostile entries are skipped and recorded, never fatal', run: hostileCheck }
}
