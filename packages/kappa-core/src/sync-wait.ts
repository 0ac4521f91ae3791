// The waiting behind kappa.synced(): ask every connected peer what it holds now, then
// wait until the multifeed holds as much, event by event (never by polling a length).
//
// "Holds" is a feed's contiguousLength: blocks stored here from 0, not the length a
// peer announced (feed.length can run ahead of what is downloaded). It is known for
// every feed of the set, open or not (multifeed.lengths). The targets are the
// remotes' answers to a request sent now, not what hypercore last heard from them: an
// append a peer made just before we asked is in its answer, even if its announcement is
// still on the way. A peer that disconnects stops counting (what it had is no longer
// "what connected peers have"), a feed our accept() refuses is not waited for, and a feed
// truncated meanwhile is waited for up to its new length.
import type { SwarmFeed as Feed, SwarmFeedState, SwarmMultifeed } from './multifeed-like.js'
import { isAhead, type Holdings, type StatusPeer } from './status-peer.js'

export type AcceptFeed = (feedKey: string, info: { remotePublicKey: string | null }) => boolean | Promise<boolean>

export interface SyncWaitContext {
  multifeed: SwarmMultifeed
  /** Every replication stream's status channel now (piped streams and swarm connections). */
  peers(): StatusPeer[]
  /** The kappa's accept option: feeds it refuses are never added, so never waited for. */
  accept: AcceptFeed | undefined
}

/** Resolves once at least `n` peers have verified the key (or rejects on abort). */
export function waitForPeers (ctx: SyncWaitContext, n: number, signal: AbortSignal): Promise<void> {
  const enough = (): boolean => ctx.peers().filter((p) => p.verified && !p.isClosed).length >= n
  if (enough()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    // Verification is marked by other 'peer-add' listeners: look once they have run.
    const onpeer = (): void => { setImmediate(check) }
    const done = (err?: unknown): void => {
      ctx.multifeed.removeListener('peer-add', onpeer)
      signal.removeEventListener('abort', onabort)
      if (err === undefined) resolve()
      else reject(err)
    }
    const check = (): void => { if (enough()) done() }
    const onabort = (): void => done(signal.reason)
    ctx.multifeed.on('peer-add', onpeer)
    signal.addEventListener('abort', onabort)
  })
}

/** Asks every connected peer what it holds, then waits until this multifeed holds it too. */
export async function waitUntilHeld (ctx: SyncWaitContext, signal: AbortSignal): Promise<void> {
  const peers = ctx.peers().filter((p) => !p.isClosed)
  const answers = await abortable(Promise.all(peers.map((p) => p.requestStatus())), signal)
  const targets = new Map<StatusPeer, Holdings>()
  peers.forEach((p, i) => { const held = answers[i]; if (held !== null && held !== undefined && !p.isClosed) targets.set(p, held) })
  if (targets.size === 0) return
  await new HoldWaiter(ctx, targets, signal).done
}

function abortable<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onabort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onabort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onabort))
  })
}

class HoldWaiter {
  readonly done: Promise<void>
  private resolve: () => void = () => {}
  private reject: (err: unknown) => void = () => {}
  /** Feed key -> the most an open peer holds (its state there). */
  private need = new Map<string, SwarmFeedState>()
  /** Keys not held yet. */
  private readonly missing = new Set<string>()
  /** Feeds our accept() refuses: never waited for. */
  private readonly refused = new Set<string>()
  private finished = false

  constructor (private readonly ctx: SyncWaitContext, private readonly targets: Map<StatusPeer, Holdings>, private readonly signal: AbortSignal) {
    this.done = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject })
    if (signal.aborted) { this.finish(signal.reason); return }
    signal.addEventListener('abort', this.onabort)
    // Lengths of every feed (open or not) and feeds joining the set: one event each, no per-feed listener.
    ctx.multifeed.on('lengths', this.onlengths)
    ctx.multifeed.on('feed', this.onfeed)
    for (const peer of targets.keys()) void peer.whenClosed.then(() => this.recompute())
    this.recompute()
    void this.refuseUnacceptable()
  }

  private readonly onabort = (): void => this.finish(this.signal.reason)
  private readonly onfeed = (feed: Feed): void => {
    if (feed.key !== null) this.recheck(feed.key.toString('hex'))
  }

  private readonly onlengths = (keys: string[]): void => {
    for (const key of keys) this.recheck(key)
  }

  /** What the peers still connected hold, per feed; then which of it is not here yet. */
  private recompute (): void {
    if (this.finished) return
    const need = new Map<string, SwarmFeedState>()
    for (const [peer, held] of this.targets) {
      if (peer.isClosed) continue
      for (const [key, state] of held) {
        const have = need.get(key)
        if (have === undefined || isAhead(state, have)) need.set(key, state)
      }
    }
    this.need = need
    this.missing.clear()
    for (const key of need.keys()) if (!this.held(key)) this.missing.add(key)
    this.settle()
  }

  private recheck (key: string): void {
    if (this.finished || !this.missing.has(key)) return
    if (this.held(key)) {
      this.missing.delete(key)
      this.settle()
    }
  }

  /** We hold as much of `key` from its start as the peers that hold the most (on our fork or a later one). */
  private held (key: string): boolean {
    const want = this.need.get(key)
    if (want === undefined || this.refused.has(key)) return true
    const ours = this.ctx.multifeed.lengths(key)
    if (ours === undefined) return want.length === 0
    // A feed truncated here meanwhile (a later fork) is held up to what is left.
    return !isAhead(want, ours)
  }

  /** Feeds we do not have and our accept() refuses will never come: stop waiting for them. */
  private async refuseUnacceptable (): Promise<void> {
    const accept = this.ctx.accept
    if (accept === undefined) return
    for (const [peer, held] of this.targets) {
      const remote = (peer.stream as { remotePublicKey?: Buffer | null } | null)?.remotePublicKey
      const info = { remotePublicKey: remote instanceof Uint8Array ? Buffer.from(remote).toString('hex') : null }
      for (const key of held.keys()) {
        if (this.finished) return
        if (this.ctx.multifeed.has(key) || this.refused.has(key)) continue
        let ok = false
        try { ok = (await accept(key, info)) === true } catch { ok = false }
        if (!ok && !this.ctx.multifeed.has(key)) {
          this.refused.add(key)
          this.missing.delete(key)
          this.settle()
        }
      }
    }
  }

  private settle (): void {
    if (this.missing.size === 0) this.finish()
  }

  private finish (err?: unknown): void {
    if (this.finished) return
    this.finished = true
    this.signal.removeEventListener('abort', this.onabort)
    this.ctx.multifeed.removeListener('lengths', this.onlengths)
    this.ctx.multifeed.removeListener('feed', this.onfeed)
    if (err === undefined) this.resolve()
    else this.reject(err)
  }
}
