#!/usr/bin/env node
// kappa-dht: runs a DHT bootstrap node for offline or LAN use and prints the
// address to pass as `bootstrap` / KAPPA_BOOTSTRAP. Stays up until SIGINT/SIGTERM.
//
//   kappa-dht                      127.0.0.1:49736, this machine only
//   kappa-dht --host 0.0.0.0       every interface; prints this machine's LAN address
//   kappa-dht --port 0             any free port
import { startDhtNode, lanAddresses, type DhtNode } from '../dht-node.js'

const USAGE = `usage: kappa-dht [--host <ipv4>] [--port <port>]

Runs a local DHT bootstrap node and prints its address (host:port) on stdout.
  --host  address to bind (default 127.0.0.1; 0.0.0.0 to serve other machines)
  --port  UDP port (default 49736; 0 = any free port)
Pass the printed address to kappa.join({ bootstrap: ['host:port'] }) or KAPPA_BOOTSTRAP.`

// Every hyperdht node first tries ports 49737-49741 for itself, so a peer
// started earlier on this machine may hold 49737: stay just below that range.
const DEFAULT_PORT = 49736

function parseArgs (argv: string[]): { host: string; port: number } {
  let host = '127.0.0.1'
  let port = DEFAULT_PORT
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const value = (): string => {
      const v = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (v === undefined || v === '') usageError(`${name} needs a value`)
      return v as string
    }
    if (name === '--help' || name === '-h') {
      process.stdout.write(USAGE + '\n')
      process.exit(0)
    } else if (name === '--host') {
      host = value()
    } else if (name === '--port') {
      const v = value()
      if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) usageError(`--port must be 0..65535, got ${v}`)
      port = Number(v)
    } else {
      usageError(`unknown argument ${arg}`)
    }
  }
  return { host, port }
}

function usageError (message: string): never {
  process.stderr.write(`kappa-dht: ${message}\n${USAGE}\n`)
  process.exit(2)
}

async function main (): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  // Handlers first: a signal that arrives while the node starts still stops it cleanly.
  let node: DhtNode | null = null
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    if (node === null) process.exit(0)
    node.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    node = await startDhtNode(opts)
  } catch (err) {
    process.stderr.write(`kappa-dht: cannot start on ${opts.host}:${opts.port}: ${(err as Error).message}\n`)
    process.exit(1)
  }
  if (stopping) {
    await node.close().catch(() => {})
    process.exit(0)
  }
  process.stderr.write(`kappa-dht: bootstrap node up, bound to ${opts.host}:${node.port}; ` +
    `peers use bootstrap ${node.address} (Ctrl-C to stop)\n`)
  const others = opts.host === '0.0.0.0' ? lanAddresses().filter((a) => a !== node?.host) : []
  if (others.length > 0) {
    process.stderr.write(`kappa-dht: also reachable at ${others.map((a) => `${a}:${node?.port ?? ''}`).join(', ')}\n`)
  }
  process.stdout.write(node.address + '\n')
}

void main()
