import test from 'tape'
import { Ajv } from 'ajv'
import { readFileSync, readdirSync } from 'node:fs'
import {
  envelopeSchema, coreSourceSchema, coreSchemaSchema, chatMessageSchema, chatNickSchema, chatTopicSchema,
  builtinSchemas, chatSchemas, KAPPA_KEYWORDS, KAPPA_SCHEMA_KEYWORDS, CHAT_LIMITS, type JsonSchema
} from '../src/index.js'

function compile (schema: JsonSchema) {
  const ajv = new Ajv({ allErrors: true, strict: true })
  for (const k of KAPPA_KEYWORDS) ajv.addKeyword({ keyword: k, schemaType: 'boolean' })
  for (const k of KAPPA_SCHEMA_KEYWORDS) ajv.addKeyword({ keyword: k, schemaType: 'array' })
  return ajv.compile(schema)
}

const FEED = 'ab'.repeat(32)

test('every json file is exported and compiles in strict ajv', (t) => {
  const files = readdirSync(new URL('../../json/', import.meta.url)).filter((f) => f.endsWith('.json'))
  t.equal(files.length, 6, 'six schema files')
  for (const f of files) {
    const parsed = JSON.parse(readFileSync(new URL(`../../json/${f}`, import.meta.url), 'utf8')) as JsonSchema
    t.doesNotThrow(() => compile(parsed), `${f} compiles`)
  }
  t.equal(builtinSchemas['core/source'], coreSourceSchema)
  t.equal(builtinSchemas['core/schema'], coreSchemaSchema)
  t.equal(chatSchemas['chat/message'], chatMessageSchema)
  t.end()
})

test('envelope accepts a put and a del, rejects malformed ones', (t) => {
  const v = compile(envelopeSchema)
  t.ok(v({ id: 'a', schema: 'chat/message', op: 'put', value: { x: 1 }, timestamp: 1, links: [] }), 'put')
  t.ok(v({ id: 'a', schema: 'chat/message', op: 'del', timestamp: 1, links: [`${FEED}@3.0`, `${FEED}@12.40`] }), 'del without value')
  t.notOk(v({ id: 'a', schema: 'chat/message', op: 'put', timestamp: 1, links: [] }), 'put needs a value')
  t.notOk(v({ id: 'a', schema: 'x', op: 'put', value: 1, timestamp: 1, links: ['nothex@1'] }), 'bad link')
  t.notOk(v({ id: 'a', schema: 'x', op: 'put', value: 1, timestamp: 1, links: [`${FEED}@01.0`] }), 'leading zero block')
  t.notOk(v({ id: 'a', schema: 'x', op: 'put', value: 1, timestamp: 1, links: [`${FEED}@1.01`] }), 'leading zero index')
  t.notOk(v({ id: 'a', schema: 'x', op: 'put', value: 1, timestamp: 1, links: [`${FEED}@3`] }), 'a link without the index in the block')
  t.notOk(v({ id: '', schema: 'x', op: 'put', value: 1, timestamp: 1, links: [] }), 'empty id')
  t.notOk(v({ id: 'a\u0000b', schema: 'x', op: 'put', value: 1, timestamp: 1, links: [] }), 'control char in id')
  t.notOk(v({ id: 'a', schema: '/x', op: 'put', value: 1, timestamp: 1, links: [] }), 'bad schema name')
  t.notOk(v({ id: 'a', schema: 'x', op: 'upsert', value: 1, timestamp: 1, links: [] }), 'unknown op')
  t.notOk(v({ id: 'a', schema: 'x', op: 'put', value: 1, timestamp: -1, links: [] }), 'negative timestamp')
  t.notOk(v({ id: 'a', schema: 'x', op: 'put', value: 1, timestamp: 1, links: [], extra: 1 }), 'extra field')
  t.end()
})

test('core/source names a feed key; a revocation may carry a length', (t) => {
  const v = compile(coreSourceSchema)
  t.ok(v({ key: FEED }))
  t.ok(v({ key: FEED, length: 12, note: 'laptop' }))
  t.notOk(v({ key: FEED.toUpperCase() }), 'upper-case hex rejected')
  t.notOk(v({ key: FEED, length: -1 }))
  t.notOk(v({}))
  t.end()
})

test('chat schemas enforce their size limits', (t) => {
  const msg = compile(chatMessageSchema)
  t.ok(msg({ channel: '#general', text: 'hi', timestamp: 1 }))
  t.ok(msg({ channel: '#general', text: 'x'.repeat(CHAT_LIMITS.maxMessageLength), timestamp: 1 }), 'at the limit')
  t.notOk(msg({ channel: '#general', text: 'x'.repeat(CHAT_LIMITS.maxMessageLength + 1), timestamp: 1 }), 'over the limit')
  t.notOk(msg({ channel: 'general', text: 'hi', timestamp: 1 }), 'channel needs #')
  t.notOk(msg({ channel: '#general', text: '', timestamp: 1 }), 'empty text')
  const nick = compile(chatNickSchema)
  t.ok(nick({ nick: 'alice' }))
  t.notOk(nick({ nick: 'x'.repeat(33) }), 'nick too long')
  t.notOk(nick({ nick: 'evil\u001b[2J' }), 'escape code in nick')
  const topic = compile(chatTopicSchema)
  t.ok(topic({ channel: '#a', topic: 'about a' }))
  t.notOk(topic({ channel: '#a', topic: 'y'.repeat(257) }), 'topic too long')
  t.end()
})

test('chat schemas mark indexed and searchable fields', (t) => {
  const props = chatMessageSchema.properties as Record<string, JsonSchema>
  t.equal(props.channel?.index, true)
  t.equal(props.text?.search, true)
  t.deepEqual(chatMessageSchema.indexes, [['channel', 'timestamp']], 'a compound index: a channel in timestamp order')
  t.end()
})
