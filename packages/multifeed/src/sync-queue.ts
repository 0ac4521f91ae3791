// Which known feeds are being fetched from peers right now, and which wait.
//
// A peer tells us the state of its feeds (peer.ts); a known feed where some peer is
// ahead of us (a later fork, a longer length, or more blocks it can serve from the
// start) is *wanted*. At most `maxSyncing` wanted feeds are open and replicating at
// once, on the connections of the peers that are ahead; the rest wait in arrival
// order. A feed leaves when no connected peer is ahead of it any more, when those
// peers left, or when nothing arrived for `stallTimeout` (then those peers' claims
// are dropped, so a peer announcing what it cannot serve holds a slot for a while,
// never for good). Feeds admitted from a peer (admission.ts) arrive already open
// and take a slot at once: admission bounds how many of those are in flight.
import type Hypercore from 'hypercore'
import type { FeedState } from './wire.js'

type Feed = Hypercore<unknown>

/** Our own state of a feed (the part a peer's claim is compared with). */
export interface LocalState { fork: number; length: number; contiguousLength: number }

/** A connection, as the queue sees it. */
export interface SyncPeer {
  readonly noise: unknown
  /** Connected and verified. */
  readonly active: boolean
  /** What this peer last said of a feed. */
  heardOf(key: string): FeedState | undefined
}

export interface SyncHost {
  /** Opens the feed if needed and keeps it open until release(). */
  hold(key: string): Promise<Feed | undefined>
  release(key: string): void
  /** Our state of a known feed, or undefined if it is not (or no longer) one. */
  local(key: string): LocalState | undefined
  /** Whether this feed is one of our own writers (never fetched). */
  writable(key: string): boolean
  /** The feed wants data (hypercore keeps replication channels of a "downloading" core). */
  setWanting(key: string, wanting: boolean): void
  /** Fewer than maxSyncing feeds are fetching now (admission may start more checks). */
  hasRoom?(): void
}

/** Whether `remote` has something `local` lacks. */
export function isAhead (remote: FeedState, local: LocalState): boolean {
  if (remote.fork !== local.fork) return remote.fork > local.fork
  return remote.length > local.length || Math.min(remote.contiguousLength, remote.length) > local.contiguousLength
}

interface Active {
  key: string
  feed: Feed | null
  peers: Set<SyncPeer>
  timer: NodeJS.Timeout | null
}

export class SyncQueue {
  /** Per wanted feed (waiting or active): the peers ahead of us. */
  private readonly wanted = new Map<string, Set<SyncPeer>>()
  private queue: string[] = []
  private head = 0
  private readonly active = new Map<string, Active>()
  private closed = false

  constructor (private readonly host: SyncHost, readonly maxSyncing: number, readonly stallTimeout: number) {}

  /** Feeds open and replicating now. */
  get syncing (): number { return this.active.size }
  /** Feeds waiting for a slot. */
  get waiting (): number { return this.wanted.size - this.active.size }

  /** `peer` said something new about the known feed `key`: want it if the peer is ahead. */
  heard (key: string, peer: SyncPeer): void {
    if (this.closed || this.host.writable(key)) return
    const local = this.host.local(key)
    const claim = peer.heardOf(key)
    if (local === undefined || claim === undefined || !isAhead(claim, local)) return
    let peers = this.wanted.get(key)
    if (peers === undefined) {
      peers = new Set()
      this.wanted.set(key, peers)
      this.queue.push(key)
    }
    if (peers.has(peer)) return
    peers.add(peer)
    const running = this.active.get(key)
    if (running !== undefined) {
      running.peers.add(peer)
      if (running.feed !== null) running.feed.replicate(peer.noise as never)
      return
    }
    this.pump()
  }

