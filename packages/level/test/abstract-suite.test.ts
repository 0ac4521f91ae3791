// abstract-level's own shared test suite, run against KappaLevel: every test its
// `supports` manifest enables (and the same suite again on a sublevel).
import { createRequire } from 'node:module'
import path from 'node:path'
import test from 'tape'
import { KappaLevel, type KappaLevelOptions } from '../src/index.js'
import { makeTmpDir } from '@kappa-ts/test-helpers'

const require = createRequire(import.meta.url)
const suite = require('abstract-level/test') as (options: { test: typeof test; factory: (options?: KappaLevelOptions) => KappaLevel }) => void

const root = makeTmpDir('kappa-level-suite-')
let n = 0

suite({
  test,
  // a small write buffer: the suite keeps hundreds of databases open at once, and each
  // preallocates its write-ahead log (22 MB at the default: 11 GB of disk for one run)
  factory (options?: KappaLevelOptions) {
    return new KappaLevel(path.join(root.dir, String(n++)), { writeBufferSize: 64 * 1024, ...options })
  }
})

test.onFinish(() => root.cleanup())
