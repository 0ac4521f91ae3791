// The access token of `kappa-db serve`: KAPPA_DB_TOKEN if set, else a random one generated on
// the first start and kept in the database folder (mode 0600), so the URL stays the same
// across restarts. Listening beyond loopback needs the token to be chosen explicitly.
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import { ServeError } from './errors.js'

export const TOKEN_ENV = 'KAPPA_DB_TOKEN'
export const TOKEN_FILE = 'serve-token'
/** Shortest token accepted from the environment. */
export const MIN_TOKEN_LENGTH = 16
// What an Authorization header can carry without quoting (RFC 6750's b64token, roughly).
const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/

export interface ResolvedToken {
  token: string
  /** Where it came from: the environment, or the file (its path) it was read from or written to. */
  source: { env: string } | { file: string; created: boolean }
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopback (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h)
  return false
}

/** Throws ERR_BAD_TOKEN unless `token` is long enough and fits in a header; `what` names its source. */
export function checkToken (token: string, what = 'the token'): void {
  if (token.length < MIN_TOKEN_LENGTH || !TOKEN_CHARS.test(token)) {
    throw new ServeError('ERR_BAD_TOKEN', `${what} must be at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = -`)
  }
}

/**
 * The token for a server of the database in `storage` listening on `host`.
 * Throws ERR_TOKEN_REQUIRED for a non-loopback host without an explicit token.
 */
export function resolveToken (storage: string, host: string, env: NodeJS.ProcessEnv = process.env): ResolvedToken {
  const fromEnv = env[TOKEN_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    checkToken(fromEnv, TOKEN_ENV)
    return { token: fromEnv, source: { env: TOKEN_ENV } }
  }
  if (!isLoopback(host)) {
    throw new ServeError('ERR_TOKEN_REQUIRED',
      `listening on ${host}, which is not a loopback address, needs a token you choose: set ${TOKEN_ENV} to a secret of at least ${MIN_TOKEN_LENGTH} characters. ` +
      'Anyone who can reach the port and has the token can read and write this database, and the server speaks plain HTTP: put TLS in front of it on a network you do not trust.')
  }
  const file = path.resolve(storage, TOKEN_FILE)
  try {
    const stored = readFileSync(file, 'utf8').trim()
    checkToken(stored, file)
    return { token: stored, source: { file, created: false } }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('base64url')
  // 'wx': never overwrite a token another process wrote meanwhile; 0600: only this user reads it.
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveToken(storage, host, env)
    throw err
  }
  return { token, source: { file, created: true } }
}
