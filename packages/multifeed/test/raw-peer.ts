// A raw peer for hostile tests: a real replication stream (a Corestore of its
// own) on which the test opens a raw Protomux channel with the multifeed's
// protocol name and sends hand-crafted bytes.
import Corestore from 'corestore'
import Hypercore from 'hypercore'
import c from 'compact-encoding'
import type { Duplex } from 'node:stream'
import { EventEmitter, once } from 'node:events'
import { PROTOCOL, appendEntries, type Multifeed } from '../src/index.js'
import { createProof, encodeFeeds, encodeHandshake, PROTOCOL_VERSION } from '../src/wire.js'
import { blockEncryptionKey } from '../src/keys.js'
import { tmpDir, type TestLike } from '@kappa-ts/test-helpers'
import { pipe } from './helpers.js'

interface Noise extends Duplex { handshakeHash: Buffer; opened: Promise<boolean> }

export type RawPeer = Awaited<ReturnType<typeof rawPeer>>

/** A `feeds` message announcing each key with one block (as an honest peer would a feed with one entry). */
export function announce (keys: Uint8Array[]): Buffer {
  return encodeFeeds(keys.map((k) => ({ key: Buffer.from(k).toString('hex'), fork: 0, length: 1, contiguousLength: 1, writable: false })))
}

/**
 * A raw peer connected to `target`: sees every decrypted frame, speaks only what
 * the test says. Open `channel` in the same turn as this resolves (else Protomux
 * rejects the target's unpaired open). `realFeeds`: feeds of its own with one entry each. `watch`: feed keys whose
 * hypercore channel the target may open on this connection (it does so to check
 * an announced feed); `asked()` lists those it did open.
 */
export async function rawPeer (t: TestLike, target: Multifeed, opts: { openChannel?: boolean; realFeeds?: number; watch?: Buffer[] } = {}) {
  const store = new Corestore(tmpDir(t, 'kappa-multifeed-'))
  // Feeds of its own with one entry each, made before connecting: its Corestore
  // serves them when the target asks.
  const feeds: Array<Hypercore<unknown>> = []
  for (let i = 0; i < (opts.realFeeds ?? 0); i++) {
    // encrypted as the target's own feeds are (a real member knows the multifeed key)
    const f = store.get({ name: `real-${i}`, valueEncoding: 'binary', encryption: { key: blockEncryptionKey(target.key) } })
    await appendEntries(f, [{ entry: i }])
    feeds.push(f)
  }
  const stream = store.replicate(true)
  const link = pipe(stream, target.replicate(false))
  const noise = (stream as Duplex & { noiseStream: Noise }).noiseStream
  const received: Buffer[] = []
  noise.on('data', (buf: Uint8Array) => received.push(Buffer.from(buf)))
  await noise.opened
  const mux = Hypercore.getProtocolMuxer(stream)
  const asked = new Set<string>()
  const events = new EventEmitter()
  for (const key of opts.watch ?? []) {
    const hex = key.toString('hex')
    // Never answered: the channel is rejected, as by a peer without the core.
    mux.pair({ protocol: 'hypercore/alpha', id: Hypercore.discoveryKey(key) }, () => {
      asked.add(hex)
      events.emit('asked')
    })
  }
  let remoteHandshake: Buffer | null = null
  const channel = opts.openChannel === false
    ? null
    : mux.createChannel({
      protocol: PROTOCOL,
      handshake: c.raw,
      messages: [{ encoding: c.raw }],
      onopen: (hs: Buffer) => { remoteHandshake = Buffer.from(hs) }
    })
  return {
    feeds,
    /** Its Corestore: a core made in it asks the target for that core on this connection. */
    store,
    /** Its Noise stream: a write is one encrypted transport frame. */
    noise,
    mux,
    channel,
    received,
    link,
    remoteHandshake: () => remoteHandshake,
    /** Keys of `watch` whose hypercore channel the target opened here. */
    asked: () => asked,
    /** Resolves once the target opened the channel of `n` watched keys. */
    askedAtLeast: async (n: number) => { while (asked.size < n) await once(events, 'asked') },
    validHandshake: (maxFeedsPerMessage = 1024) =>
      encodeHandshake({ version: PROTOCOL_VERSION, proof: createProof(target.key, noise.handshakeHash, true), maxFeedsPerMessage }),
    sawBytes: (needle: Buffer) => received.some((f) => f.includes(needle)),
    close: async () => { stream.destroy(); await link; await store.close() }
  }
}
