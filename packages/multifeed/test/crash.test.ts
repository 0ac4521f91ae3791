// kill -9 while a peer is learning feeds and writing: after restart, every feed
// the app was told about and every acknowledged append is still there.
import test from 'tape'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Multifeed } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'
import { entryAt } from './helpers.js'

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-child.js')

test('kill -9 after a remote feed was announced and during appends: nothing acknowledged is lost', async (t) => {
  const da = tmpDir(t, 'kappa-multifeed-'); const db = tmpDir(t, 'kappa-multifeed-')
  const proc = spawn(process.execPath, [child, da, db], { stdio: ['ignore', 'pipe', 'inherit'] })
  let learned: string | null = null
  let acked = 0
  await new Promise<void>((resolve) => {
    let buf = ''
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1)
        if (line.startsWith('learned ')) learned = line.slice(8)
        if (line.startsWith('appended ')) acked = Number(line.slice(9))
        if (learned !== null && acked >= 20 && proc.exitCode === null && !proc.killed) {
          proc.kill('SIGKILL')
        }
      }
    })
    proc.on('exit', () => resolve())
  })
  t.ok(learned, 'the child learned a remote feed before being killed')

  const b = new Multifeed(db)
  await b.ready()
  const remote = b.feed(learned!)
  t.ok(remote, 'the remote feed the app saw is still known after kill -9')
  t.equal(b.feedInfo(learned!)?.local, false)
  const w = await b.writer()
  t.ok(w.length >= acked, `writer holds every acknowledged append (${w.length} >= ${acked})`)
  for (let i = 0; i < w.length; i++) {
    const v = await entryAt(w, i, { wait: false }) as { i: number }
    if (v.i !== i) { t.fail(`entry ${i} is ${JSON.stringify(v)}`); break }
  }
  t.pass('the log reads back in order, intact')
  await b.close()
})
