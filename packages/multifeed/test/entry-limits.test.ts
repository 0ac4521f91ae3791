// The limit on JSON values, on both sides: a writer is refused a value nested deeper
// than MAX_JSON_DEPTH, a reader gets a typed error for such an entry (its caller skips
// it), and the count of brackets inside strings does not matter.
import test from 'tape'
import fc from 'fast-check'
import {
  MAX_JSON_DEPTH, EntryValueError, EntryDecodeError, encodeEntry, decodeEntry, decodeBlock, packBlocks, entrySize, jsonDepthOver
} from '../src/index.js'

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)

function blockOf (texts: string[]): ReturnType<typeof decodeBlock> {
  return decodeBlock(packBlocks(texts, texts.map(entrySize), 0, Infinity)[0]!.block)
}

test('a writer is refused a value nested deeper than MAX_JSON_DEPTH; exactly that deep is fine', (t) => {
  let deep: unknown = 0
  for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep]
  t.doesNotThrow(() => encodeEntry('json', deep), `${MAX_JSON_DEPTH} levels are stored`)
  deep = { in: deep }
  t.throws(() => encodeEntry('json', deep), (err: unknown) => err instanceof EntryValueError && err.code === 'ERR_INVALID_VALUE' && /deeper than 100/.test(err.message), 'one more level: ERR_INVALID_VALUE')
  let huge: unknown = 0
  for (let i = 0; i < 100_000; i++) huge = [huge]
  t.throws(() => encodeEntry('json', huge), (err: unknown) => err instanceof EntryValueError, '100,000 levels (JSON.stringify runs out of stack): a typed error too')
  t.end()
})

test('a reader gets ERR_ENTRY_DECODE for an entry nested too deep (as a peer can write it) and for text that is not JSON', (t) => {
  const block = blockOf([nested(10_000), '{"fine":true}', '{not json', nested(MAX_JSON_DEPTH)])
  t.throws(() => decodeEntry('json', block, 0), (err: unknown) => err instanceof EntryDecodeError && err.code === 'ERR_ENTRY_DECODE', '10,000 levels: refused before anything parses it')
  t.deepEqual(decodeEntry('json', block, 1), { fine: true }, 'the entry beside it reads')
  t.throws(() => decodeEntry('json', block, 2), (err: unknown) => err instanceof EntryDecodeError && /not valid JSON/.test(err.message), 'not JSON: ERR_ENTRY_DECODE')
  t.doesNotThrow(() => decodeEntry('json', block, 3), 'exactly the limit reads')
  t.end()
})

test('property: jsonDepthOver agrees with a walk of the parsed value, brackets in strings included (fixed seed)', (t) => {
  const depthOf = (v: unknown): number => v !== null && typeof v === 'object'
    ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf))
    : 0
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' },
      fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') }),
      fc.integer(),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 3 }))
  })).node
  fc.assert(fc.property(value, fc.integer({ min: 0, max: 8 }), (v, max) => {
    return jsonDepthOver(JSON.stringify(v), max) === (depthOf(v) > max)
  }), { seed: 20261130, numRuns: 2000 })
  t.pass('2,000 values')
  t.end()
})
