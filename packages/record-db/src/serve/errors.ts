// Errors of `kappa-db serve`: the server's own (a typed class with a code, like RecordDbError),
// and the one mapping of every error a request can meet to an HTTP status and the JSON body
// `{ error: { code, message, ... } }`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { RecordDbError, ValidationError, type RecordDbErrorCode } from '../errors.js'
import { CodedError } from '@kappa-ts/kappa-core'

export type ServeErrorCode =
  | 'ERR_TOKEN_REQUIRED' // listening beyond loopback without an explicit token
  | 'ERR_BAD_TOKEN' // a token that is too short or has characters a header cannot carry
  | 'ERR_LISTEN' // the address cannot be listened on (in use, not ours)

export class ServeError extends CodedError<ServeErrorCode> {}

/** Codes of the API's error bodies that are not RecordDB's own. */
export type HttpErrorCode =
  | 'ERR_UNAUTHORIZED'
  | 'ERR_BAD_REQUEST'
  | 'ERR_BAD_JSON'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_NOT_ACCEPTABLE'
  | 'ERR_NO_ROUTE'
  | 'ERR_INTERNAL'

export interface ErrorBody {
  error: { code: RecordDbErrorCode | HttpErrorCode; message: string; [more: string]: unknown }
}

/** HTTP status of each RecordDB error code. */
const STATUS: Record<RecordDbErrorCode, number> = {
  ERR_VALIDATION: 422,
  ERR_BAD_SCHEMA: 422,
  ERR_UNKNOWN_SCHEMA: 404,
  ERR_NOT_FOUND: 404,
  ERR_RESERVED_SCHEMA: 403,
  ERR_NOT_INDEXED: 400,
  ERR_BAD_QUERY: 400,
  ERR_BAD_ID: 400,
  ERR_BAD_KEY: 400,
  ERR_BAD_OPTION: 400,
  ERR_BATCH: 409, // e.g. a write naming an id while indexing is paused
  ERR_IMPORT: 400,
  ERR_MODE_MISMATCH: 500,
  ERR_ROOT_KEY: 500,
  ERR_CLOSED: 503,
  ERR_BAD_PATTERN: 422, // a schema whose pattern cannot run in linear time
  ERR_REVOKE_ROOT: 400,
  ERR_STORAGE: 500,
  ERR_OUTPUT: 500, // the CLI's export file; not reached through HTTP
  ERR_TOO_BIG: 413, // over the database's maxRecordSize
  ERR_APPEND_ONLY: 409 // replacing or deleting a record of an append-only app schema
}

/** Fastify's own error codes (request parsing, validation), by what they mean to a client. */
const FASTIFY: Record<string, { status: number; code: HttpErrorCode }> = {
  FST_ERR_VALIDATION: { status: 400, code: 'ERR_BAD_REQUEST' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'ERR_BODY_TOO_LARGE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'ERR_BAD_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'ERR_BAD_JSON' },
  FST_BEARER_AUTH_MISSING_AUTHORIZATION_HEADER: { status: 401, code: 'ERR_UNAUTHORIZED' },
  FST_BEARER_AUTH_INVALID_AUTHORIZATION_HEADER: { status: 401, code: 'ERR_UNAUTHORIZED' }
}

export function errorBody (code: RecordDbErrorCode | HttpErrorCode, message: string, more: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, ...more } }
}

/** Turns any error a handler or fastify raised into a status and the JSON error body. */
export function toHttpError (err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ValidationError) {
    return { status: 422, body: errorBody(err.code, err.message, { schema: err.schema, path: err.path, rule: err.rule, issues: err.issues }) }
  }
  if (err instanceof RecordDbError) return { status: STATUS[err.code] ?? 500, body: errorBody(err.code, err.message) }
  const e = err as Partial<FastifyError>
  // The database closed under the request (the server is stopping): kappa-core's ERR_CLOSED.
  if (e.code === 'ERR_CLOSED') return { status: 503, body: errorBody('ERR_CLOSED', 'the database is closed (the server is stopping)') }
  const known = typeof e.code === 'string' ? FASTIFY[e.code] : undefined
  if (known !== undefined) {
    const message = known.code === 'ERR_UNAUTHORIZED' ? 'a valid token is needed: Authorization: Bearer <token>' : String(e.message)
    return { status: known.status, body: errorBody(known.code, message) }
  }
  // JSON.parse errors of the body parser carry a 400 status and no code of their own.
  if (err instanceof SyntaxError && e.statusCode === 400) return { status: 400, body: errorBody('ERR_BAD_JSON', `invalid JSON body: ${e.message}`) }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: errorBody('ERR_BAD_REQUEST', String(e.message)) }
  }
  return { status: 500, body: errorBody('ERR_INTERNAL', 'internal error (see the server\'s output)') }
}

/** Fastify error handler: every error leaves as `{ error: { code, message, ... } }`. */
export function sendError (err: unknown, _req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toHttpError(err)
  if (status === 500) process.stderr.write(`kappa-db serve: ${(err as Error)?.stack ?? String(err)}\n`)
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="kappa-db"')
  void reply.code(status).type('application/json; charset=utf-8').send(body)
}
