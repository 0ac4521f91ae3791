// The view suite's options for the chat's one view: record-db's records view under the
// chat's app schemas and record size limit, as the chat opens it (a module of its own: the
// suite's crash check imports it in a child process to create the view).
//
// Future-dated messages are in the mix: the chat clamps them when it reads, not in what the
// view stores, so the stored state must not depend on when an entry was indexed.
import type { ValueContext, ViewSuiteOptions } from '@kappa-ts/view-suite'
import { AppSchemas, recordsView } from '@kappa-ts/record-db'
import { CHAT_SCHEMAS, MAX_RECORD_SIZE, MESSAGE, NICK, TOPIC } from '../src/chat-schemas.js'

const NOW = 1_800_000_000_000

/**
 * Messages in three channels (equal times, some from the future), nicks of the writer's own
 * feed (each linking the one before), topics, and now and then a record the rules refuse:
 * a nick for another author, a message that replaces one, a topic whose id is not its channel.
 */
function chatRecord (i: number, { feed, ids }: ValueContext): unknown {
  const timestamp = i % 13 === 0 ? NOW + 1_000_000 : NOW - 60_000 + ((i * 37) % 50) * 1000
  const channel = `#c${i % 3}`
  const prev = ids[i - 7]
  if (i % 29 === 0) return { id: 'f'.repeat(64), schema: NICK, op: 'put', timestamp, links: [], value: { nick: `thief${i}`, timestamp } }
  if (i % 31 === 0 && prev !== undefined) return { id: `m${i}`, schema: MESSAGE, op: 'put', timestamp, links: [prev], value: { channel, text: `edit ${i}`, timestamp } }
  if (i % 37 === 0) return { id: '#elsewhere', schema: TOPIC, op: 'put', timestamp, links: [], value: { channel, topic: `topic ${i}`, timestamp } }
  if (i % 7 === 0) return { id: feed, schema: NICK, op: 'put', timestamp, links: prev === undefined ? [] : [prev], value: { nick: `nick${i}`, timestamp } }
  if (i % 11 === 0) return { id: channel, schema: TOPIC, op: 'put', timestamp, links: [], value: { channel, topic: `topic ${i}`, timestamp } }
  return { id: `m${i}`, schema: MESSAGE, op: 'put', timestamp, links: [], value: { channel, text: `hello ${i}`, timestamp } }
}

export const chat: ViewSuiteOptions = {
  name: 'chat records',
  create: () => recordsView({ app: new AppSchemas(CHAT_SCHEMAS), maxRecordSize: MAX_RECORD_SIZE }),
  values: chatRecord,
  module: import.meta.url,
  exportName: 'chat'
}
