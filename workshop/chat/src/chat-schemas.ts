// The chat's record types, as record-db app schemas: the JSON Schemas shipped in schemas/
// plus the rules that make them safe to take from any peer (record-db checks them when it
// writes and when it indexes, the same way on every peer):
//   chat/message  append-only: nobody replaces or deletes a message, its author included;
//                 read per channel in timestamp order through the [channel, timestamp] index
//   chat/nick     id = the author's feed key: only its author sets a nick
//   chat/topic    id = the channel: anyone sets a channel's topic, linking what it replaces
import type { AppSchema } from '@kappa-ts/record-db'
import { chatMessageSchema, chatNickSchema, chatTopicSchema, CHAT_LIMITS, type ChatMessage, type ChatNick, type ChatTopic } from '@kappa-ts/schemas'

export type { ChatMessage, ChatNick, ChatTopic }
export { CHAT_LIMITS }

export const MESSAGE = 'chat/message'
export const NICK = 'chat/nick'
export const TOPIC = 'chat/topic'

export const CHAT_SCHEMAS: Record<string, AppSchema> = {
  [MESSAGE]: { schema: chatMessageSchema, appendOnly: true },
  [NICK]: { schema: chatNickSchema, id: 'author' },
  [TOPIC]: { schema: chatTopicSchema, id: { field: 'channel' } }
}

/**
 * The largest chat record, as record-db measures it (characters of JSON): a 4096-character
 * message fits with room to spare; anything bigger is refused, or skipped when a peer wrote
 * it, before any schema runs.
 */
export const MAX_RECORD_SIZE = 16 * 1024

// The channel pattern of the message schema (a fixed, trusted pattern): what /join accepts.
const CHANNEL = new RegExp((chatMessageSchema.properties as { channel: { pattern: string } }).channel.pattern)

/** A channel name: '#' and 1-64 of A-Z a-z 0-9 _ -. */
export const isChannel = (s: unknown): s is string => typeof s === 'string' && CHANNEL.test(s)
