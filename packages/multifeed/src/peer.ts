// One replication connection's side of the multifeed meta protocol.
//
// Order on each connection:
//   1. both sides open the meta channel with {version, proof, limit}; the proof
//      is bound to this connection's Noise handshake hash (see wire.ts);
//   2. on the remote's handshake: check version, verify proof. Any failure
//      destroys the connection and reports 'peer-error'. Nothing about our feeds
//      is ever sent before the remote's proof verified;
//   3. then each side sends the digest of its feed list with lengths (digest.ts);
//      on the other's digest, it sends the state (fork, length, contiguous length)
//      of its feeds in every bucket where the digests differ, and of the writers it
//      writes with now, then `end`. Two peers holding the same feeds at the same lengths
//      exchange two digests and nothing else;
//   4. later, each side sends the new state of every feed that changed (a new
//      feed, an append, a download), once per change, to peers not known to
//      hold as much already;
//   5. announced feeds we do not know go to admission (admission.ts): a feed
//      joins the set only once a peer served a signed length for it. Known feeds
//      a peer is ahead on go to the sync queue (sync-queue.ts);
//   6. the side that wants a feed opens its hypercore channel; the other side
//      opens the feed when that channel arrives (serve), only for a verified peer
//      and a feed of the set, at most `maxServing` at a time per connection.
import type { Duplex } from 'node:stream'
import Hypercore from 'hypercore'
import type Protomux from 'protomux'
import c from 'compact-encoding'
import { MultifeedError } from './errors.js'
import type { Announcer } from './admission.js'
import { guardFrames } from './frame-guard.js'
import { toHex } from './keys.js'
import {
  PROTOCOL, PROTOCOL_VERSION, END_MESSAGE, createProof, verifyProof, checkEnd,
  encodeHandshake, decodeHandshake, encodeFeeds, decodeFeeds, type FeedState
} from './wire.js'
import { decodeDigest, encodeDigest, type Digest } from './digest.js'
import type { SyncPeer } from './sync-queue.js'
import { decodeBulk, decodeWantBulk, encodeBulk, encodeWantBulk, checkBulkProofs, type EncodedFeedProofs, type FeedProofs } from './bulk-proof.js'

/** want-bulk messages from one peer we have not answered yet (more: ERR_TOO_MANY_FEEDS). */
const MAX_PENDING_BULK_ASKS = 64

/** How long a dropped peer may take to end its side before we destroy the connection. */
const FAIL_GRACE_MS = 2000

/** What a connection needs from its multifeed (kept narrow so peer.ts can't reach into state). */
export interface PeerHost {
  key(): Buffer
  ready(): Promise<void>
  closed(): boolean
  maxFeedsPerMessage(): number
  /** Most distinct feeds one connection may tell us the state of (what it can make us keep). */
  maxHeard(): number
  /** Milliseconds a connection may take to prove the key. */
  handshakeTimeout(): number
  /** Largest transport frame accepted before the peer proved the key. */
  maxFrameBeforeProof(): number
  /** The digest of our feed list now. */
  digest(): Digest
  /** Our state of every feed with data in these buckets, and of the writers we write with now. */
  statesFor(buckets: number[]): FeedState[]
  /** Our state of a feed now (null: not a feed of the set, or no data yet). */
  stateOf(key: string): FeedState | null
  has(key: string): boolean
  /** Why a key can never be a feed of this set, or null. */
  forbidden(key: string): string | null
  accept(key: string, info: { remotePublicKey: string | null }): boolean | Promise<boolean>
  /** Hands accepted keys to admission; throws ERR_TOO_MANY_FEEDS past this peer's queue bound. */
  enqueue(peer: PeerConnection, keys: string[]): void
  /** The peer told us the state of these feeds (already recorded in peer.heardOf). */
  heard(peer: PeerConnection, states: FeedState[]): void
  /** The peer opened the hypercore channel of this discovery key: open and attach the feed if it is one of ours. */
  serve(peer: PeerConnection, discoveryKey: Buffer): Promise<void>
  /** The peer asks for these small feeds in bulk: their proofs (no proofs: not in bulk). */
  bulkServe(peer: PeerConnection, keys: string[]): Promise<EncodedFeedProofs[]>
  /** Feeds whose first proof verified against their key: create, apply, admit. */
  /** Admits proven bulk feeds; returns keys another peer or admission was bringing in (see Multifeed._bulkAdmit). */
  bulkAdmit(peer: PeerConnection, feeds: FeedProofs[]): Promise<string[]>
  /** Keys the bulk path did not take: the usual admission. */
  admitSlow(peer: PeerConnection, keys: string[]): void
  onPeerAdd(peer: PeerConnection): void
  /** The peer finished telling us what it has (its `end`). */
  onPeerSettled(peer: PeerConnection): void
  /** The connection ended (called once, verified or not). */
  onPeerRemove(peer: PeerConnection, wasAdded: boolean): void
  onPeerError(peer: PeerConnection, err: MultifeedError): void
}

