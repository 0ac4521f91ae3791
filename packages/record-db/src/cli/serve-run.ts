// The `kappa-db serve` command: open the database, listen, join the swarm (unless --offline),
// print the URL with its token, and serve until SIGINT/SIGTERM.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { RecordDB } from '../record-db.js'
import { RecordDbError } from '../errors.js'
import { resolveToken, startServer, TOKEN_ENV, type RunningServer } from '../serve/index.js'
import type { ServeCommandOptions, ServeGlobals } from './serve.js'

export async function runServe (g: ServeGlobals, opts: ServeCommandOptions): Promise<void> {
  if (!existsSync(path.join(g.storage, 'record-db.json'))) {
    throw new RecordDbError('ERR_NOT_FOUND', `no database in ${g.storage}: run kappa-db init (or pass --storage)`)
  }
  // Before anything opens: a missing token for a public address is a usage error.
  const { token, source } = resolveToken(g.storage, opts.host)
  const json = g.json === true
  const info = (line: string): void => { if (!json) process.stderr.write(line + '\n') }
  const db = new RecordDB(g.storage)
  let server: RunningServer | null = null
  let online = false
  try {
    await db.ready()
    server = await startServer(db, { token, host: opts.host, port: opts.port, online: () => online })
    if (opts.offline !== true) {
      const bootstrap = g.bootstrap ?? process.env.KAPPA_BOOTSTRAP
      try {
        await db.join(bootstrap === undefined ? {} : { bootstrap: bootstrap.split(',').filter((s) => s !== '') })
        online = true
        db.on('peer-add', () => info(`peer connected (peers: ${db.peers.length})`))
        db.on('peer-remove', () => info(`peer left (peers: ${db.peers.length})`))
      } catch (err) {
        info(`kappa-db serve: could not join the swarm (${(err as Error).message}); serving this peer's data only`)
      }
    }
    const tokenFrom = 'env' in source ? `from ${TOKEN_ENV}` : `${source.created ? 'generated and stored in' : 'read from'} ${source.file}`
    if (json) {
      process.stdout.write(JSON.stringify({ url: server.uiUrl, api: `${server.url}api/`, token, tokenSource: 'env' in source ? 'env' : 'file', key: db.key, writer: db.writerKey, online }) + '\n')
    } else {
      process.stdout.write(server.uiUrl + '\n')
      info([
        `kappa-db serve: database ${db.key} (${db.mode}) in ${path.resolve(g.storage)}`,
        `  web UI: ${server.uiUrl}`,
        `  API:    ${server.url}api/  (Authorization: Bearer <token>; OpenAPI: ${server.url}api/openapi.json)`,
        `  token:  ${tokenFrom}`,
        `  swarm:  ${online ? 'joined; peers connect in the background' : 'offline'}`,
        'Ctrl-C to stop'
      ].join('\n'))
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    info('kappa-db serve: stopping')
  } finally {
    await server?.close()
    await db.close()
  }
}
