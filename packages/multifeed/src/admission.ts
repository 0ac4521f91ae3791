// Feed admission: which feeds announced by peers become part of the set.
//
// A key on the wire costs its sender nothing, so an announced key is only a
// *candidate*. Policy (README "Admission of announced feeds"):
//
//  1. Keys no honest peer announces are refused and their announcer dropped
//     (ERR_BAD_FEED_KEY): see `forbiddenFeedKey`.
//  2. A candidate is admitted (persisted in the feed list, exposed, announced to
//     other peers) only once a peer has served a signed length > 0 for it: its
//     hypercore verified an upgrade from a peer that announced it. A key with
//     no data behind it never becomes a feed, never reaches another peer and
//     never lengthens a restart.
//  3. Each connection has its own queue of candidates; at most
//     `maxPendingPerPeer` of them are being checked (a core open and replicated
//     on that connection only) at any time, the rest wait as bare keys, and the
//     queue holds at most `maxQueuedPerPeer` keys (more: ERR_TOO_MANY_FEEDS).
//     One peer's junk therefore never delays another peer's feeds.
//  4. A candidate not proven within `proveTimeout`, or whose announcers all
//     left, is forgotten: its core is closed and, if it was not in the Corestore
//     before we looked, deleted from storage again (after Corestore's idle
//     linger), so junk leaves nothing on disk.
//  5. Admission is also bounded by `maxFeeds` in total: a proven feed that does
//     not fit drops its announcer with ERR_TOO_MANY_FEEDS, as before.
//  6. No new check starts while the host is busy (the sync queue has `maxSyncing`
//     feeds fetching): an admitted feed goes on fetching there, so this bounds
//     the feeds replicating at once when a fresh peer joins a large set. The
//     waiting keys stay queued (their proveTimeout starts when their check does)
//     and resume() starts them once the host has room.
import Hypercore from 'hypercore'
import type { Duplex } from 'node:stream'
import { MultifeedError } from './errors.js'

type Feed = Hypercore<unknown>

export interface AdmissionLimits {
  /** Candidates from one connection checked at the same time. */
  maxPendingPerPeer: number
  /** Candidates (checking + waiting) one connection may have at once. */
  maxQueuedPerPeer: number
  /** Milliseconds a candidate may stay unproven before it is forgotten. */
  proveTimeout: number
}

/** A connection that announced candidates (a PeerConnection, seen narrowly). */
export interface Announcer {
  /** The Noise stream a candidate's core is replicated on. */
  readonly noise: Duplex
  /** Drops the connection. */
  fail(err: MultifeedError): void
}

export interface AdmissionHost {
  /** Admitted, or being admitted right now. */
  known(key: string): boolean
  /** How many more feeds may be admitted (maxFeeds minus known). */
  room(): number
  /** A session on the feed with this key, opened the way admitted feeds are. */
  open(key: string): Feed
  /** Persists then exposes proven feeds, taking over their sessions. */
  admit(feeds: Array<{ key: string; feed: Feed }>): Promise<void>
  /** The Corestore's storage, to check for and delete a candidate's core. */
  storage(): CoreStorage | null
  /** Too many admitted feeds still fetching: start no new check until resume(). */
  busy?(): boolean
}

/**
 * The part of hypercore-storage (Corestore's `storage`) used to undo a
 * candidate's core. `resumeCore`/`hasCore` are documented; `deleteCore` is
 * what hypercore itself calls to drop a core (lib/audit.js). Feature-detected:
 * without it junk cores stay on disk (about 130 bytes each) but are never
 * opened again.
 */
export interface CoreStorage {
  hasCore(discoveryKey: Buffer): Promise<boolean>
  resumeCore(discoveryKey: Buffer): Promise<{ core: unknown; close(): Promise<void> } | null>
  deleteCore(pointer: unknown): Promise<void>
}

