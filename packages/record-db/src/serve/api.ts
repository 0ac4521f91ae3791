// The JSON API under /api: each route is one RecordDB call (plus paging), so the server stays
// a thin layer over the database. Records pass through as RecordDB returns them.
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { JsonSchema } from '@kappa-ts/schemas'
import type { RecordDB, RecordVersion } from '../record-db.js'
import { RecordDbError } from '../errors.js'
import { parseConditions } from '../cli/program.js'
import { routeSchemas } from './schemas.js'

export interface ApiState {
  /** Whether the server joined the swarm (status reports it). */
  online: () => boolean
}

interface RecordParams { schema: string; id: string }
interface SchemaParams { schema: string }
interface ListQuery { limit: number; reverse: boolean; gt?: string; gte?: string; lt?: string; lte?: string }

export function registerApi (app: FastifyInstance, db: RecordDB, state: ApiState): void {
  /** The schema's definition; ERR_UNKNOWN_SCHEMA (404) when it has none. */
  const requireSchema = async (name: string): Promise<JsonSchema> => {
    const def = await db.getSchema(name)
    if (def === null) throw new RecordDbError('ERR_UNKNOWN_SCHEMA', `unknown schema "${name}"`)
    return def
  }

  app.get('/api/status', { schema: routeSchemas.status }, async () => {
    const st = await db.status()
    return { ...st, writable: await db.writable(), online: state.online(), peers: state.online() ? db.peers : [] }
  })

  // ---- schemas -----------------------------------------------------------------

  app.get('/api/schemas', { schema: routeSchemas.listSchemas }, async () => ({ schemas: await db.schemas() }))

  app.get<{ Params: { name: string } }>('/api/schemas/:name', { schema: routeSchemas.getSchema }, async (req) => await requireSchema(req.params.name))

  app.put<{ Params: { name: string }; Body: JsonSchema }>('/api/schemas/:name', { schema: routeSchemas.putSchema }, async (req) => {
    await db.putSchema(req.params.name, req.body)
    return { name: req.params.name }
  })

  // ---- records -----------------------------------------------------------------

  app.get<{ Params: SchemaParams; Querystring: ListQuery }>('/api/records/:schema', { schema: routeSchemas.list }, async (req) => {
    const { schema } = req.params
    await requireSchema(schema)
    const { limit, reverse, gt, gte, lt, lte } = req.query
    // One id more than the page: whether there is a next page, without a second read.
    const range = { ...(gt !== undefined ? { gt } : {}), ...(gte !== undefined ? { gte } : {}), ...(lt !== undefined ? { lt } : {}), ...(lte !== undefined ? { lte } : {}) }
    const records: RecordVersion[] = []
    const ids: string[] = []
    for await (const r of db.list(schema, { ...range, reverse, limit: limit + 1 })) {
      if (ids[ids.length - 1] !== r.id) ids.push(r.id)
      if (ids.length > limit) break
      records.push(r)
    }
    return { records, next: ids.length > limit ? (ids[limit - 1] as string) : null }
  })

  const versionsOf = async (schema: string, id: string): Promise<{ schema: string; id: string; versions: RecordVersion[] }> =>
    ({ schema, id, versions: await db.get(schema, id) })

  app.get<{ Params: RecordParams }>('/api/records/:schema/:id', { schema: routeSchemas.getRecord }, async (req) => {
    const { schema, id } = req.params
    await requireSchema(schema)
    const out = await versionsOf(schema, id)
    if (out.versions.length === 0) throw new RecordDbError('ERR_NOT_FOUND', `no record ${schema}/${id}`)
    return out
  })

  app.put<{ Params: RecordParams; Body: unknown }>('/api/records/:schema/:id', { schema: routeSchemas.putRecord }, async (req) => {
    const { schema, id } = req.params
    await db.put(schema, req.body, { id })
    return await versionsOf(schema, id)
  })

  app.post<{ Params: SchemaParams; Body: unknown }>('/api/records/:schema', { schema: routeSchemas.postRecord }, async (req, reply: FastifyReply) => {
    const { schema } = req.params
    const id = await db.put(schema, req.body)
    void reply.code(201).header('location', `/api/records/${encodeURIComponent(schema)}/${encodeURIComponent(id)}`)
    return await versionsOf(schema, id)
  })

  app.delete<{ Params: RecordParams }>('/api/records/:schema/:id', { schema: routeSchemas.deleteRecord }, async (req) => {
    const { schema, id } = req.params
    await db.del(schema, id)
    return { schema, id, deleted: true }
  })

  app.get<{ Params: RecordParams }>('/api/records/:schema/:id/history', { schema: routeSchemas.history }, async (req) => {
    const { schema, id } = req.params
    await requireSchema(schema)
    const versions = await db.history(schema, id)
    if (versions.length === 0) throw new RecordDbError('ERR_NOT_FOUND', `no record ${schema}/${id}`)
    return { schema, id, versions }
  })

  // ---- query and search ----------------------------------------------------------

  app.get<{ Params: SchemaParams; Querystring: { where: string[]; limit: number } }>('/api/query/:schema', { schema: routeSchemas.query }, async (req) => {
    const { schema } = req.params
    const { where: conditions, limit } = req.query
    const where = parseConditions(conditions, await requireSchema(schema))
    const records: RecordVersion[] = []
    let truncated = false
    for await (const r of db.query(schema, { where, limit: limit + 1 })) {
      if (records.length === limit) { truncated = true; break }
      records.push(r)
    }
    return { records, truncated }
  })

  app.get<{ Querystring: { q: string; schema?: string; limit: number } }>('/api/search', { schema: routeSchemas.search }, async (req) => {
    const { q, schema, limit } = req.query
    return { hits: await db.search(q, schema === undefined ? { limit } : { schema, limit }) }
  })
}
