// join()/leave()/peers for Kappa, delegated to KappaSwarm (./swarm/).
import type { Multifeed } from '@kappa-ts/multifeed'
import { KappaSwarm, type JoinOptions, type PeerStatus } from './swarm/index.js'

/** Swarm events a Kappa re-emits as its own. */
const RELAYED = ['peer-add', 'peer-remove', 'synced', 'sync-progress', 'connection-error'] as const

export class Network {
  private current: KappaSwarm | null = null
  private readonly multifeed: Multifeed
  private readonly relay: (event: string, ...args: unknown[]) => void

  constructor (multifeed: Multifeed, relay: (event: string, ...args: unknown[]) => void) {
    this.multifeed = multifeed
    this.relay = relay
  }

  get swarm (): KappaSwarm | null { return this.current }
  get peers (): PeerStatus[] { return this.current?.peers ?? [] }

  /** The first join() creates the swarm with its options; later calls rejoin it. */
  async join (opts?: JoinOptions): Promise<void> {
    if (this.current === null) {
      const swarm = new KappaSwarm(this.multifeed, opts)
      for (const event of RELAYED) swarm.on(event, (...args: unknown[]) => this.relay(event, ...args))
      this.current = swarm
    }
    await this.current.join()
  }

  async leave (): Promise<void> {
    if (this.current !== null) await this.current.leave()
  }

  async destroy (): Promise<void> {
    const swarm = this.current
    this.current = null
    if (swarm !== null) await swarm.destroy()
  }
}