export function coreStorageOf (corestore: unknown): CoreStorage | null {
  const s = (corestore as { storage?: Partial<CoreStorage> } | null)?.storage
  if (s === undefined || s === null) return null
  if (typeof s.hasCore !== 'function' || typeof s.resumeCore !== 'function' || typeof s.deleteCore !== 'function') return null
  return s as CoreStorage
}

/**
 * Why `key` cannot be a feed of a multifeed with key `multifeedKey` whose feed
 * list lives in the core `metaKey`, or null. Feed keys are BLAKE2b hashes of a
 * hypercore manifest (Corestore opens cores with `compat: false`), not ed25519
 * points, so a curve check would refuse most honest feeds; what is refused
 * here is what no honest peer ever announces. The multifeed key itself is not
 * refused: record-db makes it the root writer's feed key on purpose. A random
 * multifeed key is still never admitted, as nobody can serve a signed length
 * for it.
 */
export function forbiddenFeedKey (key: string, multifeedKey: Buffer, metaKey: string | null): string | null {
  const bytes = Buffer.from(key, 'hex')
  if (bytes.every((b) => b === bytes[0])) return `feed key ${key} is 32 equal bytes`
  if (bytes.equals(Hypercore.discoveryKey(multifeedKey))) return 'the multifeed discovery key announced as a feed'
  if (key === metaKey) return 'this multifeed\'s own feed list announced as a feed'
  return null
}

/** Corestore closes an idle core after 3-4 GC cycles of 2 s; delete its storage only after that. */
const PURGE_DELAY_MS = 10_000

interface Candidate {
  readonly key: string
  readonly announcers: Set<Announcer>
  feed: Feed | null
  /** The Corestore held this core before we opened it (or we cannot tell): never delete it. */
  existed: boolean
  state: 'checking' | 'proven' | 'done'
  timer: NodeJS.Timeout | null
  onappend: (() => void) | null
}

interface PeerQueue {
  /** Keys waiting to be checked, in announcement order, from `head`. */
  waiting: string[]
  head: number
  /** Every key this connection announced that is still waiting or checking. */
  listed: Set<string>
  checking: Set<string>
}

export class Admission {
  private readonly queues = new Map<Announcer, PeerQueue>()
  private readonly candidates = new Map<string, Candidate>()
  private readonly purges = new Map<string, { discoveryKey: Buffer; timer: NodeJS.Timeout }>()
  /** Deletions under way: a new check of the key waits for its one to end. */
  private readonly purging = new Map<string, Promise<void>>()
  private readonly running = new Set<Promise<void>>()
  private proven: Candidate[] = []
  private flushScheduled = false
  private closed = false

  constructor (private readonly host: AdmissionHost, readonly limits: AdmissionLimits) {}

  /** Candidates being checked right now, over all connections. */
  get checking (): number {
    let n = 0
    for (const c of this.candidates.values()) if (c.state === 'checking') n++
    return n
  }

  /** Whether a check of `key` is under way, or its leftover core is due to be deleted. */
  owns (key: string): boolean {
    return this.candidates.has(key) || this.purges.has(key) || this.purging.has(key)
  }

  /** Queues keys a connection announced (already filtered by `accept`). Throws ERR_TOO_MANY_FEEDS past the queue bound. */
  enqueue (peer: Announcer, keys: string[]): void {
    if (this.closed) return
    let q = this.queues.get(peer)
    if (q === undefined) {
      q = { waiting: [], head: 0, listed: new Set(), checking: new Set() }
      this.queues.set(peer, q)
    }
    const fresh = keys.filter((k) => !q.listed.has(k))
    if (q.listed.size + fresh.length > this.limits.maxQueuedPerPeer) {
      throw new MultifeedError('ERR_TOO_MANY_FEEDS', `peer announced more than ${this.limits.maxQueuedPerPeer} feeds not yet proven`)
    }
    for (const k of fresh) {
      q.listed.add(k)
      q.waiting.push(k)
    }
    this.pump(peer)
  }

