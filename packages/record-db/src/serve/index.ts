// `@kappa-ts/record-db/serve`: the HTTP API, live events and web UI over a RecordDB
// (what `kappa-db serve` runs). See ../../SERVE.md.
export { buildServer, startServer, DEFAULT_PORT, DEFAULT_HOST, BODY_LIMIT } from './server.js'
export type { ServerOptions, ListenOptions, RunningServer } from './server.js'
export { resolveToken, isLoopback, checkToken, TOKEN_ENV, TOKEN_FILE, MIN_TOKEN_LENGTH } from './token.js'
export type { ResolvedToken } from './token.js'
export { ServeError, toHttpError } from './errors.js'
export type { ServeErrorCode, HttpErrorCode, ErrorBody } from './errors.js'
export { LIMITS } from './schemas.js'
export { DEFAULT_MAX_BUFFERED_BYTES } from './events.js'
