// A DHT bootstrap node for offline or LAN use: hyperdht's own
// `HyperDHT.bootstrapper` (persistent, not firewalled, no bootstrap of its own,
// told its own address), the whole network until other nodes join it.
// A plain `ephemeral: false` node with no peers does NOT work alone: it never
// learns its own address, and peers that use it as their only bootstrap never
// find each other (checked here; hyperdht's testnet of size 1 fails the same way).
import dgram from 'node:dgram'
import { networkInterfaces } from 'node:os'
import HyperDHT from 'hyperdht'
import { SwarmError } from './errors.js'

export interface DhtNodeOptions {
  /** Address to bind. Default 127.0.0.1 (this machine only); 0.0.0.0 for other machines. */
  host?: string
  /** UDP port. Default 0: any free port. */
  port?: number
}

export interface DhtNode {
  /** The address peers pass as bootstrap, `host:port`. */
  readonly address: string
  readonly host: string
  readonly port: number
  readonly dht: HyperDHT
  close(): Promise<void>
}

export async function startDhtNode (opts: DhtNodeOptions = {}): Promise<DhtNode> {
  const bindHost = opts.host ?? '127.0.0.1'
  const port = opts.port ?? 0
  if (typeof bindHost !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(bindHost)) {
    throw new SwarmError('ERR_BAD_OPTION', `host must be an IPv4 address, got ${String(bindHost)}`)
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SwarmError('ERR_BAD_OPTION', `port must be 0..65535, got ${String(port)}`)
  }
  // The address peers will reach us at: a bootstrap node has no peer to learn
  // it from, and without it the node does not serve announces and lookups.
  const host = bindHost === '0.0.0.0' ? lanAddress() : bindHost
  const dht = port === 0 ? await bindAnyPort(host, bindHost) : await bind(port, host, bindHost)
  const bound = dht.address()
  return {
    address: `${host}:${bound.port}`,
    host,
    port: bound.port,
    dht,
    close: () => dht.destroy()
  }
}

async function bind (port: number, host: string, bindHost: string): Promise<HyperDHT> {
  const dht = HyperDHT.bootstrapper(port, host, { host: bindHost })
  try {
    await dht.ready()
    return dht
  } catch (err) {
    await dht.destroy().catch(() => {})
    throw err
  }
}

/** hyperdht's bootstrapper needs a fixed port: ask the OS for a free one, retry if taken meanwhile. */
async function bindAnyPort (host: string, bindHost: string): Promise<HyperDHT> {
  let lastError: unknown = null
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort(bindHost)
    try {
      return await bind(port, host, bindHost)
    } catch (err) {
      lastError = err
    }
  }
  throw lastError
}

function freeUdpPort (bindHost: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4')
    sock.once('error', reject)
    sock.bind(0, bindHost, () => {
      const { port } = sock.address()
      sock.close(() => resolve(port))
    })
  })
}

/** This machine's first non-internal IPv4 address, or 127.0.0.1 when it has none. */
export function lanAddress (): string {
  return lanAddresses()[0] ?? '127.0.0.1'
}

/** Every non-internal IPv4 address of this machine. */
export function lanAddresses (): string[] {
  const out: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) out.push(addr.address)
    }
  }
  return out
}
