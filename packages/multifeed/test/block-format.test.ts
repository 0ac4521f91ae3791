// The packed block format: what goes in comes out, entry for entry, whatever the
// sizes; a block that is not exactly a v1 block is refused whole with a reason;
// storage written in another layout version is refused with a typed error.
import test from 'tape'
import zlib from 'node:zlib'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import Corestore from 'corestore'
import {
  Multifeed, MultifeedError, BlockFormatError, decodeBlock, packBlocks, entrySize, encodeEntry, decodeEntry,
  appendEntries, readEntries, compressBlock, compressBlockSync, decodeBlockAsync,
  BLOCK_FORMAT, BLOCK_FORMAT_COMPRESSED, MAX_DECODED_BLOCK_BYTES, TARGET_BLOCK_BYTES, MAX_ENTRIES_PER_BLOCK, MAX_ENTRY_BYTES, STORAGE_VERSION,
  type EncodedEntry
} from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

function pack (values: unknown[], offset = 0, target?: number): ReturnType<typeof packBlocks> {
  const entries = values.map((v) => encodeEntry('json', v))
  return packBlocks(entries, entries.map(entrySize), offset, target)
}

function unpack (blocks: Buffer[]): unknown[] {
  const out: unknown[] = []
  for (const b of blocks) {
    const d = decodeBlock(b)
    for (let i = 0; i < d.count; i++) out.push(decodeEntry('json', d, i))
  }
  return out
}

test('property: any values, any block size target: every entry comes back in order, offsets count entries', (t) => {
  fc.assert(fc.property(
    fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 300 }),
    fc.integer({ min: 1, max: 4096 }),
    fc.nat(1_000_000),
    (values, target, offset) => {
      const packed = pack(values, offset, target)
      const expected = values.map((v) => JSON.parse(JSON.stringify(v)) as unknown)
      if (JSON.stringify(unpack(packed.map((p) => p.block))) !== JSON.stringify(expected)) return false
      let at = offset
      for (const { block, decoded } of packed) {
        const again = decodeBlock(block)
        if (again.offset !== at || decoded.offset !== at || again.count !== decoded.count) return false
        // a block holds more than one entry only while they fit the target
        const bytes = again.starts[again.count]! - again.starts[0]!
        if (again.count > 1 && bytes > target) return false
        at += again.count
      }
      return at === offset + values.length
    }), { seed: 20261130, numRuns: 200 })
  t.pass('200 runs')
  t.end()
})

test('packing: small entries share a block up to the target; an entry over it gets its own', (t) => {
  const small = Array.from({ length: 5000 }, (_, i) => ({ i, pad: 'x'.repeat(40) }))
  const packed = pack(small)
  t.ok(packed.length > 1 && packed.length < 10, `5,000 small entries in ${packed.length} blocks`)
  for (const p of packed) t.ok(p.block.byteLength <= TARGET_BLOCK_BYTES + 64 * 1024, 'a block stays near the target')
  const big = 'y'.repeat(TARGET_BLOCK_BYTES * 2)
  const mixed = pack([{ a: 1 }, big, { b: 2 }])
  t.deepEqual(mixed.map((p) => p.decoded.count), [1, 1, 1], 'the big entry is alone, the neighbours are not merged across it')
  t.deepEqual(unpack(mixed.map((p) => p.block)), [{ a: 1 }, big, { b: 2 }])
  const many = pack(Array.from({ length: MAX_ENTRIES_PER_BLOCK + 10 }, () => 0))
  t.deepEqual(many.map((p) => p.decoded.count), [MAX_ENTRIES_PER_BLOCK, 10], 'never more than MAX_ENTRIES_PER_BLOCK entries in a block')
  t.end()
})

test('texts of the writer are kept on the decoded block: a reader does not decode them again', (t) => {
  const entries: EncodedEntry[] = ['{"a":1}', '"é"']
  const [only] = packBlocks(entries, entries.map(entrySize), 0)
  t.equal(only!.decoded.entryText(1), '"é"', 'multi-byte text')
  t.equal(decodeBlock(only!.block).entryText(1), '"é"', 'the same text decoded from the bytes')
  t.end()
})

