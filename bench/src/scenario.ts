// What a scenario is. Each runs in a process of its own (so its peak RSS is
// its own and one crash cannot take the others down) and returns the figures
// that make up its JSON line.
import type { ScenarioConfig } from './config.js'

export type Figures = Record<string, unknown>

/** How a result reads in the markdown table. */
export interface TableRow {
  figures: string
  /** The aim for this scenario ('' if none). */
  aim: string
  /** Whether the aim is met (null: no aim, or not judged on quick data). */
  met: boolean | null
}

/** What the machine allows one scenario process. */
export interface VariantLimits {
  /** The time limit of one process, seconds. */
  timeoutS: number
  /** Memory a process may plan to use, MB (a share of what is free now). */
  memoryMB: number
}

export interface Scenario {
  /** Number in the bench (1-6 from issue 6, 7 from issue 17). */
  id: number
  /** Short name used by --only and in the JSON line. */
  name: string
  title: string
  /** Keys every result line of this scenario has (checked by the CI smoke test). */
  fields: readonly string[]
  /** Which generated data set it reads. */
  data: 'main' | 'scale' | 'none'
  /**
   * Run once per variant, each in its own process (fan-out: reader counts).
   * `stop` decides before each next variant whether to go on; a reason ends the series.
   */
  variants?: {
    values(cfg: { quick: boolean; readers: number[] }): number[]
    stop(done: Figures[], next: number, limits: VariantLimits): string | null
  }
  run(cfg: ScenarioConfig, log: (msg: string) => void): Promise<Figures>
  row(result: Figures, quick: boolean): TableRow
}
