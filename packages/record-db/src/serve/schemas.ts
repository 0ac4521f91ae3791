// JSON Schemas of the HTTP API: fastify validates requests with them (params, query strings)
// and @fastify/swagger turns them into the OpenAPI document. Responses are documented here
// but serialized as-is (see server.ts), so whatever RecordDB returns passes through.

/** Limits of the paged and ranked reads. */
export const LIMITS = {
  list: { default: 50, max: 1000 },
  query: { default: 100, max: 10_000 },
  search: { default: 10, max: 1000 }
} as const

// Shared definitions, registered with fastify.addSchema and referenced as '<$id>#'.
export const sharedSchemas = [
  {
    $id: 'RecordVersion',
    type: 'object',
    description: 'One version of a record, as RecordDB returns it. `ref` names it (later versions link to refs); ' +
      '`address` ({ block, index }) locates it in its author\'s feed.',
    required: ['schema', 'id', 'op', 'timestamp', 'links', 'feed', 'address', 'ref'],
    additionalProperties: true,
    properties: {
      schema: { type: 'string' },
      id: { type: 'string' },
      op: { type: 'string', enum: ['put', 'del'] },
      value: { description: 'The record (absent on a delete)' },
      timestamp: { type: 'number', description: 'Milliseconds since 1970, set by the author' },
      links: { type: 'array', items: { type: 'string' }, description: 'Refs of the versions this one replaces' },
      feed: { type: 'string', description: 'Author feed key (hex)' },
      address: {
        type: 'object',
        description: 'Where the version is in its author\'s feed: the hypercore block that holds it and its index among that block\'s entries',
        required: ['block', 'index'],
        properties: { block: { type: 'integer', minimum: 0 }, index: { type: 'integer', minimum: 0 } }
      },
      ref: { type: 'string', description: 'The entry id `<feed>@<block>.<index>`' }
    }
  },
  {
    $id: 'Error',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: true,
        properties: {
          code: { type: 'string', description: 'ERR_VALIDATION, ERR_NOT_FOUND, ERR_UNAUTHORIZED, … (see SERVE.md)' },
          message: { type: 'string' },
          schema: { type: 'string', description: 'ERR_VALIDATION: the schema' },
          path: { type: 'string', description: 'ERR_VALIDATION: JSON pointer of the (first) failing value, e.g. /year' },
          rule: { type: 'string', description: 'ERR_VALIDATION: the JSON Schema keyword that failed' },
          issues: { type: 'array', items: { type: 'object', additionalProperties: true } }
        }
      }
    }
  },
  {
    $id: 'Versions',
    type: 'object',
    required: ['schema', 'id', 'versions'],
    properties: {
      schema: { type: 'string' },
      id: { type: 'string' },
      versions: { type: 'array', items: { $ref: 'RecordVersion#' } }
    }
  }
] as const

const err = (description: string): Record<string, unknown> => ({ description, $ref: 'Error#' })
const E401 = err('No valid token (Authorization: Bearer <token>)')
const E404schema = err('Unknown schema (ERR_UNKNOWN_SCHEMA)')
const E400 = err('Bad request parameters (ERR_BAD_REQUEST)')
const anyJson = { description: 'Any JSON value' }

const schemaParam = { type: 'string', description: 'Schema name (URL-encode a "/" as %2F)' }
const idParam = { type: 'string', description: 'Record id (URL-encoded)' }
const recordParams = { type: 'object', required: ['schema', 'id'], properties: { schema: schemaParam, id: idParam } }
const schemaOnly = { type: 'object', required: ['schema'], properties: { schema: schemaParam } }
const limit = (l: { default: number; max: number }, what: string): Record<string, unknown> =>
  ({ type: 'integer', minimum: 1, maximum: l.max, default: l.default, description: `Most ${what} (default ${l.default}, at most ${l.max})` })

