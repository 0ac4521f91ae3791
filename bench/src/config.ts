// Command-line options of `npm run bench` and the config each scenario gets.
import { DEFAULT_ROWS, DEFAULT_SEED } from './generate.js'

export interface BenchOptions {
  quick: boolean
  /** Scenario names to run (empty: all). */
  only: string[]
  /** Rows of the main data set (scenarios 1-4, 6). */
  rows: number
  /** Rows of the scale data set (scenario 5). */
  scaleRows: number
  /** Reader counts for the fan-out scenario, tried in order while the machine allows. */
  readers: number[]
  seed: number
  /** Where the results JSON goes. */
  out: string | null
  /** Per child-process time limit, seconds. */
  timeoutS: number
  /** Keep the temp folder (data and stores) for inspection. */
  keep: boolean
  /** Write a V8 CPU profile of each scenario process into this folder (node --cpu-prof). */
  profileDir: string | null
  /** Extra node flags for the scenario processes (e.g. --max-old-space-size=80). */
  nodeArgs: string[]
}

/** What one scenario process is handed. */
export interface ScenarioConfig {
  quick: boolean
  rows: number
  scaleRows: number
  seed: number
  /** TSV of `rows` rows. */
  dataFile: string
  /** TSV of `scaleRows` rows ('' unless a scenario that needs it runs). */
  scaleFile: string
  /** A fresh folder this process may fill; removed afterwards. */
  workDir: string
  /** For scenarios run once per variant (fan-out: the reader count). */
  variant: number | null
}

export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

export const USAGE = `usage: npm run bench -- [options]
  --quick              smoke run (what CI runs): 10,000 rows, scale 20,000, readers 1,10
  --only a,b           run only these scenarios (names or numbers)
  --rows N             rows of the main data set (default ${DEFAULT_ROWS.toLocaleString('en')})
  --scale-rows N       rows of the scale scenario (default 1,000,000)
  --readers 10,100,500 reader counts of the fan-out scenario
  --seed N             data generator seed
  --out FILE           results JSON (default bench/results/latest.json)
  --timeout S          time limit of one scenario process, seconds (default 900; quick 120)
  --keep               keep the temp folder
  --profile DIR        a CPU profile (.cpuprofile) of each scenario process in DIR
  --node-args "FLAGS"  node flags for the scenario processes, e.g. "--max-old-space-size=80"`

function positiveInt (flag: string, v: string | undefined): number {
  const n = Number(v)
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} needs a positive integer, got ${String(v)}`)
  return n
}

export function parseArgs (argv: string[]): BenchOptions {
  const quick = argv.includes('--quick')
  const opts: BenchOptions = {
    quick,
    only: [],
    rows: quick ? DEFAULT_ROWS / 10 : DEFAULT_ROWS,
    // quick: a tenth of the main data; the scale run smaller still, so CI stays fast
    scaleRows: quick ? 20_000 : 1_000_000,
    readers: quick ? [1, 10] : [10, 100, 500],
    seed: DEFAULT_SEED,
    out: null,
    timeoutS: quick ? 120 : 900,
    keep: false,
    profileDir: null,
    nodeArgs: []
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = (): string | undefined => argv[++i]
    switch (a) {
      case '--quick': break
      case '--keep': opts.keep = true; break
      case '--only': opts.only = (next() ?? '').split(',').map((s) => s.trim()).filter(Boolean); break
      case '--rows': opts.rows = positiveInt(a, next()); break
      case '--scale-rows': opts.scaleRows = positiveInt(a, next()); break
      case '--readers': opts.readers = (next() ?? '').split(',').map((s) => positiveInt(a, s)); break
      case '--seed': opts.seed = positiveInt(a, next()); break
      case '--out': opts.out = next() ?? null; break
      case '--timeout': opts.timeoutS = positiveInt(a, next()); break
      case '--profile': opts.profileDir = next() ?? null; break
      case '--node-args': opts.nodeArgs = (next() ?? '').split(' ').filter(Boolean); break
      case '--help': case '-h': throw new UsageError(USAGE)
      default: throw new UsageError(`unknown option ${a}\n${USAGE}`)
    }
  }
  return opts
}
