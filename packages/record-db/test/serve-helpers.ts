// Helpers for the `kappa-db serve` tests: a server on a free loopback port, JSON requests
// over the real socket, and an SSE client (fetch + eventsource-parser, as the UI reads it).
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import type { RecordDB } from '../src/index.js'
import { startServer, type RunningServer } from '../src/serve/index.js'

export const TOKEN = 'test-token-0123456789abcdef'

export async function serve (db: RecordDB, opts: { maxEventBufferBytes?: number } = {}): Promise<RunningServer> {
  return await startServer(db, { token: TOKEN, host: '127.0.0.1', port: 0, ...opts })
}

export interface Reply<T = any> { status: number; body: T; headers: Headers }

/** A request to `srv`; `token: null` sends no Authorization header. */
export async function call<T = any> (srv: { url: string }, method: string, path: string, opts: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers }
  const token = opts.token === undefined ? TOKEN : opts.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  let body: string | undefined
  if (opts.raw !== undefined) body = opts.raw
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] ??= 'application/json'
  }
  const res = await fetch(new URL(path.replace(/^\//, ''), srv.url), { method, headers, ...(body !== undefined ? { body } : {}) })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* not JSON: keep the text */ }
  return { status: res.status, body: parsed as T, headers: res.headers }
}

export interface SseEvent { event: string; data: any }

/** An open /api/events stream: `next(match)` resolves with the next event that matches. */
export interface EventStream {
  next(match: (e: SseEvent) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>
  /** Every event received so far. */
  seen: SseEvent[]
  close(): void
  closed: Promise<void>
}

/** Opens /api/events (with `query`) and resolves once the server said `ready`. */
export async function events (srv: { url: string }, query = '', token = TOKEN): Promise<EventStream> {
  const controller = new AbortController()
  const res = await fetch(new URL(`api/events${query}`, srv.url), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal })
  if (res.status !== 200 || res.body === null) throw new Error(`events: HTTP ${res.status}`)
  const seen: SseEvent[] = []
  let waiters: Array<() => void> = []
  const parser = createParser({
    onEvent: (m: EventSourceMessage) => {
      seen.push({ event: m.event ?? 'message', data: JSON.parse(m.data) })
      const w = waiters
      waiters = []
      for (const fn of w) fn()
    }
  })
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  const closed = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        parser.feed(value)
      }
    } catch { /* aborted */ }
  })()
  let cursor = 0
  const stream: EventStream = {
    seen,
    closed,
    close: () => controller.abort(),
    async next (match, what, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        while (cursor < seen.length) {
          const e = seen[cursor++] as SseEvent
          if (match(e)) return e
        }
        if (Date.now() > until) throw new Error(`timed out waiting for the event: ${what}`)
        const ended = await Promise.race([
          new Promise<false>((resolve) => { waiters.push(() => resolve(false)); setTimeout(() => resolve(false), 250) }),
          closed.then(() => true)
        ])
        if (ended && cursor >= seen.length) throw new Error(`the event stream ended before: ${what}`)
      }
    }
  }
  await stream.next((e) => e.event === 'ready', 'ready')
  return stream
}

export const bookSchema = {
  type: 'object',
  required: ['title', 'year'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200, search: true },
    author: { type: 'string', index: true },
    year: { type: 'integer', index: true },
    tags: { type: 'array', items: { type: 'string' } }
  }
}
