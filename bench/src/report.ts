// The markdown table printed at the end of a run (and kept in the results file).
import type { Figures, Scenario } from './scenario.js'

function cell (s: string): string {
  return s.replace(/\|/g, '\\|')
}

export function markdownTable (scenarios: readonly Scenario[], lines: readonly Figures[], quick: boolean): string {
  const rows = ['| # | scenario | figures | aim | met |', '|---|---|---|---|---|']
  for (const s of scenarios) {
    const line = lines.find((l) => l.scenario === s.name)
    if (line === undefined) continue
    if (line.ok !== true && line.runs === undefined) {
      rows.push(`| ${s.id} | ${cell(s.title)} | FAILED: ${cell(String(line.error))} | | no |`)
      continue
    }
    const r = s.row(line, quick)
    const met = r.met === null ? '' : r.met ? 'yes' : 'no'
    rows.push(`| ${s.id} | ${cell(s.title)} | ${cell(r.figures)} | ${cell(r.aim)} | ${met} |`)
  }
  return rows.join('\n')
}