  /**
   * A feed admitted from `peers` (already open, replicating on their connections):
   * it takes a slot at once, even past maxSyncing, as admission bounds these.
   */
  adopt (key: string, feed: Feed, peers: Iterable<SyncPeer>): void {
    if (this.closed) return
    let set = this.wanted.get(key)
    if (set === undefined) this.wanted.set(key, set = new Set())
    for (const p of peers) if (p.active) set.add(p)
    if (this.active.has(key)) return
    const run: Active = { key, feed: null, peers: set, timer: null }
    this.active.set(key, run)
    // the admitted session is the multifeed's now; hold it like any other
    void this.host.hold(key).then((held) => this.started(run, held ?? feed), () => this.finish(run))
  }

  /** Our lengths of `key` changed: maybe it caught up. */
  changed (key: string): void {
    const run = this.active.get(key)
    if (run === undefined || run.feed === null) return
    this.watch(run)
    this.check(run)
  }

  /** A connection ended: it is ahead of nothing any more. */
  leave (peer: SyncPeer): void {
    for (const [key, peers] of this.wanted) {
      if (!peers.delete(peer)) continue
      const run = this.active.get(key)
      if (peers.size === 0) {
        if (run !== undefined) this.finish(run)
        else this.wanted.delete(key)
      }
    }
    this.pump()
  }

  close (): void {
    this.closed = true
    for (const run of [...this.active.values()]) this.finish(run)
    this.wanted.clear()
    this.queue = []
    this.head = 0
  }

  private pump (): void {
    while (!this.closed && this.active.size < this.maxSyncing && this.head < this.queue.length) {
      const key = this.queue[this.head++] as string
      const peers = this.wanted.get(key)
      if (peers === undefined || this.active.has(key)) continue
      const run: Active = { key, feed: null, peers, timer: null }
      this.active.set(key, run)
      this.host.hold(key).then((feed) => this.started(run, feed), () => this.finish(run))
    }
    // drop the consumed prefix now and then, so a long queue is not copied per key
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private started (run: Active, feed: Feed | undefined): void {
    if (feed === undefined) {
      run.peers.clear() // not a feed of ours (any more)
      this.finish(run)
      return
    }
    run.feed = feed
    if (this.closed || this.active.get(run.key) !== run) {
      this.host.release(run.key)
      return
    }
    // a feed that arrived whole (a bulk proof) is not ahead of anyone: no channel for it
    this.check(run)
    if (this.active.get(run.key) !== run) return
    this.host.setWanting(run.key, true)
    for (const p of run.peers) if (p.active) feed.replicate(p.noise as never)
    this.watch(run)
  }

  /** (Re)starts the stall timer: progress pushes it back. */
  private watch (run: Active): void {
    if (run.timer !== null) clearTimeout(run.timer)
    run.timer = setTimeout(() => this.stalled(run), this.stallTimeout)
    run.timer.unref()
  }

  private check (run: Active): void {
    const local = this.host.local(run.key)
    if (local === undefined) { run.peers.clear(); this.finish(run); return }
    for (const p of [...run.peers]) {
      const claim = p.heardOf(run.key)
      if (!p.active || claim === undefined || !isAhead(claim, local)) run.peers.delete(p)
    }
    if (run.peers.size === 0) this.finish(run)
  }

  /** Nothing arrived for stallTimeout: the peers still claiming more lose their claim on this feed. */
  private stalled (run: Active): void {
    run.timer = null
    if (this.active.get(run.key) !== run) return
    run.peers.clear()
    this.finish(run)
  }

  private finish (run: Active): void {
    if (this.active.get(run.key) !== run) return
    this.active.delete(run.key)
    if (run.timer !== null) clearTimeout(run.timer)
    run.timer = null
    if (run.peers.size === 0 || this.closed) this.wanted.delete(run.key)
    else this.queue.push(run.key) // peers joined meanwhile that are still ahead: go again later
    // a run whose hold has not resolved yet releases in started()
    if (run.feed !== null) {
      this.host.setWanting(run.key, false)
      this.host.release(run.key)
    }
    this.pump()
    if (!this.closed && this.active.size < this.maxSyncing) this.host.hasRoom?.()
  }

  /** As many feeds are fetching as maxSyncing allows (admitted feeds may take more: see adopt()). */
  get full (): boolean { return this.active.size >= this.maxSyncing }
}
