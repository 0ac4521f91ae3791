// Replication status: what we hold against what connected peers told us they hold,
// and when we have caught up.
//
// A peer's multifeed tells ours the state of every feed it holds differently from us
// when it connects (a digest exchange leaves out the rest), then each change
// (multifeed.remoteFeeds(stream)). So the feeds to look at are the ones a peer told
// us about, and among them only those where it holds more than we do: the tracker
// keeps just those (the deficit), and its work follows what changed, never the
// number of feeds. Totals come from the multifeed's own running sums.
//
// Synced = at least one verified peer, every verified peer finished telling us what it
// had on connecting, every feed a peer holds data of is in our multifeed, and we hold
// from the start as much of each as any of them. Work is coalesced: events mark feeds
// dirty and one evaluation runs per event-loop turn.
//
// Shared = the other direction: some verified peer is known to hold every block we hold
// (the multifeed's per-peer behind() is 0: what we sent it, it told us it caught up on).
// Synced and shared: both sides hold the same data (what `kappa-db sync --until-synced`
// waits for). A peer's catching up arrives as its remote-feeds changes; the swarm's poll
// re-evaluates while peers are connected as well.
import { isAhead, type SwarmFeed, type SwarmFeedState, type SwarmMultifeed } from '@kappa-ts/kappa-core'
import type { SwarmPeer } from './swarm-peer.js'

export interface FeedSyncStatus {
  key: string
  /** Blocks we hold from the start (contiguousLength); entries are packed many to a block. */
  localLength: number
  /** The most, in blocks, any connected peer holds from the start (at least localLength). */
  remoteLength: number
}

export interface SyncProgress {
  /** Feeds whose status changed since the previous event. */
  changed: FeedSyncStatus[]
  /** Sums over every feed. */
  localLength: number
  remoteLength: number
  feeds: number
  synced: boolean
  /** Some verified peer is known to hold every block we hold, of every feed (see KappaSwarm.isShared). */
  shared: boolean
}

/** A feed some peer holds more of (or that we do not know yet). */
interface Deficit { local: number; remote: number }

export class SyncTracker {
  private readonly deficit = new Map<string, Deficit>()
  private readonly dirty = new Set<string>()
  private allDirty = false
  private scheduled: NodeJS.Immediate | null = null
  private missing = 0 // sum of remote - local over the deficit
  private synced = false
  private shared = false
  private stopped = false
  private readonly onlengths = (keys: string[]): void => { for (const k of keys) this.markDirty(k) }
  private readonly onremote = (_peer: unknown, keys: string[]): void => { for (const k of keys) this.markDirty(k) }
  private readonly onfeed = (feed: SwarmFeed): void => this.watch(feed)
  private readonly onpeers = (): void => this.markAllDirty()

  private listening = false

  constructor (
    private readonly multifeed: SwarmMultifeed,
    private readonly peers: () => Iterable<SwarmPeer>,
    private readonly emit: (event: 'sync-progress' | 'synced', progress: SyncProgress) => void
  ) {}

  /** Follows the multifeed from the first thing to look at (a swarm that never connects costs nothing). */
  private listen (): void {
    if (this.listening || this.stopped) return
    this.listening = true
    this.multifeed.on('lengths', this.onlengths)
    this.multifeed.on('remote-feeds', this.onremote)
    this.multifeed.on('feed', this.onfeed)
    this.multifeed.on('peer-settled', this.onpeers)
  }

  get isSynced (): boolean { return this.synced }
  get isShared (): boolean { return this.shared }

  /** A feed joined or changed: look at it again. */
  watch (feed: SwarmFeed): void {
    if (this.stopped || feed.key === null) return
    this.markDirty(feed.key.toString('hex'))
  }

  /** Something about peers changed: every feed they told us about may have. */
  markAllDirty (): void {
    this.allDirty = true
    this.schedule()
  }

  markDirty (key: string): void {
    this.dirty.add(key)
    this.schedule()
  }

