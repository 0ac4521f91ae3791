// KappaLevel's test helpers: two peers, connecting them and waiting until they are in sync.
// (Temp folders, the peer pair and the stream pair come from @kappa-ts/test-helpers.)
import { connect as connectStreams, openPair, type TestLike } from '@kappa-ts/test-helpers'
import { KappaLevel } from '../src/index.js'

/** The part of a KappaLevel these helpers use. */
interface Peer {
  kappa: {
    replicate(initiator: boolean): unknown
    feeds(): Array<{ key: Buffer | null; length: number; contiguousLength: number }>
    status(): Record<string, { indexed: number; total: number }>
  }
}

/** Two open KappaLevels of one app (b has a's key), not connected; closed when the test ends. */
export async function twoPeers (t: TestLike): Promise<{ a: KappaLevel; b: KappaLevel }> {
  const [a, b] = await openPair(t, async (dir, first?: KappaLevel) => {
    const db = new KappaLevel(dir, first === undefined ? {} : { key: first.kappa.key })
    await db.open()
    return db
  }, 'kappa-level-')
  return { a, b }
}

/** Replicates two peers over an in-process stream pair; returns the function that ends it. */
export function connect (a: Peer, b: Peer): () => void {
  return connectStreams(a.kappa, b.kappa)
}

/**
 * Resolves once every peer holds every log any of them holds, to its end, and its
 * view has applied all of it. (Looks every 10 ms: no time limit of its own.)
 */
export async function synced (...peers: Peer[]): Promise<void> {
  for (;;) {
    const lengths = new Map<string, number>()
    for (const p of peers) {
      for (const f of p.kappa.feeds()) {
        const key = f.key!.toString('hex')
        // an empty feed is not announced (it joins the other side on its first entry)
        if (f.length > 0) lengths.set(key, Math.max(lengths.get(key) ?? 0, f.length))
      }
    }
    let total = 0
    for (const length of lengths.values()) total += length
    const done = peers.every((p) => {
      const feeds = new Map(p.kappa.feeds().map((f) => [f.key!.toString('hex'), f]))
      const all = [...lengths].every(([key, length]) => (feeds.get(key)?.contiguousLength ?? -1) >= length)
      return all && Object.values(p.kappa.status()).every((s) => s.indexed >= total)
    })
    if (done) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
