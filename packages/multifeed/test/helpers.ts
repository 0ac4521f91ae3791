// Multifeed's test helpers: piping peers, waiting on feed events instead of sleeping, reading entries.
// (Temp folders come from @kappa-ts/test-helpers.)
import type { Duplex } from 'node:stream'
import { appendEntries, readEntries, type Multifeed, type Feed, type ValueEncoding } from '../src/index.js'

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

/** Every entry of every feed, as `${key}:${seq}` -> value, reading only local blocks. */
export async function contents (m: Multifeed): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>()
  for (const feed of m.feeds()) {
    const key = (feed.key as Buffer).toString('hex')
    for (let i = 0; i < feed.length; i++) out.set(`${key}:${i}`, await entryAt(feed, i, { wait: false, encoding: m.valueEncoding }))
  }
  return out
}

/**
 * Resolves once `cond()` holds, re-checking whenever any multifeed gains a feed
 * or any feed appends, downloads or learns a new length. No polling, no sleeps.
 */
export function until (peers: Multifeed[], cond: () => boolean | Promise<boolean>, label = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const watched = new Set<Feed>()
    const cleanups: Array<() => void> = []
    let done = false
    let checking = false
    let again = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      for (const c of cleanups) c()
      if (err) reject(err)
      else resolve()
    }
    const check = async (): Promise<void> => {
      if (done) return
      if (checking) { again = true; return }
      checking = true
      try {
        for (const p of peers) for (const f of p.feeds()) watch(f)
        if (await cond()) finish()
      } catch (err) {
        finish(err as Error)
      } finally {
        checking = false
        if (again && !done) { again = false; void check() }
      }
    }
    const onEvent = (): void => { void check() }
    const watch = (f: Feed): void => {
      if (watched.has(f)) return
      watched.add(f)
      for (const ev of ['append', 'download', 'truncate', 'peer-add']) {
        f.on(ev, onEvent)
        cleanups.push(() => f.off(ev, onEvent))
      }
    }
    for (const p of peers) {
      p.on('feed', onEvent)
      cleanups.push(() => p.off('feed', onEvent))
    }
    // A safety net so a broken test fails with a message instead of hanging the run.
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${label}`)), 30_000)
    void check()
  })
}

/** True when every peer has every feed any peer has, each fully downloaded to the longest length seen. */
export function converged (peers: Multifeed[]): boolean {
  const lengths = new Map<string, number>()
  for (const p of peers) {
    for (const f of p.feeds()) {
      const k = (f.key as Buffer).toString('hex')
      lengths.set(k, Math.max(lengths.get(k) ?? 0, f.length))
    }
  }
  for (const p of peers) {
    for (const [k, len] of lengths) {
      const f = p.feed(k)
      if (f === undefined || f.contiguousLength < len) return false
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
