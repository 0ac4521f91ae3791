// multifeed-index's test helpers: a multifeed and a LevelDB in a temp folder, a counting consumer,
// waiting on the index's events (no sleeps). Temp folders and closing at the test's end come from
// @kappa-ts/test-helpers.
import path from 'node:path'
import { EventEmitter } from 'node:events'
import Corestore from 'corestore'
import type { Duplex } from 'node:stream'
import { Level } from 'level'
import { decodeBlock, encodeEntry, entrySize, packBlocks, Multifeed } from '@kappa-ts/multifeed'
import { closeAtEnd, tmpDir, untilEvent, type TestLike } from '@kappa-ts/test-helpers'
import { MultifeedIndex, type Entry, type IndexBatch, type IndexContext, type IndexProgress, type Feed, type MultifeedLike } from '../src/index.js'

export type Db = Level<string, unknown>
export function openDb (dir: string): Db {
  return new Level<string, unknown>(path.join(dir, 'views'), { valueEncoding: 'json' })
}

/**
 * What most tests start from: a temp folder with a multifeed in `cores` and a LevelDB in
 * `views`. When the test ends (passed or not) both are closed, then the folder is removed;
 * a test that closes them itself (a restart) may, closing twice is harmless.
 */
export function fixture (t: TestLike): { dir: string; multifeed: Multifeed; db: Db } {
  const dir = tmpDir(t, 'kappa-mfi-')
  const multifeed = closeAtEnd(t, new Multifeed(path.join(dir, 'cores')))
  const db = closeAtEnd(t, openDb(dir))
  return { dir, multifeed, db }
}

export function feedKey (feed: Feed): string {
  return (feed.key as Buffer).toString('hex')
}

/** `<feed>:<block>.<index>`: the key countingMap stores an entry under. */
export function entryKey (feed: string, block: number, index = 0): string {
  return `${feed}:${block}.${index}`
}

/**
 * Appends `values` to a feed in packed blocks of `perBlock` entries each (the
 * last one may hold fewer), in one hypercore append. One entry per block by
 * default, so a test can count blocks as it counts values.
 */
export async function append (feed: Feed, values: unknown | unknown[], perBlock = 1): Promise<void> {
  const list = Array.isArray(values) ? values : [values]
  if (list.length === 0) return
  await feed.ready()
  let offset = 0
  try {
    offset = feed.length === 0 ? 0 : decodeBlock(await feed.get(feed.length - 1) as Buffer).end
  } catch {
    offset = feed.length // a malformed last block (a test wrote one): a lower bound
  }
  const blocks: Buffer[] = []
  for (let i = 0; i < list.length; i += perBlock) {
    const entries = list.slice(i, i + perBlock).map((v) => encodeEntry('json', v))
    const [only] = packBlocks(entries, entries.map(entrySize), offset, Infinity)
    blocks.push(only!.block)
    offset += entries.length
  }
  await feed.append(blocks)
}

/** Entries indexed and in total (the entry part of progress()). */
export function entries (index: MultifeedIndex | IndexProgress): { indexed: number; total: number } {
  const p = index instanceof MultifeedIndex ? index.progress() : index
  return { indexed: p.indexed, total: p.total }
}

/** A consumer map that counts how often each entry was indexed, in ctx.data. */
export async function countingMap (entries: Entry[], batch: IndexBatch, ctx: IndexContext): Promise<void> {
  const keys = entries.map((e) => entryKey(e.key, e.address.block, e.address.index))
  const counts: unknown[] = await ctx.data.getMany(keys)
  for (let i = 0; i < keys.length; i++) {
    const c = counts[i]
    batch.put(keys[i], { count: (typeof c === 'object' && c !== null ? (c as { count: number }).count : 0) + 1, value: entries[i].value }, { sublevel: ctx.data })
  }
}

export async function dataOf (index: MultifeedIndex): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>()
  for await (const [k, v] of index.data.iterator()) out.set(String(k), v)
  return out
}

export function once<T = unknown> (emitter: EventEmitter, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (v: T) => resolve(v)))
}

/** Resolves when the index emits `state` === wanted (or already is). */
export function untilState (index: MultifeedIndex, wanted: string): Promise<void> {
  return new Promise((resolve) => {
    if (index.state === wanted) { resolve(); return }
    const on = (s: string): void => { if (s === wanted) { index.off('state', on); resolve() } }
    index.on('state', on)
  })
}

/**
 * A minimal multifeed over a plain Corestore (feeds(), feed(), 'feed'), for tests
 * that need what the real multifeed does not do, e.g. sparse replication.
 */
export class StoreFeeds extends EventEmitter implements MultifeedLike {
  readonly store: Corestore
  private readonly list: Feed[] = []
  constructor (store: Corestore) { super(); this.store = store }
  feeds (): Feed[] { return [...this.list] }
  feed (key: string | Uint8Array): Feed | undefined {
    const hex = typeof key === 'string' ? key : Buffer.from(key).toString('hex')
    return this.list.find((f) => feedKey(f) === hex)
  }

  async add (opts: { name?: string; key?: Buffer }): Promise<Feed> {
    const feed = this.store.get({ ...opts, valueEncoding: 'binary' })
    await feed.ready()
    this.list.push(feed)
    this.emit('feed', feed)
    return feed
  }

  replicate (isInitiator: boolean): Duplex { return this.store.replicate(isInitiator) }
}

/** Resolves when cond() holds, re-checked on every 'batch' and 'truncate' of the index. */
export function untilIndexed (index: MultifeedIndex, cond: () => boolean | Promise<boolean>): Promise<void> {
  return untilEvent(index, ['batch', 'truncate'], cond, 'the index')
}
