// The `kappa-swarm/status` channel on one replication stream (see status-wire.ts): what
// the remote reported when it connected, and "what do you hold now?" round trips.
//
// Nothing about our feeds leaves before the multifeed verified that the remote knows the
// key (markVerified): the first status and every reply wait for it. Requests from the
// remote are coalesced (one reply answers every request received before it is built) and
// a reply waits while the stream is backpressured, so asking costs a peer as much as it
// costs us. Anything malformed fails the peer (hooks.onFailure); the owner drops it.
import type Protomux from 'protomux'
import type { SwarmMultifeed } from './multifeed-like.js'
import { SwarmError } from './errors.js'
import {
  STATUS_PROTOCOL, MAX_STATUS_ENTRIES, encodeStatus, decodeStatus, encodeRequest, decodeRequest,
  encodeReply, decodeReply, rawEncoding, type StatusEntry
} from './status-wire.js'

/** Most feeds one status or reply may list in total (a hostile peer cannot make us keep more). */
const MAX_REPORTED = 1_000_000

export interface StatusPeerHooks {
  onChange(peer: StatusPeer): void
  /** A malformed message, or no sign of the remote within the handshake timeout: the stream should go. */
  onFailure(peer: StatusPeer, err: SwarmError): void
}

/** Where the remote stands: feed key -> the length it can serve. */
export type Holdings = Map<string, number>

interface PendingRequest { id: number; resolve: (held: Holdings | null) => void }

export class StatusPeer {
  verified = false
  settled = false
  /** Feed key -> length the remote could serve when it connected. */
  readonly reported: Holdings = new Map()
  /** Feeds the remote says it writes (its own logs), from its first status. */
  readonly writers = new Set<string>()
  /** Resolves when the peer is closed (by its stream closing, a failure, or close()). */
  readonly whenClosed: Promise<void>
  private markClosed: () => void = () => {}
  private channel: Protomux.Channel | null = null
  private channelOpen = false
  private sent = false
  private closed = false
  private watchdog: NodeJS.Timeout | null = null
  // our requests
  private nextRequest = 0
  private readonly pending: PendingRequest[] = []
  private replying: { id: number; held: Holdings } | null = null
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

