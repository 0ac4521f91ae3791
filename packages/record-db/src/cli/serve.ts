// `kappa-db serve`: registered here so program.ts only adds one line; the server itself
// (fastify and friends) is loaded only when the command runs.
import { Command } from 'commander'
import { RecordDbError } from '../errors.js'

export interface ServeGlobals { json?: boolean; storage: string; bootstrap?: string }
export interface ServeCommandOptions { port: number; host: string; offline?: boolean }

/** The port and host defaults live with the server; repeated here to keep the CLI light. */
const DEFAULT_PORT = 49738
const DEFAULT_HOST = '127.0.0.1'

export function registerServe (program: Command, globals: () => ServeGlobals): void {
  program.command('serve')
    .description('serve the HTTP API, live events and the web UI (see SERVE.md); Ctrl-C to stop')
    .option('--port <port>', 'port to listen on (0: any free port)', toPort, DEFAULT_PORT)
    .option('--host <host>', 'address to listen on; anything but loopback needs KAPPA_DB_TOKEN', DEFAULT_HOST)
    .option('--offline', 'do not join the swarm (serve this peer\'s data only)')
    .action(async (opts: ServeCommandOptions) => {
      const { runServe } = await import('./serve-run.js')
      await runServe(globals(), opts)
    })
}

function toPort (v: string): number {
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new RecordDbError('ERR_BAD_OPTION', `not a port: ${v}`)
  return n
}