export const routeSchemas = {
  status: {
    summary: 'Database key, mode, writer, feeds, index progress, peers',
    tags: ['status'],
    response: {
      200: {
        type: 'object',
        additionalProperties: true,
        properties: {
          key: { type: 'string' },
          mode: { type: 'string', enum: ['authorized', 'open'] },
          writer: { type: 'string' },
          root: { type: 'string' },
          writable: { type: 'boolean', description: 'Whether what this peer writes now counts' },
          online: { type: 'boolean', description: 'Whether the server joined the swarm' },
          feeds: { type: 'array', items: { type: 'object', additionalProperties: true } },
          index: { type: 'object', additionalProperties: true },
          peers: { type: 'array', items: { type: 'object', additionalProperties: true } }
        }
      },
      401: E401
    }
  },
  listSchemas: {
    summary: 'Names of the schemas defined in this database',
    tags: ['schemas'],
    response: { 200: { type: 'object', properties: { schemas: { type: 'array', items: { type: 'string' } } } }, 401: E401 }
  },
  getSchema: {
    summary: 'The current definition of a schema (a JSON Schema)',
    tags: ['schemas'],
    params: { type: 'object', required: ['name'], properties: { name: schemaParam } },
    response: { 200: { type: 'object', additionalProperties: true, description: 'The JSON Schema' }, 401: E401, 404: E404schema }
  },
  putSchema: {
    summary: 'Add or replace a schema; the body is the JSON Schema ("index": true / "search": true on top-level properties)',
    tags: ['schemas'],
    params: { type: 'object', required: ['name'], properties: { name: schemaParam } },
    body: { type: 'object', additionalProperties: true, description: 'A JSON Schema (draft-07)' },
    response: {
      200: { type: 'object', properties: { name: { type: 'string' } } },
      400: E400,
      401: E401,
      403: err('A built-in schema (ERR_RESERVED_SCHEMA)'),
      404: err('An invalid schema name (ERR_UNKNOWN_SCHEMA)'),
      422: err('Not a schema ajv can compile (ERR_BAD_SCHEMA)')
    }
  },
  list: {
    summary: 'Live records of a schema in id order, a page at a time',
    description: 'Pass `next` of a page as `gt` (or as `lt` with `reverse`) for the next page. A forked record shows each head.',
    tags: ['records'],
    params: schemaOnly,
    querystring: {
      type: 'object',
      properties: {
        limit: limit(LIMITS.list, 'records (ids) per page'),
        reverse: { type: 'boolean', default: false, description: 'Descending ids' },
        gt: { type: 'string' },
        gte: { type: 'string' },
        lt: { type: 'string' },
        lte: { type: 'string' }
      }
    },
    response: {
      200: {
        type: 'object',
        properties: {
          records: { type: 'array', items: { $ref: 'RecordVersion#' } },
          next: { type: ['string', 'null'], description: 'Id to continue after, or null on the last page' }
        }
      },
      400: E400,
      401: E401,
      404: E404schema
    }
  },
  getRecord: {
    summary: 'The current version(s) of a record: several on a fork',
    tags: ['records'],
    params: recordParams,
    response: { 200: { $ref: 'Versions#' }, 401: E401, 404: err('No live record (ERR_NOT_FOUND) or unknown schema (ERR_UNKNOWN_SCHEMA)') }
  },
  putRecord: {
    summary: 'Write a version of a record (create or update); the body is the value',
    tags: ['records'],
    params: recordParams,
    body: anyJson,
    response: {
      200: { description: 'The record\'s current version(s) after the write', $ref: 'Versions#' },
      400: err('A bad id (ERR_BAD_ID) or body (ERR_BAD_JSON)'),
      401: E401,
      404: E404schema,
      422: err('The schema rejects the value (ERR_VALIDATION): `path` names where')
    }
  },
  postRecord: {
    summary: 'Create a record with a new id; the body is the value',
    tags: ['records'],
    params: schemaOnly,
    body: anyJson,
    response: {
      201: { description: 'Created; Location names the record', $ref: 'Versions#' },
      400: err('A bad body (ERR_BAD_JSON)'),
      401: E401,
      404: E404schema,
      422: err('The schema rejects the value (ERR_VALIDATION): `path` names where')
    }
  },
  deleteRecord: {
    summary: 'Delete a record (a tombstone linking to its current versions)',
    tags: ['records'],
    params: recordParams,
    response: {
      200: { type: 'object', properties: { schema: { type: 'string' }, id: { type: 'string' }, deleted: { type: 'boolean' } } },
      401: E401,
      404: err('No live record (ERR_NOT_FOUND) or unknown schema')
    }
  },
  history: {
    summary: 'Every version of a record that counts, puts and deletes, oldest first',
    tags: ['records'],
    params: recordParams,
    response: { 200: { $ref: 'Versions#' }, 401: E401, 404: err('No version at all (ERR_NOT_FOUND) or unknown schema') }
  },
  query: {
    summary: 'Records whose indexed fields match every condition',
    description: 'Conditions use the CLI\'s syntax: `field=value`, `field>value`, `field>=value`, `field<value`, `field<=value`; ' +
      'values are typed by the schema. Several `where` parameters are ANDed.',
    tags: ['query'],
    params: schemaOnly,
    querystring: {
      type: 'object',
      required: ['where'],
      properties: {
        where: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'A condition, e.g. year>=1975 (repeat for AND)' },
        limit: limit(LIMITS.query, 'records')
      }
    },
    response: {
      200: {
        type: 'object',
        properties: {
          records: { type: 'array', items: { $ref: 'RecordVersion#' } },
          truncated: { type: 'boolean', description: 'More records match than `limit`' }
        }
      },
      400: err('A malformed condition (ERR_BAD_QUERY) or a field that is not indexed (ERR_NOT_INDEXED)'),
      401: E401,
      404: E404schema
    }
  },
  search: {
    summary: 'Full-text search over searchable fields, best first (BM25)',
    tags: ['query'],
    querystring: {
      type: 'object',
      required: ['q'],
      properties: {
        q: { type: 'string', minLength: 1, description: 'Words to look for' },
        schema: { type: 'string', description: 'Only this schema' },
        limit: limit(LIMITS.search, 'hits')
      }
    },
    response: {
      200: {
        type: 'object',
        properties: {
          hits: {
            type: 'array',
            items: { type: 'object', properties: { score: { type: 'number' }, record: { $ref: 'RecordVersion#' } } }
          }
        }
      },
      400: E400,
      401: E401,
      404: E404schema
    }
  },
  events: {
    summary: 'Server-Sent Events: one `change` event per record change (local or from a peer)',
    description: 'Events: `ready` once subscribed ({ key }); `change` ({ schema, id, op, feed, ref, timestamp }) for each version that counts, ' +
      'written here or replicated from a peer (an authorization arrives as a `core/source` change: re-read what you show); ' +
      '`peers` ({ peers }) when a peer connects or leaves. A client that falls far behind is disconnected: reconnect and re-read.',
    tags: ['events'],
    querystring: { type: 'object', properties: { schema: { type: 'string', description: 'Only changes of this schema' } } },
    produces: ['text/event-stream'],
    response: { 200: { description: 'An event stream', type: 'string' }, 401: E401 }
  }
} as const
