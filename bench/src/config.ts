// Command-line options of `npm run bench` and the config each scenario gets.
import { DEFAULT_ROWS, DEFAULT_SEED } from './generate.js'

/** Scenario 4 (fan-out): how readers join and how the writer appends. */
export interface FanoutSettings {
  /**
   * Live append rate (entries/s) of the first run of each reader count. Clean: doubled
   * while clean, up to rateMax. Not clean: halved until clean, down to rateMin.
   */
  rate: number
  rateMax: number
  rateMin: number
  /** Run every attempt to its end instead of stopping at the first failure (slower; full figures of unclean runs). */
  fullRuns: boolean
  /** Readers started per wave; null: a tenth of the readers (all joined within ten waves). */
  waveSize: number | null
  /** Milliseconds between waves. */
  waveMs: number
  /** Readers per reader process. */
  perProcess: number
  /** A reader not done this many seconds after it started fails (timeout). */
  readerTimeoutS: number
  /** Seconds the writer keeps appending after every reader has indexed the first records. */
  liveTailS: number
  /** The writer appends what the rate has made due every this many ms. */
  appendEveryMs: number
  /** How readers are sized: 'small' (the bench's, see README) or 'default' (the libraries' defaults). */
  readerMemory: 'small' | 'default'
  /**
   * CPU niceness of the reader processes (0: the writer's). They stand for peers on other
   * machines; on this one, N of them must not starve the writer they measure.
   */
  readerNice: number
  /** Writer's and readers' join({ handshakeTimeout }), ms; null: the library's default. */
  handshakeTimeoutMs: number | null
}

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
  fanout: FanoutSettings
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
  /** The scenario process's time limit, seconds (a scenario that runs processes of its own plans within it). */
  timeoutS: number
  /** Node flags and the CPU profile folder, for scenarios that start processes of their own (fan-out). */
  nodeArgs: string[]
  profileDir: string | null
  fanout: FanoutSettings
}

export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

export const USAGE = `usage: npm run bench -- [options]
  --quick              smoke run (what CI runs): 10,000 rows, scale 20,000, fan-out 4 readers
  --only a,b           run only these scenarios (names or numbers)
  --rows N             rows of the main data set (default 100,000)
  --scale-rows N       rows of the scale scenario (default 1,000,000)
  --readers 10,100     reader counts of the fan-out scenario (default 10,100,1000; quick 4)
  --rate R             fan-out: live appends/s of the first run per reader count (default 1000);
                       doubled while clean up to --rate-max (8000), halved until clean down
                       to --rate-min (125); quick: 1000 only
  --full-runs          fan-out: run unclean runs to the end, not only to the first failure
  --wave-size N        fan-out: readers started per wave (default: a tenth of the readers)
  --wave-ms MS         fan-out: time between waves (default 1000)
  --per-process N      fan-out: readers per reader process (default 50; quick 2)
  --reader-timeout S   fan-out: a reader not done S after it started fails (default 120)
  --live-tail S        fan-out: live appends after every reader has the first records (default 5)
  --append-ms MS       fan-out: the writer appends what is due every MS (default 100)
  --reader-memory M    fan-out: 'small' (the bench's reader sizing) or 'default' (the libraries')
  --reader-nice N      fan-out: CPU niceness of the reader processes, 0-19 (default 10)
  --handshake-timeout MS  fan-out: join({ handshakeTimeout }) of writer and readers (default: kappa's)
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
    readers: quick ? [4] : [10, 100, 1000],
    seed: DEFAULT_SEED,
    out: null,
    timeoutS: quick ? 120 : 900,
    keep: false,
    profileDir: null,
    nodeArgs: [],
    fanout: {
      rate: 1000,
      rateMax: quick ? 1000 : 8000,
      rateMin: quick ? 1000 : 125,
      fullRuns: false,
      waveSize: quick ? 2 : null,
      waveMs: quick ? 500 : 1000,
      perProcess: quick ? 2 : 50,
      readerTimeoutS: quick ? 60 : 120,
      liveTailS: quick ? 1 : 5,
      appendEveryMs: 100,
      readerMemory: 'small',
      readerNice: 10,
      handshakeTimeoutMs: null
    }
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
      case '--rate': opts.fanout.rate = positiveInt(a, next()); break
      case '--rate-max': opts.fanout.rateMax = positiveInt(a, next()); break
      case '--rate-min': opts.fanout.rateMin = positiveInt(a, next()); break
      case '--full-runs': opts.fanout.fullRuns = true; break
      case '--wave-size': opts.fanout.waveSize = positiveInt(a, next()); break
      case '--wave-ms': opts.fanout.waveMs = positiveInt(a, next()); break
      case '--per-process': opts.fanout.perProcess = positiveInt(a, next()); break
      case '--reader-timeout': opts.fanout.readerTimeoutS = positiveInt(a, next()); break
      case '--live-tail': opts.fanout.liveTailS = Number(next()); if (!(opts.fanout.liveTailS >= 0)) throw new UsageError('--live-tail needs seconds >= 0'); break
      case '--append-ms': opts.fanout.appendEveryMs = positiveInt(a, next()); break
      case '--handshake-timeout': opts.fanout.handshakeTimeoutMs = positiveInt(a, next()); break
      case '--reader-nice': {
        const v = Number(next())
        if (!Number.isInteger(v) || v < 0 || v > 19) throw new UsageError('--reader-nice needs an integer from 0 to 19')
        opts.fanout.readerNice = v
        break
      }
      case '--reader-memory': {
        const v = next()
        if (v !== 'small' && v !== 'default') throw new UsageError(`--reader-memory is small or default, got ${String(v)}`)
        opts.fanout.readerMemory = v
        break
      }
      case '--help': case '-h': throw new UsageError(USAGE)
      default: throw new UsageError(`unknown option ${a}\n${USAGE}`)
    }
  }
  return opts
}
