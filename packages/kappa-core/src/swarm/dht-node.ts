// A DHT bootstrap node for offline or LAN use, built on hyperdht's own node:
// persistent (not ephemeral), not firewalled, with no bootstrap of its own, so
// it is the whole network until other nodes join it.
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
  const dht = new HyperDHT({
    bootstrap: [],
    ephemeral: false,
    firewalled: false,
    host: bindHost,
    port,
    anyPort: port === 0
  })
  try {
    await dht.ready()
  } catch (err) {
    await dht.destroy().catch(() => {})
    throw err
  }
  const bound = dht.address()
  // Bound to every interface: tell peers an address they can reach.
  const host = bindHost === '0.0.0.0' ? lanAddress() : bound.host
  return {
    address: `${host}:${bound.port}`,
    host,
    port: bound.port,
    dht,
    close: () => dht.destroy()
  }
}

/** This machine's first non-internal IPv4 address, or 127.0.0.1 when it has none. */
export function lanAddress (): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) return addr.address
    }
  }
  return '127.0.0.1'
}
