// A scenario process: runs one scenario (one variant) and prints its figures
// as `RESULT {json}` on stdout. Progress goes to stderr.
import type { ScenarioConfig } from './config.js'
import { findScenario } from './scenarios/index.js'
import { MB, RssSampler, now, processPeakRss, round } from './stats.js'

export async function runChildScenario (name: string, cfgJson: string): Promise<number> {
  const cfg = JSON.parse(cfgJson) as ScenarioConfig
  const scenario = findScenario(name)
  const rss = new RssSampler().start()
  const start = now()
  const log = (msg: string): void => { process.stderr.write(`${msg}\n`) }
  try {
    const figures = await scenario.run(cfg, log)
    const peak = Math.max(rss.stop(), processPeakRss())
    // A scenario that runs processes of its own reports their peak (fan-out); others get this process's.
    const out = { ok: true, peakRssMB: round(peak / MB, 1), ...figures, wallMs: round(now() - start, 1), processPeakRssMB: round(peak / MB, 1) }
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`)
    return 0
  } catch (err) {
    const e = err as Error
    process.stderr.write(`${e.stack ?? String(e)}\n`)
    const out = { ok: false, error: `${e.name}: ${e.message}`, wallMs: round(now() - start, 1), peakRssMB: round(Math.max(rss.stop(), processPeakRss()) / MB, 1) }
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`)
    return 1
  }
}
