import test from 'tape'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { COLUMNS, DEFAULT_ROWS, parseLine, readAll, tsvLines, writeTsv } from '../src/generate.js'
import { Prng } from '../src/prng.js'

function tmpDir (): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-bench-gen-'))
}

function sha256 (file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

test('two generations of the default data set are byte-identical and about 7.6 MB', (t) => {
  const dir = tmpDir()
  try {
    const a = path.join(dir, 'a.tsv')
    const b = path.join(dir, 'b.tsv')
    const sizeA = writeTsv(a, DEFAULT_ROWS)
    const sizeB = writeTsv(b, DEFAULT_ROWS)
    t.equal(sizeA, fs.statSync(a).size, 'writeTsv reports the bytes written')
    t.equal(sizeA, sizeB, 'same size')
    t.equal(sha256(a), sha256(b), 'same bytes')
    t.ok(Math.abs(sizeA - 7.6e6) <= 0.76e6, `default size ${(sizeA / 1e6).toFixed(2)} MB is within 10% of 7.6 MB`)
    const lines = fs.readFileSync(a, 'utf-8').split('\n')
    t.equal(lines[0], COLUMNS.join('\t'), 'header row as in title.basics')
    t.equal(lines.length, DEFAULT_ROWS + 2, 'header + rows + final newline')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  t.end()
})

test('a different seed gives different data; rows scale with --rows', (t) => {
  const first = [...tsvLines(50, 1)]
  const other = [...tsvLines(50, 2)]
  t.notDeepEqual(first, other, 'seed changes the rows')
  t.deepEqual([...tsvLines(20, 1)], first.slice(0, 21), 'a shorter run is a prefix of a longer one')
  t.end()
})

test('rows look like title.basics and parse into records keyed by tconst', async (t) => {
  const dir = tmpDir()
  try {
    const file = path.join(dir, 'd.tsv')
    writeTsv(file, 5000)
    const records = await readAll(file)
    t.equal(records.length, 5000, 'every row becomes a record')
    const ids = new Set(records.map((r) => r.tconst))
    t.equal(ids.size, records.length, 'tconst is unique')
    t.ok(records.every((r) => /^tt\d{7,}$/.test(r.tconst)), 'tconst looks like tt0000001')
    const sorted = [...records.map((r) => r.tconst)].sort()
    t.deepEqual(records.map((r) => r.tconst), sorted, 'rows come in tconst order, as in the real file')
    const types = new Set(records.map((r) => r.titleType))
    t.ok(types.has('tvEpisode') && types.has('movie') && types.has('short'), 'usual title types present')
    t.ok(records.some((r) => r.startYear === null) && records.some((r) => r.runtimeMinutes === null), '\\N becomes null')
    t.ok(records.every((r) => r.startYear === null || (r.startYear >= 1894 && r.startYear <= 2025)), 'plausible years')
    t.ok(records.every((r) => r.genres.length <= 3), 'at most three genres')
    t.ok(records.some((r) => r.primaryTitle !== r.originalTitle), 'some titles differ from their original title')
    t.deepEqual(parseLine('tt0000009\tmovie\tMiss Jerry\tMiss Jerry\t0\t1894\t\\N\t45\tRomance'), {
      tconst: 'tt0000009', titleType: 'movie', primaryTitle: 'Miss Jerry', originalTitle: 'Miss Jerry', isAdult: false,
      startYear: 1894, endYear: null, runtimeMinutes: 45, genres: ['Romance']
    }, 'a real row parses as expected')
    t.throws(() => parseLine('tt1\tmovie'), /9 columns/, 'a short row is refused')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the PRNG is deterministic and in range', (t) => {
  const a = new Prng(42)
  const b = new Prng(42)
  const xs = Array.from({ length: 1000 }, () => a.next())
  t.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()), 'same seed, same sequence')
  t.ok(xs.every((x) => x >= 0 && x < 1), 'floats in [0, 1)')
  const r = new Prng(7)
  const ints = Array.from({ length: 1000 }, () => r.int(3, 5))
  t.deepEqual([...new Set(ints)].sort(), [3, 4, 5], 'int(min, max) covers both ends')
  t.end()
})
