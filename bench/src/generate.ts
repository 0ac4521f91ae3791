// Deterministic test data shaped like IMDB's title.basics.tsv:
//   tconst titleType primaryTitle originalTitle isAdult startYear endYear runtimeMinutes genres
// with `\N` for missing values, as in the real file. Same seed and row count
// give byte-identical output on every run (the PRNG is ours, no Math.random,
// no dates, no locale).
import { openSync, writeSync, closeSync, createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { Prng } from './prng.js'

export const DEFAULT_SEED = 0x6b617070 // "kapp"
export const DEFAULT_ROWS = 100_000
export const COLUMNS = [
  'tconst', 'titleType', 'primaryTitle', 'originalTitle', 'isAdult',
  'startYear', 'endYear', 'runtimeMinutes', 'genres'
] as const

/** One row as imported: a JSON record keyed by tconst (`\N` becomes null). */
export interface TitleRecord {
  tconst: string
  titleType: string
  primaryTitle: string
  originalTitle: string
  isAdult: boolean
  startYear: number | null
  endYear: number | null
  runtimeMinutes: number | null
  genres: string[]
}

// Roughly the real file's mix of title types.
const TITLE_TYPES: ReadonlyArray<readonly [string, number]> = [
  ['tvEpisode', 72], ['short', 9], ['movie', 7], ['video', 3], ['tvSeries', 2.5],
  ['tvMovie', 1.6], ['tvMiniSeries', 0.5], ['tvSpecial', 0.4], ['videoGame', 0.4], ['tvShort', 0.1]
]

const GENRES = [
  'Action', 'Adult', 'Adventure', 'Animation', 'Biography', 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Family', 'Fantasy', 'Film-Noir', 'Game-Show', 'History', 'Horror', 'Music', 'Musical', 'Mystery',
  'News', 'Reality-TV', 'Romance', 'Sci-Fi', 'Short', 'Sport', 'Talk-Show', 'Thriller', 'War', 'Western'
]

const WORDS = [
  'the', 'of', 'love', 'night', 'man', 'last', 'day', 'house', 'blood', 'city', 'dark', 'girl', 'life',
  'world', 'dead', 'story', 'war', 'time', 'king', 'road', 'heart', 'home', 'game', 'secret', 'summer',
  'winter', 'river', 'black', 'white', 'red', 'little', 'big', 'lost', 'return', 'brothers', 'mother',
  'father', 'island', 'shadow', 'fire', 'water', 'star', 'dream', 'stranger', 'angel', 'devil', 'moon',
  'garden', 'train', 'journey', 'final', 'first', 'wild', 'silent', 'golden', 'broken', 'hidden',
  'children', 'murder', 'mystery', 'legend', 'family', 'street', 'sea', 'mountain', 'storm', 'letter',
  'wedding', 'party', 'doctor', 'detective', 'captain', 'lady', 'boy', 'friends', 'kingdom', 'empire',
  'Glückstag', 'Café', 'Niño', 'Mädchen', 'l\'amour', 'la', 'el', 'der', 'die', 'und', 'et', 'de',
  'nuit', 'vida', 'amor', 'Straße', 'été', 'Señor', 'Liebe', 'mañana'
]

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December']

const NULL = '\\N'

function capitalize (word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

function phrase (rng: Prng, minWords: number, maxWords: number): string {
  const n = rng.int(minWords, maxWords)
  const words: string[] = []
  for (let i = 0; i < n; i++) {
    const w = rng.pick(WORDS)
    words.push(i === 0 || rng.chance(0.6) ? capitalize(w) : w)
  }
  return words.join(' ')
}

function episodeTitle (rng: Prng, year: number | null): string {
  const r = rng.next()
  if (r < 0.35) return `Episode #${rng.int(1, 30)}.${rng.int(1, 200)}`
  if (r < 0.5 && year !== null) return `Episode dated ${rng.int(1, 28)} ${rng.pick(MONTHS)} ${year}`
  if (r < 0.55) return `Episode ${rng.int(1, 2000)}`
  return phrase(rng, 1, 3)
}

function genres (rng: Prng, titleType: string): string {
  if (rng.chance(0.15)) return NULL
  const n = rng.weighted([[1, 58], [2, 27], [3, 15]] as const)
  const picked = new Set<string>()
  if (titleType === 'short') picked.add('Short')
  while (picked.size < n) picked.add(rng.pick(GENRES))
  return [...picked].sort().join(',')
}

/** The columns of row `i` (0-based) drawn from `rng`; `tconstNum` is this row's numeric id. */
function row (rng: Prng, tconstNum: number): string[] {
  const titleType = rng.weighted(TITLE_TYPES)
  // Most titles are recent: skew the year toward 2025.
  const startYear = rng.chance(0.08) ? null : 1894 + Math.floor(131 * Math.sqrt(rng.next()))
  const primary = titleType === 'tvEpisode' ? episodeTitle(rng, startYear) : phrase(rng, 1, 5)
  const original = rng.chance(0.1) ? phrase(rng, 1, 5) : primary
  const isAdult = rng.chance(0.02) ? '1' : '0'
  const series = titleType === 'tvSeries' || titleType === 'tvMiniSeries'
  const endYear = series && startYear !== null && rng.chance(0.7) ? String(Math.min(2025, startYear + rng.int(0, 15))) : NULL
  const runtime = rng.chance(0.6) ? NULL : String(titleType === 'movie' ? rng.int(60, 180) : rng.int(1, 90))
  return [
    'tt' + String(tconstNum).padStart(7, '0'),
    titleType,
    primary,
    original,
    isAdult,
    startYear === null ? NULL : String(startYear),
    endYear,
    runtime,
    genres(rng, titleType)
  ]
}

/** Yields the TSV lines (header first, no trailing newline) for `rows` rows. */
export function * tsvLines (rows: number, seed: number = DEFAULT_SEED): Generator<string> {
  const rng = new Prng(seed)
  yield COLUMNS.join('\t')
  let id = 0
  for (let i = 0; i < rows; i++) {
    id += rng.int(1, 3) // real ids have gaps
    yield row(rng, id).join('\t')
  }
}

/** Writes the TSV to `file`; returns its size in bytes. */
export function writeTsv (file: string, rows: number, seed: number = DEFAULT_SEED): number {
  const fd = openSync(file, 'w')
  let bytes = 0
  let chunk: string[] = []
  const flush = (): void => {
    if (chunk.length === 0) return
    const buf = Buffer.from(chunk.join(''), 'utf-8')
    writeSync(fd, buf)
    bytes += buf.length
    chunk = []
  }
  try {
    for (const line of tsvLines(rows, seed)) {
      chunk.push(line, '\n')
      if (chunk.length >= 4096) flush()
    }
    flush()
  } finally {
    closeSync(fd)
  }
  return bytes
}

function nullableInt (s: string): number | null {
  return s === NULL ? null : Number(s)
}

/** Parses one data line of the TSV into the record that gets imported. */
export function parseLine (line: string): TitleRecord {
  const c = line.split('\t')
  if (c.length !== COLUMNS.length) throw new Error(`bad TSV line: expected ${COLUMNS.length} columns, got ${c.length}`)
  return {
    tconst: c[0]!,
    titleType: c[1]!,
    primaryTitle: c[2]!,
    originalTitle: c[3]!,
    isAdult: c[4] === '1',
    startYear: nullableInt(c[5]!),
    endYear: nullableInt(c[6]!),
    runtimeMinutes: nullableInt(c[7]!),
    genres: c[8] === NULL ? [] : c[8]!.split(',')
  }
}

/** Streams the records of a TSV file in batches of `size` (the header is skipped). */
export async function * readBatches (file: string, size: number, limit = Infinity): AsyncGenerator<TitleRecord[]> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf-8' }), crlfDelay: Infinity })
  let header = true
  let batch: TitleRecord[] = []
  let n = 0
  for await (const line of lines) {
    if (header) { header = false; continue }
    if (line === '' || n >= limit) continue
    batch.push(parseLine(line))
    n++
    if (batch.length === size) { yield batch; batch = [] }
  }
  if (batch.length > 0) yield batch
}

/** Every record of a TSV file in memory (fine for the 100,000-row default, not for the scale run). */
export async function readAll (file: string, limit = Infinity): Promise<TitleRecord[]> {
  const out: TitleRecord[] = []
  for await (const batch of readBatches(file, 10_000, limit)) {
    for (const r of batch) out.push(r)
  }
  return out
}
