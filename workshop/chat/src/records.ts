// The chat's records: record-db envelopes ({ id, schema, value, op, timestamp,
// links }) whose values are validated against the chat schemas in schemas/.
// Everything read from a feed goes through parse*(): invalid entries are null.
import { Ajv, type ValidateFunction } from 'ajv'
import {
  envelopeSchema, chatMessageSchema, chatNickSchema, chatTopicSchema, KAPPA_KEYWORDS, CHAT_LIMITS,
  type Envelope, type ChatMessage, type ChatNick, type ChatTopic
} from '@kappa-ts/schemas'
import { ChatError } from './errors.js'

export type { ChatMessage, ChatNick, ChatTopic, Envelope }
export { CHAT_LIMITS }

export const MESSAGE = 'chat/message'
export const NICK = 'chat/nick'
export const TOPIC = 'chat/topic'

/** Entries bigger than this (as JSON) are ignored before validation: a cheap guard against huge values. */
export const MAX_ENTRY_BYTES = 16 * 1024

const ajv = new Ajv({ allErrors: false, strict: false })
for (const keyword of KAPPA_KEYWORDS) ajv.addKeyword({ keyword, schemaType: 'boolean' })
const validEnvelope = ajv.compile<Envelope>(envelopeSchema)
const validMessage = ajv.compile<ChatMessage>(chatMessageSchema)
const validNick = ajv.compile<ChatNick>(chatNickSchema)
const validTopic = ajv.compile<ChatTopic>(chatTopicSchema)

const CHANNEL = /^#[A-Za-z0-9_-]{1,64}$/
export const isChannel = (s: unknown): s is string => typeof s === 'string' && CHANNEL.test(s)

function describe (v: ValidateFunction): string {
  const e = v.errors?.[0]
  return e ? `${e.instancePath || '(value)'} ${e.message ?? 'is invalid'}` : 'is invalid'
}

function check<T> (v: ValidateFunction<T>, schema: string, value: unknown): T {
  if (!v(value)) throw new ChatError('ERR_INVALID_MESSAGE', `${schema}: ${describe(v)}`)
  return value
}

function envelope<V> (schema: string, id: string, value: V, timestamp: number, links: string[]): Envelope<V> {
  const env: Envelope<V> = { id, schema, value, op: 'put', timestamp, links }
  return check(validEnvelope, 'envelope', env) as Envelope<V>
}

let counter = 0
/** A record id for a new message: unique per author and time. */
function newId (now: number): string {
  counter = (counter + 1) % 1e9
  return `${now.toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}

export function messageRecord (channel: string, text: string, now = Date.now()): Envelope<ChatMessage> {
  if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
  const value = check(validMessage, MESSAGE, { channel, text, timestamp: now })
  return envelope(MESSAGE, newId(now), value, now, [])
}

/** A nick is a record whose id is the author's feed key: only that author can set it. */
export function nickRecord (feedKey: string, nick: string, links: string[], now = Date.now()): Envelope<ChatNick> {
  const value = check(validNick, NICK, { nick, timestamp: now })
  return envelope(NICK, feedKey, value, now, links)
}

/** A topic is a record whose id is the channel. */
export function topicRecord (channel: string, topic: string, links: string[], now = Date.now()): Envelope<ChatTopic> {
  if (!isChannel(channel)) throw new ChatError('ERR_INVALID_CHANNEL', `not a channel name: ${channel}`)
  const value = check(validTopic, TOPIC, { channel, topic, timestamp: now })
  return envelope(TOPIC, channel, value, now, links)
}

/** Rough size of a decoded value, stopping early once it passes `limit`. */
export function tooBig (value: unknown, limit = MAX_ENTRY_BYTES): boolean {
  let size = 0
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') size += v.length + 2
    else if (Array.isArray(v)) { size += 2; stack.push(...v.slice(0, limit)) } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) { size += k.length + 3; stack.push(x); if (size > limit) return true }
    } else size += 8
    if (size > limit) return true
  }
  return false
}

function parse<V> (entryValue: unknown, schema: string, valid: ValidateFunction<V>): Envelope<V> | null {
  if (entryValue === null || typeof entryValue !== 'object' || tooBig(entryValue)) return null
  if (!validEnvelope(entryValue)) return null
  const env = entryValue as Envelope<unknown>
  if (env.schema !== schema || env.op !== 'put' || !valid(env.value)) return null
  return env as Envelope<V>
}

/**
 * Why an entry is not a chat record its views can take (a message, a nick of its own
 * feed, a topic), or null: what the views skip and record.
 */
export function notChatRecord (v: unknown, authorFeed: string): string | null {
  if (parseMessage(v) !== null || parseNick(v, authorFeed) !== null || parseTopic(v) !== null) return null
  if (v === null || typeof v !== 'object') return 'not a chat record'
  if (tooBig(v)) return `a record over ${MAX_ENTRY_BYTES} bytes`
  const schema = (v as { schema?: unknown }).schema
  if (schema === NICK && validEnvelope(v)) return 'a nick record for another feed'
  return typeof schema === 'string' && [MESSAGE, NICK, TOPIC].includes(schema) ? `an invalid ${schema} record` : 'not a chat record'
}

export function parseMessage (v: unknown): Envelope<ChatMessage> | null {
  return parse(v, MESSAGE, validMessage)
}
export function parseNick (v: unknown, authorFeed: string): Envelope<ChatNick> | null {
  const env = parse(v, NICK, validNick)
  return env !== null && env.id === authorFeed ? env : null
}
export function parseTopic (v: unknown): Envelope<ChatTopic> | null {
  const env = parse(v, TOPIC, validTopic)
  return env !== null && env.id === env.value!.channel ? env : null
}
