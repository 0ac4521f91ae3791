// CI runs the quick bench once so it cannot rot: it must exit 0 and print one
// JSON line per scenario with that scenario's fields. No timing is asserted.
import test from 'tape'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { COMMON_FIELDS, SCENARIOS } from '../src/scenarios/index.js'

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'index.js')
const RUN_FIELDS = ['readers', 'ms', 'done', 'failures', 'peakRssMB']

test('npm run bench -- --quick runs every scenario and prints its JSON line', async (t) => {
  t.timeoutAfter(240_000)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-bench-quick-'))
  const out = path.join(dir, 'results.json')
  try {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [entry, '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      child.on('close', (code) => {
        if (code !== 0) t.comment(stderr.split('\n').slice(-30).join('\n'))
        resolve({ code, stdout })
      })
    })
    t.equal(code, 0, 'exits 0')
    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    t.deepEqual(lines.map((l) => l.scenario), SCENARIOS.map((s) => s.name), 'one JSON line per scenario, in order')
    for (const s of SCENARIOS) {
      const line = lines.find((l) => l.scenario === s.name)
      if (line === undefined) continue
      t.equal(line.ok, true, `${s.name}: ok${line.ok !== true ? ` (${String(line.error)})` : ''}`)
      t.equal(line.quick, true, `${s.name}: marked quick`)
      const missing = [...COMMON_FIELDS, ...s.fields].filter((f) => !(f in line))
      t.deepEqual(missing, [], `${s.name}: has ${s.fields.join(', ')}`)
      if (s.variants !== undefined) {
        const runs = line.runs as Array<Record<string, unknown>>
        t.ok(Array.isArray(runs) && runs.length > 0, `${s.name}: at least one run`)
        for (const run of runs ?? []) {
          t.deepEqual(RUN_FIELDS.filter((f) => !(f in run)), [], `${s.name} N=${String(run.variant)}: has ${RUN_FIELDS.join(', ')}`)
          if (s.name === 'fanout') {
            // The smoke run of the seed's test (a few readers in two processes): every reader
            // got every record up to the writer's final marker, indexed, over the swarm.
            t.equal(run.done, run.readers, `fanout N=${String(run.readers)}: every reader done`)
            t.equal(run.failures, 0, `fanout N=${String(run.readers)}: no failures (${JSON.stringify(run.problems)})`)
            t.equal(run.readerProcesses, 2, 'fanout: the readers ran in processes of their own')
            t.ok((run.entriesPerReader as number) > (run.records as number), 'fanout: the writer appended live beyond its first records')
          }
        }
      } else {
        t.equal(typeof line.peakRssMB, 'number', `${s.name}: peak RSS reported`)
      }
    }
    t.ok(stdout.includes('| # | scenario | figures | aim | met |'), 'prints the markdown table')
    const results = JSON.parse(fs.readFileSync(out, 'utf-8')) as { scenarios: unknown[]; quick: boolean }
    t.equal(results.quick, true, 'results file written')
    t.equal(results.scenarios.length, SCENARIOS.length, 'results file holds every scenario')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
