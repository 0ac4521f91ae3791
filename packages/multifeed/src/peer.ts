// One replication connection's side of the multifeed meta protocol.
//
// Order on each connection:
//   1. both sides open the meta channel with {version, proof, limit}; the proof
//      is bound to this connection's Noise handshake hash (see wire.ts);
//   2. on the remote's handshake: check version, verify proof. Any failure
//      destroys the connection and reports 'peer-error'. No feed key is ever
//      sent before the remote's proof verified;
//   3. then each side sends the keys of its feeds that hold data, and later every
//      feed it adds or that gets its first entry, each key once per connection;
//   4. announced keys go to admission (admission.ts): a feed joins the set only
//      once a peer served a signed length for it.
import type { Duplex } from 'node:stream'
import Hypercore from 'hypercore'
import type Protomux from 'protomux'
import c from 'compact-encoding'
import { MultifeedError } from './errors.js'
import type { Announcer } from './admission.js'
import { guardFrames } from './frame-guard.js'
import { requireKey, toHex } from './keys.js'
import {
  PROTOCOL, PROTOCOL_VERSION, createProof, verifyProof,
  encodeHandshake, decodeHandshake, encodeFeeds, decodeFeeds
} from './wire.js'

/** How long a dropped peer may take to end its side before we destroy the connection. */
const FAIL_GRACE_MS = 2000

/** What a connection needs from its multifeed (kept narrow so peer.ts can't reach into state). */
export interface PeerHost {
  key(): Buffer
  ready(): Promise<void>
  closed(): boolean
  maxFeedsPerMessage(): number
  /** Milliseconds a connection may take to prove the key. */
  handshakeTimeout(): number
  /** Largest transport frame accepted before the peer proved the key. */
  maxFrameBeforeProof(): number
  knownKeys(): string[]
  knownFeeds(): Array<Hypercore<unknown>>
  has(key: string): boolean
  /** Why a key can never be a feed of this set, or null. */
  forbidden(key: string): string | null
  accept(key: string, info: { remotePublicKey: string | null }): boolean | Promise<boolean>
  /** Hands accepted keys to admission; throws ERR_TOO_MANY_FEEDS past this peer's queue bound. */
  enqueue(peer: PeerConnection, keys: string[]): void
  onPeerAdd(peer: PeerConnection): void
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

export class PeerConnection implements Announcer {
  readonly publicInfo: { remotePublicKey: string | null; stream: Duplex }
  verified = false
  private added = false
  private done = false
  private removed = false

  /** Verified and not dropped or closed. */
  get active (): boolean { return this.verified && !this.done }
  private channel: Protomux.Channel | null = null
  private sendMax = 1
  /** Keys this peer is known to have: announced by it or sent to it. */
  private readonly known = new Set<string>()
  /** `feeds` messages are handled one at a time, in order. */
  private queue: Promise<void> = Promise.resolve()
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
      messages: [{ encoding: c.raw, onmessage: (buf: Buffer) => this.onfeeds(buf) }],
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
      maxFeedsPerMessage: this.host.maxFeedsPerMessage()
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
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    this.verified = true
    this.added = true
    this.stopWatching()
    this.host.onPeerAdd(this)
    // Only now do our feeds go on this connection: first the hypercore channels
    // (so data is ready to flow), then the list that tells the peer their keys.
    // Only feeds with data are announced: the peer admits a feed once we serve
    // its signed length, which an empty feed does not have yet. An empty feed
    // is announced on its first entry (Multifeed calls announce()).
    const feeds = this.host.knownFeeds()
    for (const feed of feeds) this.attach(feed)
    this.announce(feeds.filter((f) => f.length > 0).map((f) => toHex(f.key as Buffer)))
  }

  /** A feed was added to the set: replicate it here and, once it has data, tell the peer. */
  offer (feed: Hypercore<unknown>, key: string): void {
    if (!this.verified || this.done) return
    this.attach(feed)
    if (feed.length > 0) this.announce([key])
  }

  private attach (feed: Hypercore<unknown>): void {
    if (!feed.closed) feed.replicate(this.noise)
  }

  /** Sends feed keys this peer doesn't know yet. No-op until the peer's proof verified. */
  announce (keys: string[]): void {
    if (!this.verified || this.done || this.channel === null) return
    const fresh: Buffer[] = []
    for (const k of keys) {
      if (this.known.has(k)) continue
      this.known.add(k)
      fresh.push(requireKey(k, 'feed key'))
    }
    if (fresh.length === 0) return
    const feeds = this.channel.messages[0]
    this.channel.cork()
    for (let i = 0; i < fresh.length; i += this.sendMax) {
      feeds.send(encodeFeeds(fresh.slice(i, i + this.sendMax)))
    }
    this.channel.uncork()
  }

  private onfeeds (buf: Buffer): void {
    if (this.done) return
    let keys: string[]
    try {
      if (!this.verified) throw new MultifeedError('ERR_BAD_MESSAGE', 'feeds message before the handshake verified')
      keys = decodeFeeds(buf, this.host.maxFeedsPerMessage())
      for (const k of keys) {
        const why = this.host.forbidden(k)
        if (why !== null) throw new MultifeedError('ERR_BAD_FEED_KEY', why)
      }
    } catch (err) {
      this.fail(asMultifeedError(err))
      return
    }
    for (const k of keys) this.known.add(k)
    this.queue = this.queue.then(() => this.learn(keys)).catch((err: unknown) => {
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
    if (!this.ownsStream) this.stopWatching()
    this.host.onPeerRemove(this, this.added)
  }

  /** The multifeed is closing: end our own streams; on a caller's stream only leave the channel. */
  close (): void {
    if (this.ownsStream) this.stream.destroy()
    else if (this.channel !== null) this.channel.close()
    this.done = true
  }
}

function asMultifeedError (err: unknown): MultifeedError {
  return err instanceof MultifeedError ? err : new MultifeedError('ERR_BAD_MESSAGE', String(err))
}

function noop (): void {}
