// The parent process of `npm run bench`: generates the data, runs each scenario
// in a child process, prints one JSON line per scenario and a markdown table,
// and writes the results file.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BenchOptions, ScenarioConfig } from './config.js'
import { writeTsv } from './generate.js'
import { markdownTable } from './report.js'
import type { Figures, Scenario } from './scenario.js'
import { SCENARIOS, selectScenarios } from './scenarios/index.js'
import { MB, now, round } from './stats.js'

export interface ChildOutcome {
  figures: Figures
  /** Why the run ended early without being a bug: a time limit or the kernel's OOM killer. */
  limit: string | null
}

function log (msg: string): void {
  process.stderr.write(`# ${msg}\n`)
}

/** Runs one scenario (one variant) in a child process of `entry`. */
export interface ChildOptions {
  timeoutS: number
  profileDir: string | null
  nodeArgs: string[]
}

export function runChild (entry: string, scenario: Scenario, cfg: ScenarioConfig, opts: ChildOptions): Promise<ChildOutcome> {
  const { timeoutS, profileDir } = opts
  return new Promise((resolve) => {
    const nodeArgs = [...opts.nodeArgs]
    if (profileDir !== null) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir), '--cpu-prof-name', `${scenario.name}${cfg.variant === null ? '' : `-${cfg.variant}`}.cpuprofile`)
    const child = spawn(process.execPath, [...nodeArgs, entry, '--child', scenario.name, '--config', JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let result: Figures | null = null
    let outBuf = ''
    let errTail = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutS * 1000)
    child.stdout.setEncoding('utf-8')
    child.stdout.on('data', (d: string) => {
      outBuf += d
      let nl: number
      while ((nl = outBuf.indexOf('\n')) >= 0) {
        const line = outBuf.slice(0, nl)
        outBuf = outBuf.slice(nl + 1)
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as Figures
        else if (line !== '') process.stderr.write(`  [${scenario.name}] ${line}\n`)
      }
    })
    child.stderr.setEncoding('utf-8')
    child.stderr.on('data', (d: string) => {
      errTail = (errTail + d).slice(-4000)
      process.stderr.write(d.replace(/^(?=.)/gm, `  [${scenario.name}] `))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (result !== null && code === 0) return resolve({ figures: result, limit: null })
      let limit: string | null = null
      let error: string
      if (timedOut) {
        limit = `time limit of ${timeoutS} s reached`
        error = limit
      } else if (signal === 'SIGKILL') {
        limit = 'killed by the system (out of memory?)'
        error = limit
      } else if (result !== null) {
        error = String((result as { error?: unknown }).error ?? `exit ${String(code)}`)
      } else {
        error = `exit ${String(code ?? signal)}: ${errTail.trim().split('\n').slice(-3).join(' | ')}`
      }
      resolve({ figures: { ...(result ?? {}), ok: false, error }, limit })
    })
  })
}

/** The whole run. Returns the process exit code. */
export async function runBench (opts: BenchOptions, entry: string, defaultOut: string): Promise<number> {
  const scenarios = selectScenarios(opts.only)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kappa-bench-'))
  const started = now()
  const loadAtStart = os.loadavg().map((x) => round(x, 2))
  log(`kappa-ts bench${opts.quick ? ' (quick)' : ''}: ${scenarios.map((s) => s.name).join(', ')}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; temp ${tmp}`)

  const data = { rows: opts.rows, bytes: 0, scaleRows: opts.scaleRows, scaleBytes: 0, generateMs: 0 }
  const dataFile = path.join(tmp, 'title.basics.tsv')
  const scaleFile = path.join(tmp, 'title.basics.scale.tsv')
  const g0 = now()
  if (scenarios.some((s) => s.data === 'main')) data.bytes = writeTsv(dataFile, opts.rows, opts.seed)
  if (scenarios.some((s) => s.data === 'scale')) data.scaleBytes = writeTsv(scaleFile, opts.scaleRows, opts.seed)
  data.generateMs = round(now() - g0, 1)
  log(`data: ${opts.rows} rows, ${(data.bytes / MB).toFixed(2)} MB${data.scaleBytes > 0 ? `; scale ${opts.scaleRows} rows, ${(data.scaleBytes / MB).toFixed(1)} MB` : ''} (generated in ${data.generateMs} ms)`)

  const lines: Figures[] = []
  let failed = false
  try {
    for (const scenario of scenarios) {
      const base = {
        quick: opts.quick, rows: opts.rows, scaleRows: opts.scaleRows, seed: opts.seed, dataFile, scaleFile,
        timeoutS: opts.timeoutS, nodeArgs: opts.nodeArgs, profileDir: opts.profileDir, fanout: opts.fanout
      }
      const workDir = (v: number | null): string => {
        const d = path.join(tmp, `${scenario.name}${v === null ? '' : `-${v}`}`)
        mkdirSync(d, { recursive: true })
        return d
      }
      let line: Figures
      if (scenario.variants === undefined) {
        log(`${scenario.id}. ${scenario.title}`)
        const out = await runChild(entry, scenario, { ...base, workDir: workDir(null), variant: null }, opts)
        rmSync(workDir(null), { recursive: true, force: true })
        line = { scenario: scenario.name, ...out.figures }
      } else {
        const runs: Figures[] = []
        let stopReason: string | null = null
        let bug = false
        for (const v of scenario.variants.values({ quick: opts.quick, readers: opts.readers })) {
          stopReason = scenario.variants.stop(runs, v, { timeoutS: opts.timeoutS, memoryMB: Math.round(os.freemem() * 0.6 / MB) })
          if (stopReason !== null) break
          log(`${scenario.id}. ${scenario.title}: ${v}`)
          const out = await runChild(entry, scenario, { ...base, workDir: workDir(v), variant: v }, opts)
          rmSync(workDir(v), { recursive: true, force: true })
          runs.push({ variant: v, ...out.figures })
          if (out.figures.ok !== true) {
            stopReason = `${v}: ${String(out.figures.error)}`
            if (out.limit === null) bug = true
            break
          }
        }
        line = { scenario: scenario.name, ok: !bug && runs.length > 0 && runs[0]!.ok === true, runs, stopReason }
      }
      line = { ...line, quick: opts.quick }
      if (line.ok !== true) failed = true
      lines.push(line)
      process.stdout.write(JSON.stringify(line) + '\n')
    }
  } finally {
    if (opts.keep) log(`kept ${tmp}`)
    else rmSync(tmp, { recursive: true, force: true })
  }

  const table = markdownTable(scenarios, lines, opts.quick)
  process.stdout.write('\n' + table + '\n')
  const results = {
    generatedAt: new Date().toISOString(),
    quick: opts.quick,
    options: { rows: opts.rows, scaleRows: opts.scaleRows, readers: opts.readers, seed: opts.seed, nodeArgs: opts.nodeArgs, fanout: opts.fanout },
    totalMs: round(now() - started, 0),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '',
      totalMemMB: Math.round(os.totalmem() / MB),
      loadAtStart,
      loadAtEnd: os.loadavg().map((x) => round(x, 2)),
      node: process.version,
      platform: `${process.platform} ${process.arch}`
    },
    data,
    scenarios: lines,
    table
  }
  const out = opts.out ?? defaultOut
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
  log(`results in ${out} (${(results.totalMs / 1000).toFixed(1)} s)`)
  return failed ? 1 : 0
}

export { SCENARIOS }
