// The cursor summary (src/cursor-summary.ts): a clean close writes every cursor into
// one value, the next open reads that instead of every record and deletes it at once.
// Which of the two an open read is seen by editing a stored record behind the index's
// back after it closed: the summary does not have the edit, the records do.
import test from 'tape'
import path from 'node:path'
import { Multifeed } from '@kappa-ts/multifeed'
import { defer, tmpDir } from '@kappa-ts/test-helpers'
import { MultifeedIndex, type Entry } from '../src/index.js'
import { append, countingMap, feedKey, openDb, type Db } from './helpers.js'
import { decodeSummary, encodeSummary } from '../src/cursor-summary.js'

const FEEDS = 12

interface Opened { multifeed: Multifeed; db: Db; index: MultifeedIndex; mapped: Entry[] }

async function open (dir: string, version?: number): Promise<Opened> {
  const multifeed = new Multifeed(path.join(dir, 'cores'))
  await multifeed.ready()
  const db = openDb(dir)
  const mapped: Entry[] = []
  const index = new MultifeedIndex({ multifeed, db, ...(version !== undefined ? { version } : {}), map: async (entries, batch, ctx) => { mapped.push(...entries); await countingMap(entries, batch, ctx) } })
  await index.indexed()
  return { multifeed, db, index, mapped }
}

/** Closes the index first (a clean close), or only the storage under it (as a crash leaves it). */
async function close (o: Opened, clean: boolean): Promise<void> {
  if (clean) await o.index.close()
  await o.db.close()
  await o.multifeed.close()
}

/** 12 feeds of 3 entries, indexed, then closed cleanly; returns a key whose record the test edits. */
async function indexedFolder (t: test.Test): Promise<{ dir: string, edited: string }> {
  const dir = tmpDir(t, 'kappa-mfi-')
  const first = await open(dir)
  let edited = ''
  for (let i = 0; i < FEEDS; i++) {
    const w = await first.multifeed.writer(`w${i}`)
    await append(w, [{ i, n: 0 }, { i, n: 1 }, { i, n: 2 }])
    if (i === 0) edited = feedKey(w)
  }
  await first.index.indexed()
  t.equal(first.mapped.length, FEEDS * 3, 'every entry indexed once')
  await close(first, true)
  return { dir, edited }
}

/** Rewrites a feed's stored cursor to claim only its first block was done. */
async function forgetBlocks (dir: string, key: string): Promise<void> {
  const db = openDb(dir)
  const cursors = db.sublevel('g0').sublevel<string, unknown>('cursors', { valueEncoding: 'json' })
  const record = await cursors.get(key) as { ranges: number[][] }
  await cursors.put(key, { ...record, ranges: [[0, 1]], entries: 1 })
  await db.close()
}

test('summary: a clean reopen reads the cursors from the summary the close wrote, and deletes it before indexing', async (t) => {
  const { dir, edited } = await indexedFolder(t)
  await forgetBlocks(dir, edited)
  const again = await open(dir)
  defer(t, () => close(again, true))
  t.equal(again.mapped.length, 0, 'nothing re-indexed: the record edited after the close was not read')
  t.equal(again.index.progress().indexed, FEEDS * 3, 'progress is what the close left')
  const summary = await again.db.sublevel('summary', { valueEncoding: 'view' }).get('cursors')
  t.equal(summary, undefined, 'the summary is gone once the index is open (a crash from here is not covered by it)')
  const w = await again.multifeed.writer('w5')
  await append(w, { n: 3 })
  await again.index.indexed()
  t.deepEqual(again.mapped.map((e) => e.value), [{ n: 3 }], 'a new entry is indexed, once')
})

test('summary: after a crash there is none, and the records are read', async (t) => {
  const { dir, edited } = await indexedFolder(t)
  const reopened = await open(dir) // takes (deletes) the summary
  await close(reopened, false) // then "crashes": the index never closes
  await forgetBlocks(dir, edited)
  const again = await open(dir)
  defer(t, () => close(again, true))
  t.deepEqual(again.mapped.filter((e) => e.key === edited).map((e) => e.address.block), [1, 2],
    'the edited record was read: the two blocks it no longer covers were indexed again')
  t.equal(again.mapped.length, 2, 'and nothing else')
})

test('summary: a summary of another generation (the view\'s version changed) is not used', async (t) => {
  const { dir } = await indexedFolder(t)
  const again = await open(dir, 2) // a new version: a fresh generation, everything indexed again
  defer(t, () => close(again, true))
  t.equal(again.mapped.length, FEEDS * 3, 'every entry indexed again into the new generation')
})

test('summary: the format round-trips hex and other keys, and a damaged one reads as none', (t) => {
  const hex = new Map([['ab'.repeat(32), { fork: 0, ranges: [[0, 3]] as Array<[number, number]>, entries: 5, skipped: 1 }], ['cd'.repeat(32), { fork: 2, ranges: [[0, 2], [4, 9]] as Array<[number, number]>, entries: 7, skipped: 0 }]])
  const named = new Map([['feed-a', { fork: 0, ranges: [] as Array<[number, number]>, entries: 0, skipped: 0 }], ['ab'.repeat(32), { fork: 1, ranges: [[1, 2]] as Array<[number, number]>, entries: 1, skipped: 0 }]])
  for (const [what, cursors] of [['hex keys', hex], ['other keys', named]] as const) {
    const buf = encodeSummary(7, cursors)
    t.deepEqual(decodeSummary(buf, 7), cursors, `${what}: read back as written`)
    t.equal(decodeSummary(buf, 8), null, `${what}: another generation's is none`)
    t.equal(decodeSummary(buf.subarray(0, buf.byteLength - 1), 7), null, `${what}: a truncated one is none`)
    t.equal(decodeSummary(Buffer.concat([buf, Buffer.from([0])]), 7), null, `${what}: trailing bytes make it none`)
  }
  t.end()
})
