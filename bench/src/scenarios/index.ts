// The scenarios in the order the issue lists them.
import { UsageError } from '../config.js'
import type { Scenario } from '../scenario.js'
import { fanout } from './fanout.js'
import { importIndex } from './import-index.js'
import { level } from './level.js'
import { manyFeeds } from './many-feeds.js'
import { queries } from './queries.js'
import { replication } from './replication.js'
import { scale } from './scale.js'
import { smallWrites } from './small-writes.js'

export const SCENARIOS: readonly Scenario[] = [importIndex, smallWrites, replication, fanout, scale, queries, level, manyFeeds]

/** Fields every scenario's JSON line has, whatever the scenario. */
export const COMMON_FIELDS = ['scenario', 'ok', 'quick'] as const

export function findScenario (name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name || String(x.id) === name)
  if (s === undefined) throw new UsageError(`unknown scenario "${name}"; one of ${SCENARIOS.map((x) => x.name).join(', ')}`)
  return s
}

/** The scenarios named by --only (names or numbers), in the order; all if none. */
export function selectScenarios (only: readonly string[]): Scenario[] {
  if (only.length === 0) return [...SCENARIOS]
  const picked = new Set(only.map(findScenario))
  return SCENARIOS.filter((s) => picked.has(s))
}
