// The view suite's options for record-db's records view (a module of its own: the
// suite's crash check imports it in a child process to create the view).
import type { ViewSuiteOptions, ValueContext } from '@kappa-ts/view-suite'
import { recordsView } from '../src/index.js'

const BOOKS = 11
const WORDS = ['kappa', 'log', 'view', 'peer', 'feed', 'index', 'search', 'fork']

/** A definition of the book schema: each names some of the fields to index and search, so the union grows in any order. */
function definition (i: number): unknown {
  return {
    type: 'object',
    properties: {
      title: { type: 'string', index: i % 20 === 0, search: true },
      year: { type: 'integer', index: i % 30 === 0 },
      tags: { type: 'array', index: i % 40 === 0, search: i % 50 === 0 }
    }
  }
}

/**
 * Versions of a few books (each linking its record's version before, some deletes), with
 * definitions of their schema along the way, and each writer authorizing its own feed.
 */
function envelope (i: number, { feed, ids }: ValueContext): unknown {
  if (i % 10 === 3) return { id: 'book', schema: 'core/schema', op: 'put', timestamp: i, links: [], value: definition(i) }
  if (i % 17 === 5) return { id: feed, schema: 'core/source', op: 'put', timestamp: i, links: [], value: { key: feed } }
  const prev = ids[i - BOOKS]
  const links = prev === undefined ? [] : [prev]
  const id = `b${i % BOOKS}`
  if (i % 13 === 12) return { id, schema: 'book', op: 'del', timestamp: i, links }
  const title = [0, 1, 2].map((k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ')
  return { id, schema: 'book', op: 'put', timestamp: i, links, value: { title, year: 1900 + (i % 50), tags: [WORDS[i % WORDS.length], `t${i % 4}`] } }
}

export const records: ViewSuiteOptions = {
  name: 'record-db records',
  create: () => recordsView(),
  values: envelope,
  module: import.meta.url,
  exportName: 'records'
}
