// The `kappa-swarm/status` channel on one replication stream (see status-wire.ts):
// "what do you hold now?" round trips. What the remote holds is what its multifeed
// told ours on the same stream (multifeed.remoteFeeds(stream)); this channel only
// makes sure all of it arrived before we look.
//
// Nothing is answered before the multifeed verified that the remote knows the key
// (markVerified). Requests from the remote are coalesced (one reply answers every
// request received before it is built) and a reply waits while the stream is
// backpressured, so asking costs a peer as much as it costs us. Anything malformed
// fails the peer (hooks.onFailure); the owner drops it.
import type { Duplex } from 'node:stream'
import type Protomux from 'protomux'
import type { SwarmFeedState, SwarmMultifeed } from './multifeed-like.js'
import { KappaError } from './errors.js'
import { STATUS_PROTOCOL, encodeRequest, decodeRequest, encodeReply, decodeReply, rawEncoding } from './status-wire.js'

export interface StatusPeerHooks {
  onChange(peer: StatusPeer): void
  /** A malformed message, or no sign of the remote within the handshake timeout: the stream should go. */
  onFailure(peer: StatusPeer, err: KappaError): void
}

/** What the remote holds of the feeds it told us about: feed key -> its state there. */
export type Holdings = Map<string, SwarmFeedState>

interface PendingRequest { id: number; resolve: (held: Holdings | null) => void }

const NO_FEEDS: ReadonlyMap<string, SwarmFeedState> = new Map()

export class StatusPeer {
  verified = false
  /** Resolves when the peer is closed (by its stream closing, a failure, or close()). */
  readonly whenClosed: Promise<void>
  private markClosed: () => void = () => {}
  private channel: Protomux.Channel | null = null
  private channelOpen = false
  private closed = false
  private watchdog: NodeJS.Timeout | null = null
  // our requests
  private nextRequest = 0
  private readonly pending: PendingRequest[] = []
  private readonly openWaiters: Array<() => void> = []
  // the remote's requests
  private wantReply = 0
  private lastRequestSeen = 0
  private replyScheduled = false
  private draining = false

  constructor (
    readonly stream: unknown,
    private readonly multifeed: SwarmMultifeed,
    private readonly hooks: StatusPeerHooks,
    /** Milliseconds the remote may take to open the channel before onFailure (none: wait forever). */
    private readonly handshakeTimeout?: number
  ) {
    this.whenClosed = new Promise((resolve) => { this.markClosed = resolve })
  }

  get isClosed (): boolean { return this.closed }

  /** What the remote's multifeed told ours of its feeds (nothing before it proved the key). */
  remote (): ReadonlyMap<string, SwarmFeedState> {
    return this.multifeed.remoteFeeds(this.stream as Duplex)?.feeds ?? NO_FEEDS
  }

  /** The remote finished telling us what it had when it connected. */
  /** How many of our feeds this peer is not known to hold as much of as we do (0: it holds all we hold). */
  behind (): number {
    return this.multifeed.remoteFeeds(this.stream as Duplex)?.behind() ?? Number.POSITIVE_INFINITY
  }

  get settled (): boolean {
    return this.verified && this.multifeed.remoteFeeds(this.stream as Duplex)?.settled === true
  }

  /** Feeds the remote says it writes (its own logs). */
  get writers (): Set<string> {
    const out = new Set<string>()
    for (const [key, s] of this.remote()) if (s.writable === true) out.add(key)
    return out
  }

  /** Call after multifeed.replicate(stream): the stream then carries a Protomux. */
  attach (): void {
    if (this.handshakeTimeout !== undefined) {
      // Under load, hyperdht can hand the dialing side a socket the other side
      // never adopted; it then sits silent until UDX times out (~15 s here).
      // A remote that has not opened our channel in time is dropped.
      this.watchdog = setTimeout(() => {
        if (this.channelOpen || this.closed) return
        this.fail(new KappaError('ERR_HANDSHAKE_TIMEOUT', `no answer from the peer within ${this.handshakeTimeout} ms`))
      }, this.handshakeTimeout)
      this.watchdog.unref()
    }
    // The Protomux of a replication stream lives on its Noise stream (a Hyperswarm socket is one).
    const s = this.stream as { noiseStream?: { userData?: unknown }; userData?: unknown } | null
    const mux = (s?.noiseStream?.userData ?? s?.userData) as Protomux | null | undefined
    if (mux === null || mux === undefined || typeof mux !== 'object' || typeof mux.createChannel !== 'function') return
    const ch = mux.createChannel({
      protocol: STATUS_PROTOCOL,
      id: this.multifeed.discoveryKey,
      messages: [
        { encoding: rawEncoding, onmessage: (buf: Uint8Array) => this.onrequest(buf) },
        { encoding: rawEncoding, onmessage: (buf: Uint8Array) => this.onreply(buf) }
      ],
      onopen: () => {
        this.channelOpen = true
        this.clearWatchdog()
        for (const w of this.openWaiters.splice(0)) w()
        this.scheduleReply()
      },
      ondrain: () => {
        this.draining = false
        this.scheduleReply()
      },
      onclose: () => this.close()
    })
    // Another status channel already runs on this stream (the same stream replicated twice).
    if (ch === null) {
      this.close()
      return
    }
    this.channel = ch
    ch.open()
  }

