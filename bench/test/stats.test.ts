import test from 'tape'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs, UsageError } from '../src/config.js'
import { selectScenarios } from '../src/scenarios/index.js'
import { dirSize, percentile } from '../src/stats.js'

test('percentile is nearest-rank', (t) => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i) // 100..1, unsorted
  t.equal(percentile(xs, 50), 50)
  t.equal(percentile(xs, 99), 99)
  t.equal(percentile(xs, 100), 100)
  t.equal(percentile([7], 99), 7)
  t.ok(Number.isNaN(percentile([], 50)), 'NaN for no samples')
  t.end()
})

test('dirSize sums the apparent size of every file below a folder', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-bench-size-'))
  try {
    fs.writeFileSync(path.join(dir, 'a'), Buffer.alloc(1000))
    fs.mkdirSync(path.join(dir, 'sub'))
    fs.writeFileSync(path.join(dir, 'sub', 'b'), Buffer.alloc(234))
    t.equal(dirSize(dir), 1234)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  t.end()
})

test('options: --quick is a tenth of the data, --only picks scenarios, bad input is a UsageError', (t) => {
  const full = parseArgs([])
  const quick = parseArgs(['--quick'])
  t.equal(full.rows, 100_000)
  t.equal(quick.rows, 10_000)
  t.equal(full.scaleRows, 1_000_000)
  t.deepEqual(full.readers, [10, 100, 1000], 'fan-out: 10, 100 and 1,000 readers by default')
  t.deepEqual(parseArgs(['--readers', '3,7']).readers, [3, 7], '--readers overrides')
  t.equal(full.fanout.rate, 1000, 'fan-out starts at 1,000 appends/s')
  t.equal(full.fanout.rateMax, 8000, 'and searches up to the seed\'s 8,000/s')
  t.equal(parseArgs(['--reader-nice', '0']).fanout.readerNice, 0, '--reader-nice 0: readers at the writer\'s priority')
  t.throws(() => parseArgs(['--reader-nice', '20']), UsageError, 'niceness beyond 19 is refused')
  t.equal(full.fanout.handshakeTimeoutMs, null, 'fan-out: kappa\'s own handshake timeout by default')
  t.equal(parseArgs(['--handshake-timeout', '30000']).fanout.handshakeTimeoutMs, 30_000, '--handshake-timeout sets it')
  t.throws(() => parseArgs(['--reader-memory', 'huge']), UsageError, 'unknown reader sizing is refused')
  t.equal(parseArgs(['--rows', '500000']).rows, 500_000, '--rows makes the data set larger')
  t.deepEqual(selectScenarios(['queries', '1']).map((s) => s.name), ['import-index', 'queries'], '--only by name or number, in issue order')
  t.throws(() => parseArgs(['--rows', 'x']), UsageError)
  t.throws(() => parseArgs(['--nope']), UsageError)
  t.throws(() => selectScenarios(['nope']), UsageError)
  t.end()
})