  /** Per feed of the set (and per feed a peer holds that we do not know yet). */
  status (): FeedSyncStatus[] {
    this.flush()
    const out: FeedSyncStatus[] = []
    for (const key of this.multifeed.keys()) {
      const d = this.deficit.get(key)
      const local = d?.local ?? this.multifeed.lengths(key)?.contiguousLength ?? 0
      out.push({ key, localLength: local, remoteLength: d?.remote ?? local })
    }
    for (const [key, d] of this.deficit) if (!this.multifeed.has(key)) out.push({ key, localLength: d.local, remoteLength: d.remote })
    return out
  }

  progress (): SyncProgress {
    this.flush()
    const totals = this.multifeed.totals()
    return { changed: [], localLength: totals.contiguousLength, remoteLength: totals.contiguousLength + this.missing, feeds: totals.feeds, synced: this.synced, shared: this.shared }
  }

  stop (): void {
    this.stopped = true
    if (this.scheduled !== null) clearImmediate(this.scheduled)
    this.scheduled = null
    if (this.listening) {
      this.multifeed.removeListener('lengths', this.onlengths)
      this.multifeed.removeListener('remote-feeds', this.onremote)
      this.multifeed.removeListener('feed', this.onfeed)
      this.multifeed.removeListener('peer-settled', this.onpeers)
    }
    this.deficit.clear()
    this.dirty.clear()
  }

  private schedule (): void {
    this.listen()
    if (this.scheduled !== null || this.stopped) return
    this.scheduled = setImmediate(() => {
      this.scheduled = null
      this.evaluate()
    })
  }

  /** Re-measures the dirty feeds; returns those whose status changed. */
  private flush (): FeedSyncStatus[] {
    const keys = this.allDirty ? this.everyToldKey() : this.dirty
    const changed: FeedSyncStatus[] = []
    for (const key of keys) {
      const before = this.deficit.get(key)
      const after = this.measure(key)
      if (before?.local === after?.local && before?.remote === after?.remote) continue
      this.missing -= before === undefined ? 0 : before.remote - before.local
      if (after === null) {
        this.deficit.delete(key)
        const local = this.multifeed.lengths(key)?.contiguousLength ?? 0
        changed.push({ key, localLength: local, remoteLength: local })
      } else {
        this.deficit.set(key, after)
        this.missing += after.remote - after.local
        changed.push({ key, localLength: after.local, remoteLength: after.remote })
      }
    }
    this.dirty.clear()
    this.allDirty = false
    return changed
  }

  /** Every feed a verified peer told us about, and every feed in deficit. */
  private everyToldKey (): Set<string> {
    const keys = new Set<string>(this.deficit.keys())
    for (const p of this.peers()) if (p.verified) for (const key of p.remote().keys()) keys.add(key)
    for (const key of this.dirty) keys.add(key)
    return keys
  }

  private evaluate (): void {
    if (this.stopped) return
    const changed = this.flush()
    const wasSynced = this.synced
    const wasShared = this.shared
    this.synced = this.computeSynced()
    this.shared = this.computeShared()
    if (changed.length > 0 || wasSynced !== this.synced || wasShared !== this.shared) {
      const totals = this.multifeed.totals()
      const progress: SyncProgress = {
        changed,
        localLength: totals.contiguousLength,
        remoteLength: totals.contiguousLength + this.missing,
        feeds: totals.feeds,
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
    }
    return verified > 0 && this.deficit.size === 0
  }

  private computeShared (): boolean {
    for (const p of this.peers()) if (p.verified && p.behind() === 0) return true
    return false
  }

  /**
   * How far behind we are on a feed: the most a verified peer holds of it from the
   * start against what we hold, or null when no peer holds more. A feed a peer holds
   * data of that our multifeed has not added yet (still being checked, persisted and
   * opened) counts too; one it holds empty does not (it joins on its first entry).
   */
  private measure (key: string): Deficit | null {
    const ours = this.multifeed.lengths(key)
    const local = ours?.contiguousLength ?? 0
    let remote = -1
    for (const p of this.peers()) {
      if (!p.verified) continue
      const theirs: SwarmFeedState | undefined = p.remote().get(key)
      if (theirs === undefined) continue
      if (ours === undefined ? theirs.length > 0 : isAhead(theirs, ours)) remote = Math.max(remote, theirs.contiguousLength)
    }
    return remote < 0 ? null : { local, remote: Math.max(remote, local) }
  }
}