interface NoiseStream extends Duplex {
  isInitiator: boolean
  handshakeHash: Buffer | null
  remotePublicKey: Buffer | null
  opened: Promise<boolean>
}

export class PeerConnection implements Announcer, SyncPeer {
  readonly publicInfo: { remotePublicKey: string | null; stream: Duplex }
  verified = false
  private added = false
  private done = false
  private removed = false

  /** Verified and not dropped or closed. */
  get active (): boolean { return this.verified && !this.done }
  private channel: Protomux.Channel | null = null
  private sendMax = 1
  /** The remote takes part in the bulk path (its handshake said so). */
  bulk = false
  /** What the peer told us of each feed, latest first (it never shrinks below a key it sent). */
  private readonly heardStates = new Map<string, FeedState>()
  /** The state of each feed we last sent this peer. */
  private readonly told = new Map<string, FeedState>()
  /** The remote's digest arrived (it comes once, first). */
  private gotDigest = false
  /** The remote's `end` arrived: what it had at connection time is in heardStates. */
  settled = false
  /** Feeds opened because this peer asked for them (serve), so they can be let go. */
  readonly serving = new Set<string>()
  /** Asks for more feeds than we serve at once wait here, in order (the remote's channel stays pending). */
  private readonly serveWaiters: Array<{ key: string; resolve: (ok: boolean) => void }> = []
  /** Small feeds asked of this peer in bulk and not answered yet. */
  readonly bulkWanted = new Set<string>()
  /** Bulk asks of the peer are answered one at a time, in order. */
  private bulkServing: Promise<void> = Promise.resolve()
  private bulkAsks = 0
  /** Unknown keys are handled one message at a time, in order. */
  private queue: Promise<void> = Promise.resolve()
  private readonly whenVerified: Promise<boolean>
  private settleVerified: (ok: boolean) => void = () => {}
  readonly noise: NoiseStream
  private readonly mux: Protomux
  /**
   * Until the proof verified: the frame-size guard and the handshake timer. On a
   * stream we created they last until the stream closes; on a caller's stream
   * (which may carry other protocols) they end when our channel does.
   */
  private readonly unguard: () => void
  private watchdog: NodeJS.Timeout | null

  constructor (private readonly host: PeerHost, readonly stream: Duplex, private readonly ownsStream: boolean) {
    this.noise = (stream as Duplex & { noiseStream: NoiseStream }).noiseStream
    this.mux = Hypercore.getProtocolMuxer(stream)
    this.whenVerified = new Promise((resolve) => { this.settleVerified = resolve })
    this.publicInfo = { remotePublicKey: null, stream }
    // Failures are reported as 'peer-error' / 'peer-remove'; without a listener
    // a destroyed stream's 'error' event would crash the process.
    stream.on('error', noop)
    const maxFrame = host.maxFrameBeforeProof()
    this.unguard = guardFrames(this.noise, maxFrame, (length) => this.failNow(new MultifeedError('ERR_FRAME_TOO_LARGE',
      `peer announced a frame of ${length} bytes before proving the key (limit ${maxFrame})`)))
    const timeout = host.handshakeTimeout()
    this.watchdog = setTimeout(() => this.onHandshakeTimeout(new MultifeedError('ERR_HANDSHAKE_TIMEOUT',
      `peer did not prove it knows the key within ${timeout} ms`)), timeout)
    this.watchdog.unref()
    this.noise.once('close', () => {
      this.stopWatching()
      this.finish()
    })
    // Answer a channel the remote opens first...
    this.mux.pair({ protocol: PROTOCOL }, () => this.open())
    // A hypercore channel for a feed we have not attached here: replaces Corestore's
    // own answer (which opens any core it holds for anyone), so that only a verified
    // peer gets, and only the feeds of the set (serve()).
    this.mux.pair({ protocol: 'hypercore/alpha' }, (id) => this.onFeedChannel(id))
    // ...or open ours as soon as the handshake hash (needed for the proof) exists.
    this.noise.opened.then((ok) => ok ? this.open() : undefined, noop)
  }

