// Run by crash.test.ts: writes batches of 50 keys into a KappaLevel until killed,
// printing the number of each batch once its write resolved.
import { KappaLevel } from '../src/index.js'

const dir = process.argv[2]!
const first = Number(process.argv[3])
const db = new KappaLevel(dir)
await db.open()
for (let i = first; ; i++) {
  await db.batch(Array.from({ length: 50 }, (_, j) => ({ type: 'put' as const, key: `b${String(i).padStart(6, '0')}-${String(j).padStart(2, '0')}`, value: String(i) })))
  process.stdout.write(`done ${i}\n`)
}
