// The UI's access to the server: the token (from /#token=… or asked for, kept in this tab's
// sessionStorage), JSON requests, and the event stream read with fetch (the browser's
// EventSource cannot send an Authorization header) and eventsource-parser.
import { createParser } from '/vendor/eventsource-parser.js'

const TOKEN_KEY = 'kappa-db-token'

/** An error body of the API, `{ error: { code, message, ... } }`, with the HTTP status. */
export class ApiError extends Error {
  constructor (status, error) {
    super(error.message)
    this.status = status
    this.code = error.code
    this.detail = error
  }
}

/** Takes the token from the URL fragment into the tab's storage and out of the address bar. */
export function takeTokenFromUrl () {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash)
  if (m === null) return
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]))
  history.replaceState(null, '', location.pathname + location.search + '#/browse')
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY)
}

/** Called with an ApiError when the server refuses the token (401). */
let onUnauthorized = () => {}
export function whenUnauthorized (fn) { onUnauthorized = fn }

export const enc = encodeURIComponent

/** A JSON request to the API; rejects with ApiError on an error status. */
export async function api (method, path, body) {
  const headers = { authorization: `Bearer ${token.get() ?? ''}`, accept: 'application/json' }
  const init = { method, headers }
  if (body !== undefined) {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const res = await fetch(`/api/${path}`, init)
  const data = await res.json().catch(() => ({ error: { code: 'ERR_BAD_RESPONSE', message: `HTTP ${res.status}` } }))
  if (!res.ok) {
    const err = new ApiError(res.status, data.error ?? { code: 'ERR_BAD_RESPONSE', message: `HTTP ${res.status}` })
    if (res.status === 401) onUnauthorized(err)
    throw err
  }
  return data
}

/**
 * Follows /api/events: calls handlers.<event>(data) for each event, and
 * handlers.state('live' | 'offline'). Reconnects after a drop; returns a stop function.
 */
export function followEvents (handlers) {
  let stopped = false
  let controller = null
  const run = async () => {
    while (!stopped) { // eslint-disable-line no-unmodified-loop-condition -- the returned stop function sets it while the loop awaits
      controller = new AbortController()
      try {
        const res = await fetch('/api/events', {
          headers: { authorization: `Bearer ${token.get() ?? ''}`, accept: 'text/event-stream' },
          signal: controller.signal
        })
        if (res.status === 401) { onUnauthorized(new ApiError(401, { code: 'ERR_UNAUTHORIZED', message: 'token refused' })); return }
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`)
        const parser = createParser({
          onEvent: (ev) => {
            let data = null
            try { data = JSON.parse(ev.data) } catch { return }
            if (ev.event === 'ready') handlers.state('live')
            handlers[ev.event]?.(data)
          }
        })
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          parser.feed(value)
        }
      } catch {
        // dropped or refused: try again below
      }
      handlers.state('offline')
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }
  void run()
  return () => { stopped = true; controller?.abort() }
}