  /** The connection ended: its waiting keys are dropped, its checks end unless another peer shares them. */
  leave (peer: Announcer): void {
    const q = this.queues.get(peer)
    if (q === undefined) return
    this.queues.delete(peer)
    for (const key of q.checking) {
      const c = this.candidates.get(key)
      if (c === undefined || c.state !== 'checking') continue
      c.announcers.delete(peer)
      if (c.announcers.size === 0) this.forget(c)
    }
  }

  /** Ends every check and deletes what they left in storage. */
  async close (): Promise<void> {
    this.closed = true
    for (const c of [...this.candidates.values()]) {
      if (c.state === 'checking') this.forget(c)
    }
    this.queues.clear()
    // Closed now: what a check leaves is deleted at once (Corestore closes its cores with itself).
    for (const [key, { timer }] of this.purges) {
      clearTimeout(timer)
      this.track(this.purge(key))
    }
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }

  /** The host has room again: start the checks that waited for it. */
  resume (): void {
    for (const peer of [...this.queues.keys()]) this.pump(peer)
  }

  private pump (peer: Announcer): void {
    const q = this.queues.get(peer)
    if (q === undefined || this.closed) return
    while (q.checking.size < this.limits.maxPendingPerPeer && q.head < q.waiting.length && this.host.busy?.() !== true) {
      const key = q.waiting[q.head++] as string
      if (this.host.known(key)) {
        q.listed.delete(key)
        continue
      }
      this.check(peer, q, key)
    }
    // Drop the consumed prefix now and then, so a long queue is not copied per key.
    if (q.head > 1024 && q.head * 2 > q.waiting.length) {
      q.waiting = q.waiting.slice(q.head)
      q.head = 0
    }
  }

  private check (peer: Announcer, q: PeerQueue, key: string): void {
    const existing = this.candidates.get(key)
    if (existing !== undefined) {
      // Already proven (being admitted): nothing for this peer to prove.
      if (existing.state !== 'checking') {
        q.listed.delete(key)
        return
      }
      existing.announcers.add(peer)
      q.checking.add(key)
      if (existing.feed !== null && existing.feed.opened) existing.feed.replicate(peer.noise)
      return
    }
    const c: Candidate = { key, announcers: new Set([peer]), feed: null, existed: true, state: 'checking', timer: null, onappend: null }
    c.timer = setTimeout(() => this.forget(c), this.limits.proveTimeout)
    this.candidates.set(key, c)
    q.checking.add(key)
    this.track(this.open(c))
  }

  private async open (c: Candidate): Promise<void> {
    try {
      await this.purging.get(c.key) // its old core is being deleted: open it after that
      const scheduled = this.purges.get(c.key)
      if (scheduled !== undefined) {
        // Forgotten a moment ago by us: it is still ours to delete later.
        clearTimeout(scheduled.timer)
        this.purges.delete(c.key)
        c.existed = false
      } else {
        const storage = this.host.storage()
        c.existed = storage === null || await storage.hasCore(Hypercore.discoveryKey(Buffer.from(c.key, 'hex')))
      }
      if (c.state !== 'checking') {
        if (!c.existed) this.schedulePurge(c.key)
        return
      }
      const feed = this.host.open(c.key)
      c.feed = feed
      await feed.ready()
      if (c.state !== 'checking') return
      for (const peer of c.announcers) feed.replicate(peer.noise)
      const onappend = (): void => { if (feed.length > 0) this.prove(c) }
      c.onappend = onappend
      feed.on('append', onappend)
      onappend() // a core the store already held may have data
    } catch (err) {
      if (c.state !== 'checking') return
      const failure = new MultifeedError('ERR_STORAGE', `could not open announced feed ${c.key}: ${String(err)}`)
      const announcers = [...c.announcers]
      this.forget(c)
      for (const peer of announcers) peer.fail(failure)
    }
  }

