// Where to find the DHT: `host:port` lists from options or KAPPA_BOOTSTRAP, and
// which local address our own DHT node should bind to.
import { SwarmError } from './errors.js'

export interface BootstrapNode { host: string; port: number }

/** The environment variable read when no `bootstrap` option is given. */
export const BOOTSTRAP_ENV = 'KAPPA_BOOTSTRAP'

/**
 * Parses `host:port,host:port` (spaces around entries allowed, empty entries
 * skipped). Hosts are IPv4 addresses or names the DHT resolves (IPv4 only, as
 * hyperdht is). Throws SwarmError ERR_BAD_BOOTSTRAP on anything else.
 */
export function parseBootstrap (spec: string): BootstrapNode[] {
  if (typeof spec !== 'string') {
    throw new SwarmError('ERR_BAD_BOOTSTRAP', 'bootstrap must be a "host:port,host:port" string')
  }
  const nodes: BootstrapNode[] = []
  for (const raw of spec.split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const colon = entry.lastIndexOf(':')
    if (colon <= 0) throw new SwarmError('ERR_BAD_BOOTSTRAP', `bootstrap entry "${entry}" is not host:port`)
    nodes.push(checkNode(entry.slice(0, colon), entry.slice(colon + 1), entry))
  }
  return nodes
}

/**
 * The bootstrap list to use: the option if given (strings are parsed like
 * KAPPA_BOOTSTRAP entries), else the environment variable, else null, which
 * means hyperdht's default public bootstrap nodes.
 */
export function resolveBootstrap (
  option: Array<string | BootstrapNode> | undefined,
  env: NodeJS.ProcessEnv = process.env
): BootstrapNode[] | null {
  if (option !== undefined) {
    if (!Array.isArray(option)) {
      throw new SwarmError('ERR_BAD_BOOTSTRAP', 'bootstrap must be an array of "host:port" strings or { host, port } objects')
    }
    const nodes: BootstrapNode[] = []
    for (const item of option) {
      if (typeof item === 'string') nodes.push(...parseBootstrap(item))
      else if (item !== null && typeof item === 'object') nodes.push(checkNode(item.host, String(item.port), JSON.stringify(item)))
      else throw new SwarmError('ERR_BAD_BOOTSTRAP', `bootstrap entry ${String(item)} is neither "host:port" nor { host, port }`)
    }
    if (nodes.length === 0) throw new SwarmError('ERR_BAD_BOOTSTRAP', 'bootstrap list is empty')
    return nodes
  }
  const fromEnv = env[BOOTSTRAP_ENV]
  if (fromEnv === undefined || fromEnv.trim() === '') return null
  const nodes = parseBootstrap(fromEnv)
  return nodes.length === 0 ? null : nodes
}

/** 127.0.0.0/8, localhost, ::1. */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/**
 * The address our DHT node binds to. Explicit `host` wins. Otherwise, when every
 * bootstrap node is on loopback, bind 127.0.0.1: a node bound to all interfaces
 * also announces the machine's other address, and peers that dial it time out.
 * Otherwise undefined: bind all interfaces (needed to reach other machines).
 */
export function defaultBindHost (bootstrap: BootstrapNode[] | null, host?: string): string | undefined {
  if (host !== undefined) {
    if (typeof host !== 'string' || host === '') throw new SwarmError('ERR_BAD_OPTION', 'host must be a non-empty string')
    return host
  }
  if (bootstrap !== null && bootstrap.length > 0 && bootstrap.every((n) => isLoopbackHost(n.host))) return '127.0.0.1'
  return undefined
}

function checkNode (host: unknown, portText: string, entry: string): BootstrapNode {
  if (typeof host !== 'string' || host === '' || /[\s/[\]]/.test(host) || host.includes(':')) {
    throw new SwarmError('ERR_BAD_BOOTSTRAP', `bootstrap entry ${entry} has no valid host (IPv4 address or name)`)
  }
  if (!/^\d{1,5}$/.test(portText)) throw new SwarmError('ERR_BAD_BOOTSTRAP', `bootstrap entry ${entry} has no valid port`)
  const port = Number(portText)
  if (port < 1 || port > 65535) throw new SwarmError('ERR_BAD_BOOTSTRAP', `bootstrap entry ${entry}: port must be 1..65535`)
  return { host, port }
}
