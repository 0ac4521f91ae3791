// `kappa-db serve` as a library: an HTTP server over an open RecordDB.
//
// Framework: fastify 5 with its own plugins (@fastify/sse for the event stream, @fastify/static
// for the UI, @fastify/swagger for the OpenAPI document, @fastify/bearer-auth for the token).
// Why: route schemas validate requests AND produce the OpenAPI document from one source,
// it is among the fastest Node HTTP frameworks, and every plugin used is maintained by the
// fastify organisation with TypeScript types (no hand-parsed requests, no hand-written SSE).
import { readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifySSE } from '@fastify/sse'
import bearerAuth from '@fastify/bearer-auth'
import type { RecordDB } from '../record-db.js'
import { errorBody, sendError, ServeError } from './errors.js'
import { registerApi } from './api.js'
import { DEFAULT_MAX_BUFFERED_BYTES, registerEvents } from './events.js'
import { registerOpenApi, registerOpenApiRoute } from './openapi.js'
import { sharedSchemas } from './schemas.js'
import { registerUi } from './ui.js'
import { checkToken } from './token.js'

/** The port `kappa-db serve` listens on unless told otherwise (next to kappa-dht's 49736, the chat's 49737). */
export const DEFAULT_PORT = 49738
export const DEFAULT_HOST = '127.0.0.1'
/** Largest request body (a record or a schema). */
export const BODY_LIMIT = 1024 * 1024

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

export interface ServerOptions {
  /** The access token every /api request must carry as `Authorization: Bearer <token>`. */
  token: string
  /** Whether the database joined the swarm (reported by /api/status). Default: false. */
  online?: () => boolean
  /** See EventsOptions.maxBufferedBytes. */
  maxEventBufferBytes?: number
}

export interface ListenOptions extends ServerOptions {
  host?: string
  /** 0: any free port. */
  port?: number
}

export interface RunningServer {
  app: FastifyInstance
  /** The base URL, e.g. http://127.0.0.1:49738/ */
  url: string
  /** The URL that opens the UI with its token (`/#token=...`). */
  uiUrl: string
  host: string
  port: number
  close(): Promise<void>
}

/** Builds the fastify app (not listening). The database must be ready. */
export async function buildServer (db: RecordDB, opts: ServerOptions): Promise<FastifyInstance> {
  checkToken(opts.token)
  // 'idle': close() ends idle keep-alive connections at once and waits for requests in flight,
  // so the database is not closed under a running handler (event streams are ended in preClose).
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: 'idle' })
  // Responses are documented by the route schemas but sent as they are: a record's fields pass
  // through whatever RecordDB adds (no fast-json-stringify pruning).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.setErrorHandler(sendError)
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody('ERR_NO_ROUTE', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`))
  })
  for (const s of sharedSchemas) app.addSchema(s)
  await registerOpenApi(app, VERSION)
  await app.register(fastifySSE)

  let endStreams = (): void => {}
  await app.register(async (api) => {
    // Every /api route needs the token; the UI's files do not (the page asks for it).
    await api.register(bearerAuth, { keys: [opts.token], addHook: false, verifyErrorLogLevel: 'debug' })
    api.addHook('onRequest', (req, reply, done) => { (api.verifyBearerAuth as NonNullable<typeof api.verifyBearerAuth>)(req, reply, done) })
    registerApi(api, db, { online: opts.online ?? (() => false) })
    registerOpenApiRoute(api, app)
    endStreams = registerEvents(api, db, { maxBufferedBytes: opts.maxEventBufferBytes ?? DEFAULT_MAX_BUFFERED_BYTES })
  })
  await registerUi(app)
  app.addHook('preClose', (done) => { endStreams(); done() })
  return app
}

/** Builds the server and listens. ERR_LISTEN when the address is taken or not ours. */
export async function startServer (db: RecordDB, opts: ListenOptions): Promise<RunningServer> {
  const app = await buildServer(db, opts)
  const host = opts.host ?? DEFAULT_HOST
  try {
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT })
  } catch (err) {
    await app.close().catch(() => {})
    const code = (err as NodeJS.ErrnoException).code
    throw new ServeError('ERR_LISTEN', `cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${code === 'EADDRINUSE' ? 'the port is in use (pick another with --port)' : (err as Error).message}`, { cause: err })
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? DEFAULT_PORT)
  const hostPart = host.includes(':') ? `[${host}]` : host
  const url = `http://${hostPart}:${port}/`
  return {
    app,
    url,
    uiUrl: `${url}#token=${encodeURIComponent(opts.token)}`,
    host,
    port,
    close: async () => { await app.close() }
  }
}
