// The web UI: plain HTML, CSS and ES modules from the package's ui/ folder (no build step,
// nothing from a CDN), plus the one browser library it uses, served from node_modules.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'

/** The ui/ folder of the package (this file is dist/src/serve/ui.js). */
export const UI_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url))

// Scripts, styles and connections only from this server; the token never leaves in a Referer.
const UI_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff'
}

export async function registerUi (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: UI_DIR,
    prefix: '/',
    index: 'index.html',
    // @fastify/static 8 (its last major that runs on Node 20 without engine warnings) hands over the raw response
    setHeaders: (res) => { for (const [name, value] of Object.entries(UI_HEADERS)) res.setHeader(name, value) }
  })
  // eventsource-parser reads the event stream the UI fetches with its Authorization header
  // (the browser's EventSource cannot send one).
  const parser = readFileSync(fileURLToPath(import.meta.resolve('eventsource-parser')), 'utf8')
  app.get('/vendor/eventsource-parser.js', { schema: { hide: true } }, async (_req, reply) => {
    void reply.headers(UI_HEADERS).type('text/javascript; charset=utf-8')
    return parser
  })
}
