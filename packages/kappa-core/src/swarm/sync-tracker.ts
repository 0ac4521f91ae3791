// Replication status: per feed, what we hold (contiguous length) against the
// longest length any connected peer reported, and when we have caught up.
//
// "Reported" means either hypercore's per-feed peer state (`feed.peers[i].remoteLength`,
// kept current by live sync messages) or the lengths a peer listed on the
// kappa-swarm/status channel when it connected. The latter closes the gap
// right after connecting: until a feed's hypercore channel has opened, its
// remoteLength is 0 and a naive check would say "synced" before anything arrived.
//
// Synced = at least one verified peer, every verified peer has sent its status,
// every feed it listed is in our multifeed, and every feed's contiguous length
// reaches the longest reported length. Work is coalesced: events mark feeds
// dirty and one evaluation runs per event-loop turn.
//
// Shared = the other direction: of every feed, some connected peer holds every block
// we hold (hypercore's remoteContiguousLength). Synced and shared: both sides hold the
// same data (what `kappa-db sync --until-synced` waits for). A peer's holdings change
// without an event of ours: the swarm's poll re-evaluates while peers are connected.
import type { SwarmFeed, SwarmMultifeed } from './multifeed-like.js'
import type { SwarmPeer } from './swarm-peer.js'

export interface FeedSyncStatus {
  key: string
  /** Blocks we hold without gaps (feed.contiguousLength); entries are packed many to a block. */
  localLength: number
  /** The longest length, in blocks, any connected peer reported for this feed (0 with no peer). */
  remoteLength: number
}

export interface SyncProgress {
  /** Feeds whose status changed since the previous event. */
  changed: FeedSyncStatus[]
  /** Sums over every feed. */
  localLength: number
  remoteLength: number
  feeds: number
  /** We hold everything our verified peers reported (see the top of sync-tracker.ts). */
  synced: boolean
  /** Of every feed, some connected peer holds every block we hold: our data has reached a peer. */
  shared: boolean
}

interface Watched { feed: SwarmFeed; key: string; local: number; remote: number; off: () => void }

const FEED_EVENTS = ['download', 'append', 'truncate', 'peer-add', 'peer-remove', 'upload'] as const

export class SyncTracker {
  private readonly watched = new Map<string, Watched>()
  private readonly dirty = new Set<string>()
  private scheduled: NodeJS.Immediate | null = null
  private localTotal = 0
  private remoteTotal = 0
  private synced = false
  private shared = false
  private stopped = false

  constructor (
    private readonly multifeed: SwarmMultifeed,
    private readonly peers: () => Iterable<SwarmPeer>,
    private readonly emit: (event: 'sync-progress' | 'synced', progress: SyncProgress) => void
  ) {}

  get isSynced (): boolean { return this.synced }
  get isShared (): boolean { return this.shared }

  /** Starts following a feed (idempotent). */
  watch (feed: SwarmFeed): void {
    if (this.stopped || feed.key === null) return
    const key = feed.key.toString('hex')
    if (this.watched.has(key)) return
    const onchange = (): void => this.markDirty(key)
    const ontruncate = (): void => {
      // Lengths peers reported before a truncation no longer hold.
      for (const p of this.peers()) {
        const r = p.reported.get(key)
        if (r !== undefined && r > feed.length) p.reported.set(key, feed.length)
      }
      this.markDirty(key)
    }
    for (const ev of FEED_EVENTS) feed.on(ev, ev === 'truncate' ? ontruncate : onchange)
    const off = (): void => {
      for (const ev of FEED_EVENTS) feed.removeListener(ev, ev === 'truncate' ? ontruncate : onchange)
    }
    this.watched.set(key, { feed, key, local: 0, remote: 0, off })
    this.markDirty(key)
  }

  /** Something about peers changed: every feed's remote length may have. */
  markAllDirty (): void {
    for (const key of this.watched.keys()) this.dirty.add(key)
    this.schedule()
  }

  markDirty (key: string): void {
    this.dirty.add(key)
    this.schedule()
  }

  status (): FeedSyncStatus[] {
    const out: FeedSyncStatus[] = []
    for (const w of this.watched.values()) out.push(this.measure(w))
    return out
  }

  progress (): SyncProgress {
    this.flush()
    return { changed: [], localLength: this.localTotal, remoteLength: this.remoteTotal, feeds: this.watched.size, synced: this.synced, shared: this.shared }
  }

  stop (): void {
    this.stopped = true
    if (this.scheduled !== null) clearImmediate(this.scheduled)
    this.scheduled = null
    for (const w of this.watched.values()) w.off()
    this.watched.clear()
    this.dirty.clear()
  }

  private schedule (): void {
    if (this.scheduled !== null || this.stopped) return
    this.scheduled = setImmediate(() => {
      this.scheduled = null
      this.evaluate()
    })
  }

  /** Applies dirty feeds to the cached totals; returns what changed. */
  private flush (): FeedSyncStatus[] {
    const changed: FeedSyncStatus[] = []
    for (const key of this.dirty) {
      const w = this.watched.get(key)
      if (w === undefined) continue
      const s = this.measure(w)
      if (s.localLength === w.local && s.remoteLength === w.remote) continue
      this.localTotal += s.localLength - w.local
      this.remoteTotal += s.remoteLength - w.remote
      w.local = s.localLength
      w.remote = s.remoteLength
      changed.push(s)
    }
    this.dirty.clear()
    return changed
  }

  private evaluate (): void {
    if (this.stopped) return
    const changed = this.flush()
    const wasSynced = this.synced
    const wasShared = this.shared
    this.synced = this.computeSynced()
    this.shared = this.computeShared()
    if (changed.length > 0 || wasSynced !== this.synced || wasShared !== this.shared) {
      const progress: SyncProgress = {
        changed,
        localLength: this.localTotal,
        remoteLength: this.remoteTotal,
        feeds: this.watched.size,
        synced: this.synced,
        shared: this.shared
      }
      this.emit('sync-progress', progress)
      if (this.synced && !wasSynced) this.emit('synced', progress)
    }
  }

  private computeSynced (): boolean {
    let verified = 0
    for (const p of this.peers()) {
      if (!p.verified) continue
      verified++
      if (!p.settled) return false
      for (const [key, length] of p.reported) {
        // A feed the peer listed with data that our multifeed has not added yet
        // (still being checked, persisted and opened) is not synced. One it listed
        // empty is: the multifeed adds a feed only once a peer serves its signed
        // length, so an empty writer joins our set on its first entry.
        if (length > 0 && !this.watched.has(key)) return false
      }
    }
    if (verified === 0) return false
    for (const w of this.watched.values()) {
      if (w.local < w.remote) return false
    }
    return true
  }

  private computeShared (): boolean {
    let verified = 0
    for (const p of this.peers()) if (p.verified) verified++
    if (verified === 0) return false
    for (const { feed } of this.watched.values()) {
      const have = feed.contiguousLength
      if (have > 0 && !feed.peers.some((p) => p.remoteContiguousLength >= have)) return false
    }
    return true
  }

  private measure (w: Watched): FeedSyncStatus {
    const { feed } = w
    let remote = 0
    for (const p of feed.peers) if (p.remoteLength > remote) remote = p.remoteLength
    for (const p of this.peers()) {
      if (!p.verified) continue
      const r = p.reported.get(w.key)
      if (r !== undefined && r > remote) remote = r
    }
    return { key: w.key, localLength: feed.contiguousLength, remoteLength: remote }
  }
}
