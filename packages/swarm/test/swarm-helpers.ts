// Helpers for the swarm tests (temp folders: @kappa-ts/test-helpers): a loopback testnet, waiting on
// events (never on fixed sleeps; the timeout only turns a hang into a failure).
import type { EventEmitter } from 'node:events'
import createTestnet from 'hyperdht/testnet.js'
import type Hypercore from 'hypercore'
import { decodeBlock, encodeEntry, entrySize, packBlocks } from '@kappa-ts/multifeed'

export async function testnet (size = 3): Promise<{ bootstrap: Array<{ host: string; port: number }>; destroy: () => Promise<void> }> {
  const net = await createTestnet(size, { host: '127.0.0.1' })
  return { bootstrap: net.bootstrap, destroy: () => net.destroy() }
}

/** Resolves with the args of the first `event` whose args satisfy `pred`. */
export function waitFor<A extends unknown[]> (
  emitter: EventEmitter, event: string, pred: (...args: A) => boolean = () => true, label = event, ms = 30_000
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on)
      reject(new Error(`timed out waiting for ${label}`))
    }, ms)
    const on = (...args: unknown[]): void => {
      if (!pred(...(args as A))) return
      clearTimeout(timer)
      emitter.removeListener(event, on)
      resolve(args as A)
    }
    emitter.on(event, on)
  })
}

/** Re-checks `cond` on every listed event of every emitter until it holds. */
export function until (
  sources: Array<[EventEmitter, string[]]>, cond: () => boolean, label: string, ms = 30_000
): Promise<void> {
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = []
    const done = (err?: Error): void => {
      clearTimeout(timer)
      for (const off of offs) off()
      if (err) reject(err)
      else resolve()
    }
    const check = (): void => { if (cond()) done() }
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${label}`)), ms)
    for (const [em, events] of sources) {
      for (const ev of events) {
        em.on(ev, check)
        offs.push(() => em.removeListener(ev, check))
      }
    }
    check()
  })
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
