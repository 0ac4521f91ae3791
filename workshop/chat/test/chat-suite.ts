// The view suite's options for the chat's three views (a module of its own: the suite's
// crash check imports it in a child process to create the views).
//
// The views clamp a timestamp from the future to the indexing peer's clock, so with the
// real clock what they store for such an entry depends on when it was indexed: the suite
// runs them with a fixed clock (chatViews' `now`), and some values dated after it.
import type { ValueContext, ViewSuiteOptions } from '@kappa-ts/view-suite'
import { chatViews } from '../src/index.js'

const NOW = 1_800_000_000_000
const now = (): number => NOW

/** Messages in three channels (equal times, some from the future), nicks of the writer's own feed, topics. */
function chatRecord (i: number, { feed, ids }: ValueContext): unknown {
  const timestamp = i % 13 === 0 ? NOW + 1_000_000 : NOW - 60_000 + ((i * 37) % 50) * 1000
  const channel = `#c${i % 3}`
  const prev = ids[i - 7]
  if (i % 7 === 0) {
    return { id: feed, schema: 'chat/nick', op: 'put', timestamp, links: prev === undefined ? [] : [prev], value: { nick: `nick${i}`, timestamp } }
  }
  if (i % 11 === 0) return { id: channel, schema: 'chat/topic', op: 'put', timestamp, links: [], value: { channel, topic: `topic ${i}`, timestamp } }
  return { id: `m${i}`, schema: 'chat/message', op: 'put', timestamp, links: [], value: { channel, text: `hello ${i}`, timestamp } }
}

const options = (view: 'messages' | 'meta' | 'channels'): ViewSuiteOptions => ({
  name: `chat ${view}`,
  create: () => chatViews(now)[view],
  values: chatRecord,
  module: import.meta.url,
  exportName: view
})

export const messages = options('messages')
export const meta = options('meta')
export const channels = options('channels')
