// The one call that puts a kappa on the network: join(kappa, opts) finds the peers of its
// multifeed over hyperswarm. The swarm is attached to the kappa (kappa.attach): synced()
// covers its connections and kappa.close() closes it first.
import type { Kappa, ViewMap } from '@kappa-ts/kappa-core'
import { KappaSwarm, type JoinOptions } from './kappa-swarm.js'

/** The swarm of each kappa, while it is not closed: a second join() rejoins it. */
const swarms = new WeakMap<object, KappaSwarm>()

/**
 * The KappaSwarm of `kappa`: the one join() (or an earlier swarmOf()) made while it is not
 * closed, else a new one made with `opts` and attached to the kappa, not joined yet. Listen to
 * its events, then `await swarm.join()`. Throws SwarmError ERR_BAD_OPTION for bad options and
 * KappaError ERR_CLOSED after kappa.close().
 */
export function swarmOf<V extends ViewMap> (kappa: Kappa<V>, opts?: JoinOptions): KappaSwarm {
  const current = swarms.get(kappa)
  if (current !== undefined && current.closing === null) return current
  const swarm = new KappaSwarm(kappa.multifeed, opts)
  const detach = kappa.attach(swarm)
  swarm.once('close', detach)
  swarms.set(kappa, swarm)
  return swarm
}

/**
 * Finds and connects to peers of `kappa` over hyperswarm (the topic of its discovery key) and
 * resolves with the KappaSwarm once the first announce and lookup are done. A second call
 * rejoins the same swarm (its options are the first call's) until the swarm or the kappa closes.
 */
export async function join<V extends ViewMap> (kappa: Kappa<V>, opts?: JoinOptions): Promise<KappaSwarm> {
  const swarm = swarmOf(kappa, opts)
  await kappa.ready()
  await swarm.join()
  return swarm
}
