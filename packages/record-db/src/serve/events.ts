// GET /api/events: Server-Sent Events of record changes (RecordDB's 'change' event, which
// covers local writes and versions replicated from peers) and of peers coming and going.
import type { FastifyInstance } from 'fastify'
import type { RecordChange, RecordDB } from '../record-db.js'
import { routeSchemas } from './schemas.js'

export interface EventsOptions {
  /**
   * A client that has this many bytes of events not yet taken by its socket is disconnected
   * (it reconnects and re-reads), so a slow client cannot make the server buffer without end.
   */
  maxBufferedBytes: number
}

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/** Registers the events route; returns a function that ends every open stream (for close). */
export function registerEvents (app: FastifyInstance, db: RecordDB, opts: EventsOptions): () => void {
  const open = new Set<() => void>()

  app.get<{ Querystring: { schema?: string } }>('/api/events', { sse: 'manual', schema: routeSchemas.events }, async (req, reply) => {
    const only = req.query.schema
    const sse = reply.sse
    sse.keepAlive()
    let ended = false
    const send = (event: string, data: unknown): void => {
      if (ended || !sse.isConnected) return
      if (reply.raw.writableLength > opts.maxBufferedBytes) { end(); return }
      sse.send({ event, data }).catch(() => end())
    }
    // (the value stays out: clients re-read what they show, and a value can be big)
    const onChange = ({ value: _value, ...c }: RecordChange): void => { if (only === undefined || c.schema === only) send('change', c) }
    const onPeers = (): void => send('peers', { peers: db.peers.length })
    const end = (): void => {
      if (ended) return
      ended = true
      db.off('change', onChange)
      db.off('peer-add', onPeers)
      db.off('peer-remove', onPeers)
      open.delete(end)
      sse.close()
    }
    db.on('change', onChange)
    db.on('peer-add', onPeers)
    db.on('peer-remove', onPeers)
    open.add(end)
    sse.onClose(end)
    // Subscribed: from here on every change is delivered (clients can wait for this).
    await sse.send({ event: 'ready', data: { key: db.key } })
  })

  return () => { for (const end of [...open]) end() }
}
