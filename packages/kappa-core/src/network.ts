// Kappa's connections to peers: join()/leave()/peers (delegated to KappaSwarm, ./swarm/),
// the status channel on streams from replicate(), and synced() over both.
import type { Duplex } from 'node:stream'
import type { Multifeed } from '@kappa-ts/multifeed'
import { KappaError, closedError } from './errors.js'
import { KappaSwarm, type JoinOptions, type KappaSwarmEvents, type PeerStatus } from './swarm/index.js'
import { StatusPeer } from './swarm/status-peer.js'
import { waitForPeers, waitUntilHeld, type AcceptFeed } from './sync-wait.js'

/** Swarm events a Kappa re-emits as its own (KappaEvents declares each with the same listener). */
const RELAYED = ['peer-add', 'peer-remove', 'synced', 'sync-progress', 'connection-error'] as const
type Relayed = typeof RELAYED[number]
/** Where relayed events go: the Kappa's own typed emit. */
export interface RelayTarget {
  emit<E extends Relayed>(event: E, ...args: Parameters<KappaSwarmEvents[E]>): boolean
}

export interface SyncedOptions {
  /** First wait until at least this many peers are connected and verified (after join(): 1). Default 0. */
  peers?: number
  /** Stops waiting: synced() rejects with `signal.reason`. */
  signal?: AbortSignal
}

export class Network {
  private current: KappaSwarm | null = null
  private readonly multifeed: Multifeed
  private readonly relay: RelayTarget
  private readonly accept: AcceptFeed | undefined
  /** The status channel of each stream returned by replicate(), until the stream closes. */
  private readonly streams = new Map<Duplex, StatusPeer>()
  /** Aborted by close(): every synced() still waiting rejects with ERR_CLOSED. */
  private readonly closing = new AbortController()
  private readonly onverified = (info: { stream?: unknown }): void => {
    this.streams.get(info.stream as Duplex)?.markVerified()
  }

  constructor (multifeed: Multifeed, relay: RelayTarget, accept?: AcceptFeed) {
    this.multifeed = multifeed
    this.relay = relay
    this.accept = accept
    multifeed.on('peer-add', this.onverified)
  }

  get swarm (): KappaSwarm | null { return this.current }
  get peers (): PeerStatus[] { return this.current?.peers ?? [] }

  /** A replication stream of the multifeed, carrying the status channel synced() asks. */
  replicate (isInitiator: boolean | Duplex, opts?: Record<string, unknown>): Duplex {
    const stream = this.multifeed.replicate(isInitiator, opts)
    if (this.streams.has(stream)) return stream
    const peer = new StatusPeer(stream, this.multifeed, {
      onChange: () => {},
      // A malformed status message: the remote is not a kappa we can talk to.
      onFailure: (_p, err) => stream.destroy(err)
    })
    this.streams.set(stream, peer)
    stream.once('close', () => {
      peer.close()
      this.streams.delete(stream)
    })
    peer.attach()
    return stream
  }

  /** The status channel of every open connection: piped streams and swarm connections. */
  statusPeers (): StatusPeer[] {
    return [...this.streams.values(), ...(this.current?.statusPeers() ?? [])]
  }

  /** See Kappa.synced(). */
  async synced (opts: SyncedOptions, indexed: () => Promise<void>): Promise<void> {
    const peers = opts.peers ?? 0
    if (!Number.isSafeInteger(peers) || peers < 0) throw new KappaError('ERR_INVALID_OPTIONS', 'synced(): peers must be a non-negative integer')
    const { signal, dispose } = either(this.closing.signal, opts.signal)
    try {
      const ctx = { multifeed: this.multifeed, peers: () => this.statusPeers(), accept: this.accept }
      if (peers > 0) await waitForPeers(ctx, peers, signal)
      await waitUntilHeld(ctx, signal)
    } finally {
      dispose()
    }
    await indexed()
  }

  /** The first join() creates the swarm with its options; later calls rejoin it. */
  async join (opts?: JoinOptions): Promise<void> {
    if (this.current === null) {
      const swarm = new KappaSwarm(this.multifeed, opts)
      for (const event of RELAYED) this.forward(swarm, event)
      this.current = swarm
    }
    await this.current.join()
  }

  async leave (): Promise<void> {
    if (this.current !== null) await this.current.leave()
  }

  private forward<E extends Relayed> (swarm: KappaSwarm, event: E): void {
    const listener = (...args: Parameters<KappaSwarmEvents[E]>): void => { this.relay.emit(event, ...args) }
    swarm.on(event, listener as unknown as KappaSwarmEvents[E])
  }

  async close (): Promise<void> {
    this.closing.abort(closedError('synced'))
    this.multifeed.removeListener('peer-add', this.onverified)
    for (const peer of this.streams.values()) peer.close()
    const swarm = this.current
    this.current = null
    if (swarm !== null) await swarm.close()
  }
}

/** A signal aborted when either is (AbortSignal.any needs Node 20.3); dispose() unhooks it. */
function either (a: AbortSignal, b: AbortSignal | undefined): { signal: AbortSignal; dispose: () => void } {
  if (b === undefined) return { signal: a, dispose: () => {} }
  const both = new AbortController()
  const onA = (): void => both.abort(a.reason)
  const onB = (): void => both.abort(b.reason)
  if (a.aborted) onA()
  else if (b.aborted) onB()
  a.addEventListener('abort', onA)
  b.addEventListener('abort', onB)
  return {
    signal: both.signal,
    dispose: () => {
      a.removeEventListener('abort', onA)
      b.removeEventListener('abort', onB)
    }
  }
}