  private async open (): Promise<void> {
    if (this.channel !== null || this.done) return
    try {
      await this.host.ready()
    } catch (err) {
      this.mux.destroy(err as Error) // the multifeed failed to open: it has nothing to replicate
      return
    }
    const hash = this.noise.handshakeHash
    if (this.channel !== null || this.done || this.host.closed() || hash === null) return
    const ch = this.mux.createChannel({
      protocol: PROTOCOL,
      handshake: c.raw,
      messages: [
        { encoding: c.raw, onmessage: (buf: Buffer) => this.onfeeds(buf) },
        { encoding: c.raw, onmessage: (buf: Buffer) => this.ondigest(buf) },
        { encoding: c.raw, onmessage: (buf: Buffer) => this.onend(buf) },
        { encoding: c.raw, onmessage: (buf: Buffer) => this.onwantbulk(buf) },
        { encoding: c.raw, onmessage: (buf: Buffer) => this.onbulk(buf) }
      ],
      onopen: (hs: Buffer) => this.onopen(hs, hash),
      // The remote's multifeed closed (or it left the channel): this peer is gone
      // for the set even if the stream lives on for other protocols.
      onclose: () => this.finish()
    })
    if (ch === null) return // stream closed, or another multifeed already owns this channel
    this.channel = ch
    if (this.noise.remotePublicKey) this.publicInfo.remotePublicKey = toHex(this.noise.remotePublicKey)
    ch.open(encodeHandshake({
      version: PROTOCOL_VERSION,
      proof: createProof(this.host.key(), hash, this.noise.isInitiator),
      maxFeedsPerMessage: this.host.maxFeedsPerMessage(),
      bulk: true
    }))
  }