/** Bytes that do not compress (a SHA-256 chain: the same on every run). */
function noise (n: number): Buffer {
  const out: Buffer[] = []
  let h = Buffer.from('seed')
  for (let got = 0; got < n; got += 32) out.push(h = createHash('sha256').update(h).digest())
  return Buffer.concat(out).subarray(0, n)
}

function reasonOf (block: Uint8Array): string | null {
  try {
    decodeBlock(block)
    return null
  } catch (err) {
    return err instanceof BlockFormatError ? `${err.code}/${err.reason}` : `other: ${String(err)}`
  }
}

test('malformed blocks are refused whole, each with its reason', (t) => {
  const good = pack([{ a: 1 }, { b: 2 }])[0]!.block
  t.equal(reasonOf(good), null, 'the good block decodes')
  t.equal(reasonOf(Buffer.alloc(0)), 'ERR_BLOCK_FORMAT/empty')
  t.equal(reasonOf(Buffer.from('{"one":"entry per block, JSON"}')), 'ERR_BLOCK_FORMAT/unknown-format', 'an old JSON block')
  t.equal(reasonOf(Buffer.from([BLOCK_FORMAT_COMPRESSED + 1, 0, 1, 1, 0x30])), 'ERR_BLOCK_FORMAT/unknown-format', 'a later format')
  t.equal(reasonOf(Buffer.from([BLOCK_FORMAT, 0, 0])), 'ERR_BLOCK_FORMAT/bad-count', 'zero entries')
  t.equal(reasonOf(Buffer.from([BLOCK_FORMAT, 0, 0xfd, 0xff, 0xff])), 'ERR_BLOCK_FORMAT/bad-count', 'too many entries')
  t.equal(reasonOf(good.subarray(0, good.byteLength - 1)), 'ERR_BLOCK_FORMAT/truncated', 'the last entry cut short')
  t.equal(reasonOf(good.subarray(0, 3)), 'ERR_BLOCK_FORMAT/truncated', 'the lengths cut short')
  t.equal(reasonOf(Buffer.concat([good, Buffer.from([0x20])])), 'ERR_BLOCK_FORMAT/trailing-bytes')
  t.equal(reasonOf(Buffer.from([BLOCK_FORMAT, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 1, 0x30])), 'ERR_BLOCK_FORMAT/out-of-range', 'an offset past 2^53')
  t.end()
})

test('property: random bytes never throw anything but a BlockFormatError, and never decode out of bounds', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const buf = Buffer.concat([Buffer.from([BLOCK_FORMAT]), Buffer.from(bytes)])
    try {
      const d = decodeBlock(buf)
      return d.starts[d.count] === buf.byteLength
    } catch (err) {
      return err instanceof BlockFormatError
    }
  }), { seed: 20261130, numRuns: 2000 })
  t.pass('2,000 runs')
  t.end()
})

test('appendEntries / readEntries on a feed; values over the size limit are refused', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  const m = new Multifeed(dir)
  const w = await m.writer()
  const first = await appendEntries(w, [{ a: 0 }, { a: 1 }])
  t.deepEqual(first, { firstBlock: 0, counts: [2] }, 'two small values, one block')
  const second = await appendEntries(w, [{ a: 2 }])
  t.deepEqual(second, { firstBlock: 1, counts: [1] })
  t.deepEqual(await readEntries(w, 0), [{ a: 0 }, { a: 1 }])
  t.equal(decodeBlock(await w.get(1) as Buffer).offset, 2, 'the second block counts the entries before it')
  try {
    await appendEntries(w, ['z'.repeat(MAX_ENTRY_BYTES + 1)])
    t.fail('should refuse')
  } catch (err) {
    t.equal((err as MultifeedError).code, 'ERR_INVALID_VALUE', 'over MAX_ENTRY_BYTES: ERR_INVALID_VALUE')
  }
  t.equal(w.length, 2, 'nothing appended')
  await m.close()
})