  /** The multifeed accepted the remote's proof: now we may answer it. */
  markVerified (): void {
    if (this.verified || this.closed) return
    this.verified = true
    this.scheduleReply()
    this.hooks.onChange(this)
  }

  /**
   * Asks the remote what it holds now. Resolves with the feeds it holds more of than we
   * do (key -> its state), as of when our request reached it, or with null when the
   * connection closes first.
   */
  async requestStatus (): Promise<Holdings | null> {
    if (this.closed) return null
    if (!this.channelOpen) await new Promise<void>((resolve) => this.openWaiters.push(resolve))
    const msg = this.channel?.messages[0]
    if (this.closed || msg === undefined) return null
    const id = ++this.nextRequest
    const answer = new Promise<Holdings | null>((resolve) => this.pending.push({ id, resolve }))
    msg.send(encodeRequest(id))
    return answer
  }

  /** The feeds the remote told us it holds more of than we do now. */
  private ahead (): Holdings {
    const out: Holdings = new Map()
    for (const [key, theirs] of this.remote()) {
      const ours = this.multifeed.lengths(key)
      if (ours === undefined ? theirs.length > 0 : isAhead(theirs, ours)) out.set(key, theirs)
    }
    return out
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.clearWatchdog()
    for (const p of this.pending.splice(0)) p.resolve(null)
    for (const w of this.openWaiters.splice(0)) w()
    this.markClosed()
  }

  private fail (err: KappaError): void {
    if (this.closed) return
    this.close()
    this.hooks.onFailure(this, err)
  }

  private clearWatchdog (): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog)
    this.watchdog = null
  }

  /** Answers the newest request received, once per event-loop turn at most. */
  private scheduleReply (): void {
    if (this.replyScheduled || this.wantReply === 0) return
    if (!this.verified || !this.channelOpen || this.closed || this.draining) return
    this.replyScheduled = true
    setImmediate(() => {
      this.replyScheduled = false
      const msg = this.channel?.messages[1]
      if (this.closed || msg === undefined || this.wantReply === 0) return
      const id = this.wantReply
      this.wantReply = 0
      // what we hold now goes out first, on the multifeed's channel of this same stream
      this.multifeed.flush()
      if (!msg.send(encodeReply(id))) this.draining = true
    })
  }

  /** Runs a message handler; anything it throws fails the peer (ERR_BAD_MESSAGE). */
  private guarded (handle: () => void): void {
    if (this.closed) return
    try {
      handle()
    } catch (err) {
      this.fail(err instanceof KappaError ? err : new KappaError('ERR_BAD_MESSAGE', String(err)))
    }
  }

  private onrequest (buf: Uint8Array): void {
    this.guarded(() => {
      const id = decodeRequest(buf)
      if (id <= this.lastRequestSeen) throw new KappaError('ERR_BAD_MESSAGE', 'status request ids must grow')
      this.lastRequestSeen = id
      this.wantReply = id
      this.scheduleReply()
    })
  }

  private onreply (buf: Uint8Array): void {
    this.guarded(() => {
      const id = decodeReply(buf)
      if (id < 1 || id > this.nextRequest) throw new KappaError('ERR_BAD_MESSAGE', 'a status reply to no request')
      // The multifeed messages sent before the reply have been handled: what the
      // remote told us now covers every request up to this id (it coalesces them).
      const held = this.ahead()
      for (let i = this.pending.length - 1; i >= 0; i--) {
        const p = this.pending[i] as PendingRequest
        if (p.id > id) continue
        this.pending.splice(i, 1)
        p.resolve(held)
      }
    })
  }
}

/** Whether a peer holding `theirs` has something a holder of `ours` lacks. */
export function isAhead (theirs: SwarmFeedState, ours: SwarmFeedState): boolean {
  if (theirs.fork !== ours.fork) return theirs.fork > ours.fork
  return Math.min(theirs.contiguousLength, theirs.length) > ours.contiguousLength
}
