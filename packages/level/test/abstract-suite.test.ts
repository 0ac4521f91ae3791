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
  factory (options?: KappaLevelOptions) {
    return new KappaLevel(path.join(root.dir, String(n++)), options)
  }
})

test.onFinish(() => root.cleanup())
