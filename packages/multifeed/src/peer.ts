// One replication connection's side of the multifeed meta protocol.
//
// Order on each connection:
//   1. both sides open the meta channel with {version, proof, limit}; the proof
//      is bound to this connection's Noise handshake hash (see wire.ts);
//   2. on the remote's handshake: check version, verify proof. Any failure
//      destroys the connection and reports 'peer-error'. No feed key is ever
//      sent before the remote's proof verified;
//   3. then each side sends its full feed list, and later every feed it adds
//      (locally or learned from any peer), each key once per connection.
import type { Duplex } from 'node:stream'
import Hypercore from 'hypercore'
import type Protomux from 'protomux'
import c from 'compact-encoding'
import { MultifeedError } from './errors.js'
import { requireKey, toHex } from './keys.js'
import {
  PROTOCOL, PROTOCOL_VERSION, createProof, verifyProof,
  encodeHandshake, decodeHandshake, encodeFeeds, decodeFeeds
} from './wire.js'

/** What a connection needs from its multifeed (kept narrow so peer.ts can't reach into state). */
/** How long a dropped peer may take to end its side before we destroy the connection. */
const FAIL_GRACE_MS = 2000

export interface PeerHost {
  key(): Buffer
  ready(): Promise<void>
  closed(): boolean
  maxFeeds(): number
  maxFeedsPerMessage(): number
  knownKeys(): string[]
  knownFeeds(): Array<Hypercore<unknown>>
  has(key: string): boolean
  pendingCount(): number
  accept(key: string, info: { remotePublicKey: string | null }): boolean | Promise<boolean>
  addRemote(keys: string[]): Promise<void>
  onPeerAdd(peer: PeerConnection): void
  onPeerRemove(peer: PeerConnection, wasAdded: boolean): void
  onPeerError(peer: PeerConnection, err: MultifeedError): void
}

interface NoiseStream extends Duplex {
  isInitiator: boolean
  handshakeHash: Buffer | null
  remotePublicKey: Buffer | null
  opened: Promise<boolean>
}

export class PeerConnection {
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
  private readonly noise: NoiseStream
  private readonly mux: Protomux

  constructor (private readonly host: PeerHost, readonly stream: Duplex, private readonly ownsStream: boolean) {
    this.noise = (stream as Duplex & { noiseStream: NoiseStream }).noiseStream
    this.mux = Hypercore.getProtocolMuxer(stream)
    this.publicInfo = { remotePublicKey: null, stream }
    // Failures are reported as 'peer-error' / 'peer-remove'; without a listener
    // a destroyed stream's 'error' event would crash the process.
    stream.on('error', noop)
    this.noise.once('close', () => this.finish())
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
    this.host.onPeerAdd(this)
    // Only now do our feeds go on this connection: first the hypercore channels
    // (so data is ready to flow), then the list that tells the peer their keys.
    for (const feed of this.host.knownFeeds()) this.attach(feed)
    this.announce(this.host.knownKeys())
  }

  /** A feed was added to the set: replicate it here and tell the peer. */
  offer (feed: Hypercore<unknown>, key: string): void {
    if (!this.verified || this.done) return
    this.attach(feed)
    this.announce([key])
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
    const fresh = accepted.filter((k) => !this.host.has(k))
    if (this.host.pendingCount() + fresh.length > this.host.maxFeeds()) {
      throw new MultifeedError('ERR_TOO_MANY_FEEDS', `peer would take us past maxFeeds (${this.host.maxFeeds()})`)
    }
    await this.host.addRemote(fresh)
  }

  /**
   * Drops the peer. We end the stream rather than destroy it at once so that our
   * own handshake, already queued, still reaches the remote: then a peer with the
   * wrong key or version learns why too, instead of seeing a bare disconnect.
   * A remote that doesn't end its side in time is destroyed.
   */
  private fail (err: MultifeedError): void {
    if (this.done) return
    this.done = true
    this.host.onPeerError(this, err)
    this.noise.end()
    const timer = setTimeout(() => this.mux.destroy(err), FAIL_GRACE_MS)
    timer.unref()
    this.noise.once('close', () => clearTimeout(timer))
  }

  /** The connection or our channel on it ended: forget the peer, once. */
  private finish (): void {
    if (this.removed) return
    this.removed = true
    this.done = true
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
