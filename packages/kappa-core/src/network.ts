// Kappa's connections to peers: the status channel on streams from replicate(), the
// transports attached to the kappa (e.g. @kappa-ts/swarm's KappaSwarm), and synced() over both.
import type { Duplex } from 'node:stream'
import type { Multifeed } from '@kappa-ts/multifeed'
import { KappaError, closedError } from './errors.js'
import { StatusPeer } from './status-peer.js'
import { waitForPeers, waitUntilHeld, type AcceptFeed } from './sync-wait.js'

/**
 * Something that brings connections to a kappa besides replicate(): e.g. @kappa-ts/swarm's
 * KappaSwarm. It replicates `kappa.multifeed` over each connection and runs a StatusPeer on it;
 * kappa.synced() asks those peers too, and kappa.close() closes the transport first.
 */
export interface KappaTransport {
  /** The status channel of every connection the transport holds now. */
  statusPeers(): Iterable<StatusPeer>
  /** Leaves for good: closes every connection. Called once by kappa.close(), before anything else closes. */
  close(): Promise<void>
}

export interface SyncedOptions {
  /** First wait until at least this many peers are connected and verified (after joining a swarm: 1). Default 0. */
  peers?: number
  /** Stops waiting: synced() rejects with `signal.reason`. */
  signal?: AbortSignal
}

export class Network {
  private readonly multifeed: Multifeed
  private readonly transports = new Set<KappaTransport>()
  private readonly accept: AcceptFeed | undefined
  /** The status channel of each stream returned by replicate(), until the stream closes. */
  private readonly streams = new Map<Duplex, StatusPeer>()
  /** Aborted by close(): every synced() still waiting rejects with ERR_CLOSED. */
  private readonly closing = new AbortController()
  private readonly onverified = (info: { stream?: unknown }): void => {
    this.streams.get(info.stream as Duplex)?.markVerified()
  }

  constructor (multifeed: Multifeed, accept?: AcceptFeed) {
    this.multifeed = multifeed
    this.accept = accept
    multifeed.on('peer-add', this.onverified)
  }

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

  /** The status channel of every open connection: piped streams and the transports' connections. */
  statusPeers (): StatusPeer[] {
    const out = [...this.streams.values()]
    for (const t of this.transports) out.push(...t.statusPeers())
    return out
  }

  /** See Kappa.attach(). */
  attach (transport: KappaTransport): () => void {
    this.transports.add(transport)
    return () => { this.transports.delete(transport) }
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

  async close (): Promise<void> {
    this.closing.abort(closedError('synced'))
    this.multifeed.removeListener('peer-add', this.onverified)
    const transports = [...this.transports]
    this.transports.clear()
    await Promise.all(transports.map((t) => t.close().catch(() => {})))
    for (const peer of this.streams.values()) peer.close()
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