  private onopen (raw: Buffer, hash: Buffer): void {
    if (this.done) return
    try {
      const hs = decodeHandshake(raw)
      if (!verifyProof(hs.proof, this.host.key(), hash, !this.noise.isInitiator)) {
        throw new MultifeedError('ERR_PROOF', 'peer did not prove it knows this multifeed\'s key')
      }
      this.sendMax = Math.min(hs.maxFeedsPerMessage, this.host.maxFeedsPerMessage())
      this.bulk = hs.bulk === true
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    this.verified = true
    this.added = true
    this.stopWatching()
    this.settleVerified(true)
    this.host.onPeerAdd(this)
    // Only now does anything about our feeds go on this connection: the digest of
    // our list; the remote answers with what differs, and we with what it lacks.
    this.channel?.messages[1]?.send(encodeDigest(this.host.digest()))
  }

  /** What this peer last told us of a feed. */
  heardOf (key: string): FeedState | undefined {
    return this.heardStates.get(key)
  }

  /** Every feed this peer told us about, with its last state. */
  heard (): ReadonlyMap<string, FeedState> {
    return this.heardStates
  }

  /**
   * Tells the peer the new state of feeds that changed here (once each: not a state
   * we sent it already). It also tells a peer we fetched from that we now hold what it
   * holds, which is how a peer knows its data reached us (behind()). No-op until the
   * peer's proof verified.
   */
  update (states: FeedState[]): void {
    if (!this.verified || this.done || this.channel === null) return
    const fresh: FeedState[] = []
    for (const s of states) {
      if (s.length === 0) continue // a feed is announced once it has an entry
      const told = this.told.get(s.key)
      if (told !== undefined && sameState(told, s)) continue
      fresh.push(s)
    }
    this.send(fresh)
  }

  /**
   * How many of our feeds this peer is not known to hold as much of as we do now.
   * A feed we never sent it was in a bucket whose digests matched when it connected
   * and has not changed since: the peer holds what we hold. Any other feed counts
   * until the peer tells us it caught up.
   */
  behind (): number {
    let n = 0
    for (const key of this.told.keys()) {
      const ours = this.host.stateOf(key)
      if (ours === null) continue
      const theirs = this.heardStates.get(key)
      if (theirs === undefined || !covers(theirs, ours)) n++
    }
    return n
  }

  private send (states: FeedState[]): void {
    if (states.length === 0 || this.channel === null) return
    for (const s of states) this.told.set(s.key, s)
    const feeds = this.channel.messages[0]
    if (feeds === undefined) return
    this.channel.cork()
    for (let i = 0; i < states.length; i += this.sendMax) {
      feeds.send(encodeFeeds(states.slice(i, i + this.sendMax)))
    }
    this.channel.uncork()
  }

  private ondigest (buf: Buffer): void {
    if (this.done) return
    let digest: Digest
    try {
      if (!this.verified) throw new MultifeedError('ERR_BAD_MESSAGE', 'digest before the handshake verified')
      if (this.gotDigest) throw new MultifeedError('ERR_BAD_MESSAGE', 'digest sent twice')
      digest = decodeDigest(buf)
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    this.gotDigest = true
    const ours = this.host.digest()
    const differing: number[] = []
    for (let b = 0; b < ours.buckets.length; b++) {
      const mine = ours.buckets[b] ?? null
      const theirs = digest.buckets[b] ?? null
      if (mine === null ? theirs !== null : theirs === null || mine.hi !== theirs.hi || mine.lo !== theirs.lo) differing.push(b)
    }
    this.send(this.host.statesFor(differing).filter((s) => s.length > 0))
    this.channel?.messages[2]?.send(END_MESSAGE)
  }

  private onend (buf: Buffer): void {
    if (this.done) return
    try {
      if (!this.gotDigest) throw new MultifeedError('ERR_BAD_MESSAGE', 'end before the digest')
      if (this.settled) throw new MultifeedError('ERR_BAD_MESSAGE', 'end sent twice')
      checkEnd(buf)
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    this.settled = true
    // after the feeds messages before it: learning unknown keys runs in order too
    this.queue = this.queue.then(() => { if (!this.done) this.host.onPeerSettled(this) })
  }

  /** Asks the peer for these small feeds in bulk (keys asked already are skipped). */
  wantBulk (keys: string[], timeout: number): void {
    const msg = this.channel?.messages[3]
    if (msg === undefined || this.done) return
    const fresh = keys.filter((k) => !this.bulkWanted.has(k))
    for (const k of fresh) this.bulkWanted.add(k)
    for (let i = 0; i < fresh.length; i += this.sendMax) msg.send(encodeWantBulk(fresh.slice(i, i + this.sendMax)))
    // A peer that leaves an ask unanswered does not pin it: those keys go to admission.
    const timer = setTimeout(() => {
      const late = fresh.filter((k) => this.bulkWanted.delete(k))
      if (late.length === 0 || this.done) return
      this.queue = this.queue.then(() => { if (!this.done) this.host.admitSlow(this, late.filter((k) => !this.host.has(k))) })
        .catch((err: unknown) => { if (!this.host.closed()) this.fail(asMultifeedError(err)) })
    }, timeout)
    timer.unref()
  }

  private onwantbulk (buf: Buffer): void {
    if (this.done) return
    let keys: string[]
    try {
      if (!this.verified) throw new MultifeedError('ERR_BAD_MESSAGE', 'want-bulk before the handshake verified')
      if (!this.bulk) throw new MultifeedError('ERR_BAD_MESSAGE', 'want-bulk from a peer whose handshake did not offer bulk')
      keys = decodeWantBulk(buf, this.host.maxFeedsPerMessage())
      if (++this.bulkAsks > MAX_PENDING_BULK_ASKS) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `peer has more than ${MAX_PENDING_BULK_ASKS} bulk asks pending`)
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    this.bulkServing = this.bulkServing.then(async () => {
      if (this.done) return
      let feeds = await this.host.bulkServe(this, keys)
      this.bulkAsks--
      const msg = this.channel?.messages[4]
      if (msg === undefined) return
      while (feeds.length > 0 && !this.done) {
        const { message, count } = encodeBulk(feeds)
        msg.send(message)
        feeds = feeds.slice(count)
      }
    }).catch((err: unknown) => {
      if (!this.host.closed()) this.fail(new MultifeedError('ERR_STORAGE', `could not read feeds for a bulk ask: ${String(err)}`))
    })
  }

  private onbulk (buf: Buffer): void {
    if (this.done) return
    const proven: FeedProofs[] = []
    const slow: string[] = []
    try {
      if (!this.verified) throw new MultifeedError('ERR_BAD_MESSAGE', 'bulk before the handshake verified')
      const feeds = decodeBulk(buf, this.host.maxFeedsPerMessage())
      for (const f of feeds) {
        if (!this.bulkWanted.delete(f.key)) throw new MultifeedError('ERR_BAD_MESSAGE', `bulk proof of feed ${f.key}, which we did not ask for`)
        if (f.proofs.length === 0) slow.push(f.key)
        else {
          checkBulkProofs(f.key, f.proofs) // before anything is created
          proven.push(f)
        }
      }
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    this.queue = this.queue.then(async () => {
      if (this.done || this.host.closed()) return
      if (proven.length > 0) slow.push(...await this.host.bulkAdmit(this, proven))
      if (slow.length > 0 && !this.done) this.host.admitSlow(this, slow.filter((k) => !this.host.has(k)))
    }).catch((err: unknown) => {
      if (this.host.closed()) return
      this.fail(err instanceof MultifeedError ? err : new MultifeedError('ERR_STORAGE', `could not add bulk feeds: ${String(err)}`))
    })
  }

  /**
   * Takes one of `max` serve slots for `key` (it joins `serving` at once, so asks that
   * arrive together cannot all see a free slot): resolves true when it has one, waiting
   * in order while all are taken; false if the connection ends first or `key` is
   * served already.
   */
  takeServeSlot (key: string, max: number): Promise<boolean> {
    if (this.done || this.serving.has(key)) return Promise.resolve(false)
    if (this.serving.size < max && this.serveWaiters.length === 0) {
      this.serving.add(key)
      return Promise.resolve(true)
    }
    return new Promise((resolve) => this.serveWaiters.push({ key, resolve }))
  }

  /** A served feed was let go: its slot goes to the next waiting ask. */
  endServe (key: string): boolean {
    if (!this.serving.delete(key)) return false
    for (let next = this.serveWaiters.shift(); next !== undefined; next = this.serveWaiters.shift()) {
      if (this.serving.has(next.key)) { next.resolve(false); continue } // served meanwhile
      this.serving.add(next.key)
      next.resolve(true)
      break
    }
    return true
  }

  /** The remote opened a hypercore channel we have no core attached for. */
  private async onFeedChannel (discoveryKey: Uint8Array | null): Promise<void> {
    if (discoveryKey === null || discoveryKey.byteLength !== 32) return
    // Its proof may still be on the way: wait for it (or for the connection to fail).
    if (!(await this.whenVerified) || this.done) return
    await this.host.serve(this, Buffer.from(discoveryKey))
  }

  private onfeeds (buf: Buffer): void {
    if (this.done) return
    let states: FeedState[]
    try {
      if (!this.verified) throw new MultifeedError('ERR_BAD_MESSAGE', 'feeds message before the handshake verified')
      states = decodeFeeds(buf, this.host.maxFeedsPerMessage())
      for (const s of states) {
        const why = this.host.forbidden(s.key)
        if (why !== null) throw new MultifeedError('ERR_BAD_FEED_KEY', why)
      }
      const most = this.host.maxHeard()
      if (this.heardStates.size + states.length > most) {
        let fresh = 0
        for (const s of states) if (!this.heardStates.has(s.key)) fresh++
        if (this.heardStates.size + fresh > most) throw new MultifeedError('ERR_TOO_MANY_FEEDS', `peer told us of more than ${most} feeds`)
      }
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    for (const s of states) this.heardStates.set(s.key, s)
    this.host.heard(this, states)
    // Keys we do not know (with data) are candidates: accept() and admission, in order.
    const unknown = states.filter((s) => s.length > 0 && !this.host.has(s.key)).map((s) => s.key)
    if (unknown.length === 0) return
    this.queue = this.queue.then(() => this.learn(unknown)).catch((err: unknown) => {
      if (this.host.closed()) return
      this.fail(err instanceof MultifeedError ? err : new MultifeedError('ERR_STORAGE', `could not add announced feeds: ${String(err)}`))
    })
  }

  private async learn (keys: string[]): Promise<void> {
    const info = { remotePublicKey: this.publicInfo.remotePublicKey }
    const accepted: string[] = []
    for (const key of keys) {
      if (this.host.has(key)) continue
      let ok = false
      try {
        ok = await this.host.accept(key, info)
      } catch {
        ok = false // a throwing filter rejects the feed rather than breaking the connection
      }
      if (ok === true) accepted.push(key)
    }
    if (this.done || this.host.closed()) return
    this.host.enqueue(this, accepted.filter((k) => !this.host.has(k)))
  }

  /**
   * Drops the peer. We end the stream rather than destroy it at once so that our
   * own handshake, already queued, still reaches the remote: then a peer with the
   * wrong key or version learns why too, instead of seeing a bare disconnect.
   * A remote that doesn't end its side in time is destroyed.
   */
  fail (err: MultifeedError): void {
    if (this.done) return
    this.done = true
    this.settleVerified(false)
    this.host.onPeerError(this, err)
    this.noise.end()
    const timer = setTimeout(() => this.mux.destroy(err), FAIL_GRACE_MS)
    timer.unref()
    this.noise.once('close', () => clearTimeout(timer))
  }

  /**
   * Drops the peer at once: used when waiting would let secret-stream allocate
   * what the peer announced (the guard calls it before the bytes are handled),
   * and for a peer that stayed silent past the handshake timeout.
   */
  private failNow (err: MultifeedError): void {
    if (this.done) return
    this.done = true
    this.settleVerified(false)
    this.stopWatching()
    this.host.onPeerError(this, err)
    this.mux.destroy(err)
  }

  /**
   * The peer did not prove the key in time: it is destroyed at once (waiting
   * for it to end its side gives a silent peer more time, and our handshake
   * already went out if Noise completed). If the peer had already closed or
   * refused our channel, only a stream we created is destroyed: a caller's
   * stream may carry other protocols.
   */
  private onHandshakeTimeout (err: MultifeedError): void {
    this.watchdog = null
    if (this.verified) return
    if (!this.done) {
      this.failNow(err)
    } else if (this.ownsStream && !this.noise.destroyed) {
      this.host.onPeerError(this, err)
      this.mux.destroy(err)
    }
  }

  private stopWatching (): void {
    this.unguard()
    if (this.watchdog !== null) clearTimeout(this.watchdog)
    this.watchdog = null
  }

  /** The connection or our channel on it ended: forget the peer, once. */
  private finish (): void {
    if (this.removed) return
    this.removed = true
    this.done = true
    this.settleVerified(false)
    for (const w of this.serveWaiters.splice(0)) w.resolve(false)
    if (!this.ownsStream) this.stopWatching()
    this.host.onPeerRemove(this, this.added)
  }

  /** The multifeed is closing: end our own streams; on a caller's stream only leave the channel. */
  close (): void {
    if (this.ownsStream) this.stream.destroy()
    else if (this.channel !== null) this.channel.close()
    this.done = true
    this.settleVerified(false)
  }
}

/** Whether a peer holding `theirs` already has everything of `ours`. */
function covers (theirs: FeedState, ours: FeedState): boolean {
  if (theirs.fork !== ours.fork) return theirs.fork > ours.fork
  return theirs.length >= ours.length && theirs.contiguousLength >= ours.contiguousLength
}

function sameState (a: FeedState, b: FeedState): boolean {
  return a.fork === b.fork && a.length === b.length && a.contiguousLength === b.contiguousLength && a.writable === b.writable
}

function asMultifeedError (err: unknown): MultifeedError {
  return err instanceof MultifeedError ? err : new MultifeedError('ERR_BAD_MESSAGE', String(err))
}

function noop (): void {}