  /** A peer served a signed length > 0: admit with the next batch. */
  private prove (c: Candidate): void {
    if (c.state !== 'checking') return
    c.state = 'proven'
    this.stopWatching(c)
    // it keeps its announcers' slots until it is admitted (flush): checking and proven
    // together stay within maxPendingPerPeer, which with busy() bounds feeds in flight
    this.proven.push(c)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.track(this.flush()))
    }
  }

  /** Proven candidates of one turn are admitted with one append to the feed list. */
  private async flush (): Promise<void> {
    this.flushScheduled = false
    const batch = this.proven
    this.proven = []
    if (this.closed) {
      for (const c of batch) this.discard(c)
      return
    }
    const room = Math.max(0, this.host.room())
    const fits = batch.slice(0, room)
    for (const c of batch.slice(room)) {
      const announcers = [...c.announcers]
      this.release(c)
      this.discard(c)
      const err = new MultifeedError('ERR_TOO_MANY_FEEDS', `feed ${c.key} would take us past maxFeeds`)
      for (const peer of announcers) peer.fail(err)
    }
    if (fits.length === 0) return
    try {
      await this.host.admit(fits.map((c) => ({ key: c.key, feed: c.feed as Feed })))
      for (const c of fits) {
        c.state = 'done'
        this.candidates.delete(c.key)
        this.release(c)
      }
    } catch (err) {
      const failure = err instanceof MultifeedError ? err : new MultifeedError('ERR_STORAGE', `could not add announced feeds: ${String(err)}`)
      for (const c of fits) {
        const announcers = [...c.announcers]
        this.release(c)
        this.discard(c)
        if (!this.closed) for (const peer of announcers) peer.fail(failure)
      }
    }
  }

  /** Unproven in time, or nobody left to prove it: forget the key. */
  private forget (c: Candidate): void {
    if (c.state !== 'checking') return
    this.stopWatching(c)
    this.release(c)
    this.discard(c)
  }

  private discard (c: Candidate): void {
    c.state = 'done'
    this.candidates.delete(c.key)
    const feed = c.feed
    c.feed = null
    if (feed !== null) {
      this.track(feed.close().catch(noop).then(() => {
        if (!c.existed) this.schedulePurge(c.key)
      }))
    }
  }

  private stopWatching (c: Candidate): void {
    if (c.timer !== null) clearTimeout(c.timer)
    c.timer = null
    if (c.onappend !== null && c.feed !== null) c.feed.off('append', c.onappend)
    c.onappend = null
  }

  /** Frees the candidate's slot on each announcer and lets each check its next key. */
  private release (c: Candidate): void {
    for (const peer of c.announcers) {
      const q = this.queues.get(peer)
      if (q === undefined) continue
      q.checking.delete(c.key)
      q.listed.delete(c.key)
      this.pump(peer)
    }
  }

  private schedulePurge (key: string): void {
    if (this.purges.has(key)) return
    const discoveryKey = Hypercore.discoveryKey(Buffer.from(key, 'hex'))
    const timer = setTimeout(() => this.track(this.purge(key)), PURGE_DELAY_MS)
    timer.unref()
    this.purges.set(key, { discoveryKey, timer })
    if (this.closed) {
      clearTimeout(timer)
      this.track(this.purge(key))
    }
  }

  /** Deletes a forgotten candidate's core from storage, unless it is in use again. */
  private async purge (key: string): Promise<void> {
    const entry = this.purges.get(key)
    if (entry === undefined) return
    this.purges.delete(key)
    if (this.candidates.has(key) || this.host.known(key)) return
    const storage = this.host.storage()
    if (storage === null) return
    const deletion = (async () => {
      try {
        const core = await storage.resumeCore(entry.discoveryKey)
        if (core === null) return
        try {
          await storage.deleteCore(core.core)
        } finally {
          await core.close()
        }
      } catch {
        // Storage closing under us: the core stays, unlisted and never opened again.
      }
    })()
    this.purging.set(key, deletion)
    try {
      await deletion
    } finally {
      this.purging.delete(key)
    }
  }

  private track (p: Promise<void>): void {
    this.running.add(p)
    p.finally(() => this.running.delete(p)).catch(noop)
  }
}

function noop (): void {}
