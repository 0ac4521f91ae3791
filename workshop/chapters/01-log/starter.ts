// Chapter 1 starter: an append-only log and its entries.
// Write your code under each TODO, then run
//   npx tsc -b workshop/chapters && node workshop/chapters/dist/01-log/starter.js
// and compare what it prints with "Expected output" in README.md (solution.ts has one answer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Hypercore from 'hypercore'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch01-'))

// The entries of the expected output: 'hello' alone, then these three in one append,
// and 'the end' after the restart.
const first = 'hello'
const three = ['this is', 'an append-only', 'log']
const afterRestart = 'the end'

const log = new Hypercore<string>(dir, { valueEncoding: 'utf-8' })
await log.ready()

// TODO 1: print the length of the empty log: "empty log, length 0"
// TODO 2: append `first`, then `three` in one call; print "after appending 4 entries, length 4"
// TODO 3: print every entry by sequence number ("entry 0: hello" ...), then all of them from
//         log.createReadStream() joined with " / " ("read stream: hello / this is / ...")

await log.close()

// TODO 4: open the same folder again, print "reopened, length 4 last entry: log"
// TODO 5: append `afterRestart`; print "entry 0 is still: hello - length now 5"

fs.rmSync(dir, { recursive: true, force: true })
