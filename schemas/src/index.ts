// The JSON Schemas shipped with kappa-ts, loaded from ../json (also published as
// `@kappa-ts/schemas/json/*`), plus the TypeScript shapes of the values they describe.
//
// The files are read with fs relative to this module rather than imported as JSON
// modules, so the same code runs from dist/ in Node 20 without import attributes.
import { readFileSync } from 'node:fs'

/** A JSON Schema document (draft-07), possibly using the kappa keywords `index` and `search`. */
export interface JsonSchema {
  [keyword: string]: unknown
}

/** Extra keywords kappa-ts schemas may put on a property (boolean). Register them with ajv (`ajv.addKeyword`). */
export const KAPPA_KEYWORDS = ['index', 'search'] as const

/**
 * Extra keywords kappa-ts schemas may put at their top level (array): `"indexes": [["a", "b"]]`
 * declares compound indexes (record-db reads records with a given `a` in `b` order).
 * Register them with ajv (`ajv.addKeyword({ keyword, schemaType: 'array' })`).
 */
export const KAPPA_SCHEMA_KEYWORDS = ['indexes'] as const

/** A version reference: the entry id `<feed key hex>@<block>.<index>` of the version. */
export type VersionRef = string

/** One entry of an author's feed in a record-db. */
export interface Envelope<V = unknown> {
  id: string
  schema: string
  value?: V
  op: 'put' | 'del'
  timestamp: number
  links: VersionRef[]
}

/** Value of a `core/source` record (id = the feed key). `length` only on a revocation (op del). */
export interface SourceValue {
  key: string
  length?: number
  note?: string
}

export interface ChatMessage { channel: string; text: string; timestamp: number }
export interface ChatNick { nick: string; timestamp?: number }
export interface ChatTopic { channel: string; topic: string; timestamp?: number }

function load (file: string): JsonSchema {
  const url = new URL(`../../json/${file}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as JsonSchema
}

export const envelopeSchema: JsonSchema = load('envelope.json')
export const coreSchemaSchema: JsonSchema = load('core-schema.json')
export const coreSourceSchema: JsonSchema = load('core-source.json')
export const chatMessageSchema: JsonSchema = load('chat-message.json')
export const chatNickSchema: JsonSchema = load('chat-nick.json')
export const chatTopicSchema: JsonSchema = load('chat-topic.json')

/** Record type name -> its JSON Schema, for the built-in record types. */
export const builtinSchemas: Readonly<Record<'core/schema' | 'core/source', JsonSchema>> = {
  'core/schema': coreSchemaSchema,
  'core/source': coreSourceSchema
}

/** Record type name -> its JSON Schema, for the chat the workshop builds. */
export const chatSchemas: Readonly<Record<'chat/message' | 'chat/nick' | 'chat/topic', JsonSchema>> = {
  'chat/message': chatMessageSchema,
  'chat/nick': chatNickSchema,
  'chat/topic': chatTopicSchema
}

/** Limits the chat schemas enforce, for UIs that want to check before writing. */
export const CHAT_LIMITS = { maxMessageLength: 4096, maxNickLength: 32, maxTopicLength: 256, maxChannelLength: 65 } as const
