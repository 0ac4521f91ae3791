// Property: whatever the interleaving of writes on random peers and pairwise
// syncs, one full sync round leaves every peer with every entry.
import test from 'tape'
import fc from 'fast-check'
import { Multifeed } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { pipe, until, converged, contents, append } from './helpers.js'

const PEERS = 4
const WRITERS = ['default', 'side'] as const

type Action =
  | { kind: 'write'; peer: number; writer: number; values: number[] }
  | { kind: 'sync'; a: number; b: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    peer: fc.nat(PEERS - 1),
    writer: fc.nat(WRITERS.length - 1),
    values: fc.array(fc.integer(), { minLength: 1, maxLength: 4 })
  }),
  fc.record({ kind: fc.constant('sync' as const), a: fc.nat(PEERS - 1), b: fc.nat(PEERS - 1) })
    .filter((s) => s.a !== s.b)
)

async function sync (x: Multifeed, y: Multifeed): Promise<void> {
  const sx = x.replicate(true)
  const done = pipe(sx, y.replicate(false))
  await until([x, y], () => converged([x, y]) && sameFeeds(x, y), 'pairwise sync')
  sx.destroy()
  await done
}

function sameFeeds (x: Multifeed, y: Multifeed): boolean {
  return x.size === y.size && x.keys().every((k) => y.has(k))
}

test('property: random writes and pairwise syncs, then a full round: every peer holds every entry', async (t) => {
  let runs = 0
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
    runs++
    // every run's folders are removed when the test ends
    const dirs = Array.from({ length: PEERS }, () => tmpDir(t, 'kappa-multifeed-'))
    const first = new Multifeed(dirs[0]!)
    await first.ready()
    const peers = [first, ...dirs.slice(1).map((d) => new Multifeed(d, { key: first.key }))]
    const expected = new Map<string, unknown>() // `${feedKey}:${seq}` -> value
    try {
      for (const p of peers) await p.ready()
      for (const act of actions) {
        if (act.kind === 'write') {
          const feed = await peers[act.peer]!.writer(WRITERS[act.writer])
          const start = feed.length
          await append(feed, act.values)
          act.values.forEach((v, i) => expected.set(`${feed.key!.toString('hex')}:${start + i}`, v))
        } else {
          await sync(peers[act.a]!, peers[act.b]!)
        }
      }
      // Full sync round: peer 0 gathers from everyone, then hands out to everyone.
      for (let i = 1; i < PEERS; i++) await sync(peers[0]!, peers[i]!)
      for (let i = 1; i < PEERS; i++) await sync(peers[0]!, peers[i]!)
      for (const p of peers) {
        const got = await contents(p)
        if (got.size !== expected.size) return false
        for (const [k, v] of expected) if (JSON.stringify(got.get(k)) !== JSON.stringify(v)) return false
      }
      return true
    } finally {
      for (const p of peers) await p.close()
    }
  }), { seed: 20261124, numRuns: 25 })
  t.equal(runs >= 25, true, `ran ${runs} interleavings`)
})