test('storage written in another layout version is refused with ERR_FORMAT_VERSION', async (t) => {
  const dir = tmpDir(t, 'kappa-multifeed-')
  // what a multifeed of the one-entry-per-block layout (v1) left on disk
  const store = new Corestore(dir)
  const meta = store.namespace('@kappa-ts/multifeed', { active: false }).get({ name: 'meta', valueEncoding: 'json' })
  await meta.ready()
  await meta.append({ type: 'multifeed', version: 1, key: 'ab'.repeat(32) })
  await meta.close()
  const m = new Multifeed(store)
  try {
    await m.ready()
    t.fail('should refuse')
  } catch (err) {
    t.ok(err instanceof MultifeedError, 'a MultifeedError')
    t.equal((err as MultifeedError).code, 'ERR_FORMAT_VERSION')
    t.match((err as Error).message, new RegExp(`layout v1 .* reads layout v${STORAGE_VERSION}`), 'says which version wrote it and which this one reads')
  }
  await m.close()
  await store.close()
})

test('compression: blocks that shrink are stored compressed and read back the same; small ones are left as they are', async (t) => {
  const values = Array.from({ length: 500 }, (_, i) => ({ tconst: `tt${i}`, titleType: 'tvEpisode', primaryTitle: 'Episode ' + i, genres: ['Drama'] }))
  const [big] = pack(values)
  const stored = await compressBlock(big!.block)
  t.equal(stored[0], BLOCK_FORMAT_COMPRESSED, 'a block of JSON records is stored compressed')
  t.ok(stored.byteLength < big!.block.byteLength / 3, `${big!.block.byteLength} bytes stored in ${stored.byteLength}`)
  t.deepEqual(compressBlockSync(big!.block), stored, 'the same bytes on this thread')
  t.deepEqual(unpack([stored]), values, 'read back entry for entry (sync)')
  const decoded = await decodeBlockAsync(stored)
  t.deepEqual(decodeEntry('json', decoded, 499), values[499], 'and off the main thread')
  t.equal(decoded.offset, 0)
  const [small] = pack([{ chat: 'hi' }])
  t.equal(await compressBlock(small!.block), small!.block, 'a single small entry is stored as it is')
  const random = Buffer.concat([Buffer.from([BLOCK_FORMAT, 0, 1, 0xfd, 0x00, 0x10]), noise(4096)])
  t.equal(decodeBlock(random).count, 1, 'an incompressible block decodes')
  t.equal((await compressBlock(random))[0], BLOCK_FORMAT, 'and is stored as it is (it does not shrink)')
})

test('compressed blocks from a peer cannot expand past what they declare, nor past the limit', (t) => {
  const [big] = pack(Array.from({ length: 500 }, (_, i) => ({ i, text: 'the same words again and again' })))
  const stored = compressBlockSync(big!.block)
  const body = stored.subarray(1 + 3) // tag + a 3-byte varint length (the block is 1 KB .. 64 KB)
  const withLength = (n: number, rest: Buffer): Buffer => {
    const len = n < 0xfd ? Buffer.from([n]) : n <= 0xffff ? Buffer.from([0xfd, n & 0xff, n >> 8]) : Buffer.from([0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24])
    return Buffer.concat([Buffer.from([BLOCK_FORMAT_COMPRESSED]), len, rest])
  }
  t.equal(reasonOf(withLength(big!.block.byteLength - 10, body)), 'ERR_BLOCK_FORMAT/bad-compression', 'declares less than it holds: stopped at the declared length')
  t.equal(reasonOf(withLength(big!.block.byteLength + 10, body)), 'ERR_BLOCK_FORMAT/bad-compression', 'declares more than it holds')
  t.equal(reasonOf(withLength(MAX_DECODED_BLOCK_BYTES + 1, body)), 'ERR_BLOCK_FORMAT/out-of-range', 'declares more than the limit: refused before decompressing')
  t.equal(reasonOf(withLength(100, Buffer.from('not brotli at all'))), 'ERR_BLOCK_FORMAT/bad-compression', 'garbage')
  // a bomb: 16 MB of zeros compress to a few bytes; declared as 100 bytes it is cut there
  const bomb = zlib.brotliCompressSync(Buffer.alloc(16 * 1024 * 1024))
  t.ok(bomb.byteLength < 100, `16 MB of zeros in ${bomb.byteLength} bytes`)
  t.equal(reasonOf(withLength(100, bomb)), 'ERR_BLOCK_FORMAT/bad-compression', 'a bomb stops at its declared length')
  const nested = withLength(stored.byteLength, zlib.brotliCompressSync(stored))
  t.equal(reasonOf(nested), 'ERR_BLOCK_FORMAT/bad-compression', 'a compressed block inside a compressed block')
  t.end()
})
