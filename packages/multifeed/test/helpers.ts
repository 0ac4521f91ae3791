// Multifeed's test helpers: piping peers, waiting on feed events instead of sleeping, reading entries.
// (Temp folders and the event-driven wait come from @kappa-ts/test-helpers.)
import { EventEmitter } from 'node:events'
import { openPair, untilEvent, type TestLike } from '@kappa-ts/test-helpers'
import type { Duplex } from 'node:stream'
import { Multifeed, appendEntries, readEntries, type Feed, type MultifeedOptions, type ValueEncoding } from '../src/index.js'

/**
 * Two multifeeds of one set, ready, in temp folders of their own: b has a's key (and
 * `bOpts`). Not connected. Closed when the test ends, then their folders removed.
 */
export function twoPeers (t: TestLike, bOpts: MultifeedOptions = {}): Promise<[Multifeed, Multifeed]> {
  return openPair(t, async (dir, first?: Multifeed) => {
    const m = first === undefined ? new Multifeed(dir) : new Multifeed(dir, { ...bOpts, key: first.key })
    await m.ready()
    return m
  }, 'kappa-multifeed-')
}

/** Pipes two replication streams into each other; resolves when both have closed. */
export function pipe (a: Duplex, b: Duplex): Promise<void> {
  a.pipe(b).pipe(a)
  return Promise.all([closed(a), closed(b)]).then(() => {})
}

export function closed (s: Duplex): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve()
    else s.once('close', () => resolve())
  })
}

/** Every entry of every feed, as `${key}:${seq}` -> value, reading only local blocks (opening each feed for the read). */
export async function contents (m: Multifeed): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>()
  for (const key of m.keys()) {
    const feed = await m.hold(key)
    if (feed === undefined) continue
    try {
      for (let i = 0; i < feed.length; i++) out.set(`${key}:${i}`, await entryAt(feed, i, { wait: false, encoding: m.valueEncoding }))
    } finally {
      m.release(key)
    }
  }
  return out
}

/** Blocks of `key` stored in `m` from 0 (0 if it is not a feed of the set), open or not. */
export function held (m: Multifeed, key: string): number {
  return m.lengths(key)?.contiguousLength ?? 0
}

/** Reads the first entry of block `block` of `key`, opening the feed for the read. */
export async function readAt (m: Multifeed, key: string, block: number, opts: { wait?: boolean } = {}): Promise<unknown> {
  const feed = await m.hold(key)
  if (feed === undefined) return undefined
  try {
    return await entryAt(feed, block, { ...opts, encoding: m.valueEncoding })
  } finally {
    m.release(key)
  }
}

/**
 * Resolves once `cond()` holds, re-checking whenever any multifeed gains a feed
 * or any feed appends, downloads or learns a new length. No polling, no sleeps.
 */
export async function until (peers: Multifeed[], cond: () => boolean | Promise<boolean>, label = 'condition'): Promise<void> {
  // feeds come and go while waiting: each one seen is watched, its events relayed as 'change'
  const relay = new EventEmitter()
  const watched = new Map<Feed, () => void>()
  const watchAll = (): void => {
    for (const p of peers) {
      for (const f of p.feeds()) {
        if (watched.has(f)) continue
        const onEvent = (): void => { relay.emit('change') }
        for (const ev of FEED_EVENTS) f.on(ev, onEvent)
        watched.set(f, onEvent)
      }
    }
  }
  try {
    await untilEvent([relay, ...peers], ['change', 'feed', 'feed-open', 'lengths', 'peer-settled'], () => { watchAll(); return cond() }, label)
  } finally {
    for (const [f, onEvent] of watched) for (const ev of FEED_EVENTS) f.off(ev, onEvent)
  }
}
const FEED_EVENTS = ['append', 'download', 'truncate', 'peer-add'] as const

/** True when every peer has every feed any peer has, each fully downloaded to the longest length seen. */
export function converged (peers: Multifeed[]): boolean {
  const lengths = new Map<string, number>()
  for (const p of peers) {
    for (const k of p.keys()) lengths.set(k, Math.max(lengths.get(k) ?? 0, p.lengths(k)?.length ?? 0))
  }
  for (const p of peers) {
    for (const [k, len] of lengths) {
      const l = p.lengths(k)
      if (l === undefined || l.contiguousLength < len) return false
    }
  }
  return true
}

export function onceEvent<T extends unknown[]> (emitter: { once(ev: string, fn: (...args: any[]) => void): unknown }, ev: string): Promise<T> {
  return new Promise((resolve) => emitter.once(ev, (...args: unknown[]) => resolve(args as T)))
}

/**
 * Appends each value as a block of its own (one entry per block), so a test can
 * count blocks as it counts values. An array appends each of its values.
 */
export async function append (feed: Feed, value: unknown, encoding: ValueEncoding = 'json'): Promise<void> {
  for (const v of Array.isArray(value) ? value : [value]) await appendEntries(feed, [v], encoding)
}

/** The first entry of block `block` (null when it is not local and `wait` is false). */
export async function entryAt (feed: Feed, block: number, opts: { wait?: boolean; encoding?: ValueEncoding } = {}): Promise<unknown> {
  const entries = await readEntries(feed, block, opts)
  return entries === null ? null : entries[0]
}
