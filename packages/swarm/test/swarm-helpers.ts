// Helpers for the swarm tests: a loopback testnet, and feeds of one value per block. Temp folders,
// closing at the end and waiting on events (nextEvent, untilEvent) come from @kappa-ts/test-helpers.
import createTestnet from 'hyperdht/testnet.js'
import { defer, type TestLike } from '@kappa-ts/test-helpers'
import type Hypercore from 'hypercore'
import { decodeBlock, encodeEntry, entrySize, packBlocks } from '@kappa-ts/multifeed'

/**
 * A hyperdht testnet of `size` nodes bound to 127.0.0.1 (never the public DHT). Given a test `t`,
 * destroyed when it ends, after what was opened later in the test (the swarms on it) closed.
 */
export async function testnet (t?: TestLike, size = 3): Promise<{ bootstrap: Array<{ host: string; port: number }>; destroy: () => Promise<void> }> {
  const net = await createTestnet(size, { host: '127.0.0.1' })
  if (t !== undefined) defer(t, () => net.destroy())
  return { bootstrap: net.bootstrap, destroy: () => net.destroy() }
}

/**
 * Appends each value as a packed block of its own, in one hypercore append, so
 * a test can count blocks (what replication moves) as it counts values.
 */
export async function appendBlocks (feed: Hypercore<unknown>, values: unknown[]): Promise<void> {
  await feed.ready()
  let offset = feed.length === 0 ? 0 : decodeBlock(await feed.get(feed.length - 1) as Buffer).end
  const blocks = values.map((v) => {
    const entry = encodeEntry('json', v)
    const [only] = packBlocks([entry], [entrySize(entry)], offset++)
    return only!.block
  })
  await feed.append(blocks)
}