  /** Call after multifeed.replicate(stream): the stream then carries a Protomux. */
  attach (): void {
    if (this.handshakeTimeout !== undefined) {
      // Under load, hyperdht can hand the dialing side a socket the other side
      // never adopted; it then sits silent until UDX times out (~15 s here).
      // A remote that has not opened our channel in time is dropped.
      this.watchdog = setTimeout(() => {
        if (this.channelOpen || this.closed) return
        this.fail(new SwarmError('ERR_HANDSHAKE_TIMEOUT', `no answer from the peer within ${this.handshakeTimeout} ms`))
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
        { encoding: rawEncoding, onmessage: (buf: Uint8Array) => this.onstatus(buf) },
        { encoding: rawEncoding, onmessage: (buf: Uint8Array) => this.onrequest(buf) },
        { encoding: rawEncoding, onmessage: (buf: Uint8Array) => this.onreply(buf) }
      ],
      onopen: () => {
        this.channelOpen = true
        this.clearWatchdog()
        for (const w of this.openWaiters.splice(0)) w()
        this.sendFirstStatus()
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

  /** The multifeed accepted the remote's proof: now it may learn our feed list. */
  markVerified (): void {
    if (this.verified || this.closed) return
    this.verified = true
    this.sendFirstStatus()
    this.scheduleReply()
    this.hooks.onChange(this)
  }

  /**
   * Asks the remote what it holds now (feed key -> contiguous length). Resolves with its
   * answer, which covers everything the remote had when our request reached it, or with
   * null when the connection closes first.
   */
  async requestStatus (): Promise<Holdings | null> {
    if (this.closed) return null
    if (!this.channelOpen) await new Promise<void>((resolve) => this.openWaiters.push(resolve))
    const msg = this.channel?.messages[1]
    if (this.closed || msg === undefined) return null
    const id = ++this.nextRequest
    const answer = new Promise<Holdings | null>((resolve) => this.pending.push({ id, resolve }))
    msg.send(encodeRequest(id))
    return answer
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.clearWatchdog()
    for (const p of this.pending.splice(0)) p.resolve(null)
    for (const w of this.openWaiters.splice(0)) w()
    this.markClosed()
  }

  private fail (err: SwarmError): void {
    if (this.closed) return
    this.close()
    this.hooks.onFailure(this, err)
  }

  private clearWatchdog (): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog)
    this.watchdog = null
  }

  private holdings (): StatusEntry[] {
    const entries: StatusEntry[] = []
    for (const feed of this.multifeed.feeds()) {
      if (feed.key === null) continue
      entries.push({ key: feed.key.toString('hex'), length: feed.contiguousLength, writable: feed.writable })
    }
    return entries
  }

  /** Sends `entries` in chunks of at most MAX_STATUS_ENTRIES; false if the stream is backpressured. */
  private sendChunks (msg: Protomux.Message, entries: StatusEntry[], encode: (last: boolean, part: StatusEntry[]) => Buffer): boolean {
    let flushed = true
    this.channel?.cork()
    for (let i = 0; i === 0 || i < entries.length; i += MAX_STATUS_ENTRIES) {
      const part = entries.slice(i, i + MAX_STATUS_ENTRIES)
      flushed = msg.send(encode(i + MAX_STATUS_ENTRIES >= entries.length, part))
    }
    this.channel?.uncork()
    return flushed
  }

  private sendFirstStatus (): void {
    if (this.sent || !this.verified || !this.channelOpen || this.channel === null || this.closed) return
    const msg = this.channel.messages[0]
    if (msg === undefined) return
    this.sent = true
    this.sendChunks(msg, this.holdings(), (last, entries) => encodeStatus({ last, entries }))
  }

  /** Answers the newest request received, once per event-loop turn at most. */
  private scheduleReply (): void {
    if (this.replyScheduled || this.wantReply === 0) return
    if (!this.verified || !this.channelOpen || this.closed || this.draining) return
    this.replyScheduled = true
    setImmediate(() => {
      this.replyScheduled = false
      const msg = this.channel?.messages[2]
      if (this.closed || msg === undefined || this.wantReply === 0) return
      const id = this.wantReply
      this.wantReply = 0
      const flushed = this.sendChunks(msg, this.holdings(), (last, entries) => encodeReply({ id, last, entries }))
      if (!flushed) this.draining = true
    })
  }

  /** Runs a message handler; anything it throws fails the peer (ERR_BAD_MESSAGE). */
  private guarded (handle: () => void): void {
    if (this.closed) return
    try {
      handle()
    } catch (err) {
      this.fail(err instanceof SwarmError ? err : new SwarmError('ERR_BAD_MESSAGE', String(err)))
    }
  }

  private onstatus (buf: Uint8Array): void {
    this.guarded(() => {
      if (this.settled) throw new SwarmError('ERR_BAD_MESSAGE', 'status sent twice')
      const chunk = decodeStatus(buf)
      if (this.reported.size + chunk.entries.length > MAX_REPORTED) throw new SwarmError('ERR_BAD_MESSAGE', 'status lists too many feeds')
      for (const { key, length, writable } of chunk.entries) {
        this.reported.set(key, Math.max(length, this.reported.get(key) ?? 0))
        if (writable) this.writers.add(key)
      }
      if (chunk.last) {
        this.settled = true
        this.hooks.onChange(this)
      }
    })
  }

  private onrequest (buf: Uint8Array): void {
    this.guarded(() => {
      const id = decodeRequest(buf)
      if (id <= this.lastRequestSeen) throw new SwarmError('ERR_BAD_MESSAGE', 'status request ids must grow')
      this.lastRequestSeen = id
      this.wantReply = id
      this.scheduleReply()
    })
  }

  private onreply (buf: Uint8Array): void {
    this.guarded(() => {
      const reply = decodeReply(buf)
      if (reply.id < 1 || reply.id > this.nextRequest) throw new SwarmError('ERR_BAD_MESSAGE', 'a status reply to no request')
      if (this.replying !== null && this.replying.id !== reply.id) throw new SwarmError('ERR_BAD_MESSAGE', 'status reply chunks interleaved')
      this.replying ??= { id: reply.id, held: new Map() }
      const { held } = this.replying
      if (held.size + reply.entries.length > MAX_REPORTED) throw new SwarmError('ERR_BAD_MESSAGE', 'status reply lists too many feeds')
      for (const { key, length } of reply.entries) held.set(key, Math.max(length, held.get(key) ?? 0))
      if (!reply.last) return
      this.replying = null
      // The reply covers every request up to its id (the remote coalesces them).
      for (let i = this.pending.length - 1; i >= 0; i--) {
        const p = this.pending[i] as PendingRequest
        if (p.id > reply.id) continue
        this.pending.splice(i, 1)
        p.resolve(held)
      }
    })
  }
}
