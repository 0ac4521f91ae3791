// Printing for the CLI: human lines by default, JSON with --json.
import type { RecordVersion } from '../record-db.js'

export interface Out {
  json: boolean
  /** JSON mode: prints `data`; human mode: prints `human()`'s lines. */
  result(data: unknown, human: () => string | string[]): void
  info(line: string): void
}

export function makeOut (json: boolean): Out {
  return {
    json,
    result (data, human) {
      if (json) process.stdout.write(JSON.stringify(data, replacer) + '\n')
      else {
        const lines = human()
        process.stdout.write((Array.isArray(lines) ? lines.join('\n') : lines) + (Array.isArray(lines) && lines.length === 0 ? '' : '\n'))
      }
    },
    info (line) {
      if (!json) process.stderr.write(line + '\n')
    }
  }
}

/** Infinity (a feed that counts in full) has no JSON form. */
export function replacer (_key: string, value: unknown): unknown {
  return value === Infinity ? 'all' : value
}

export function recordLine (r: RecordVersion): string {
  return `${r.id}\t${JSON.stringify(r.value)}`
}

export function recordDetail (r: RecordVersion): string {
  return `${r.schema}/${r.id} ${r.op} by ${r.feed.slice(0, 8)}…@${r.address.block}.${r.address.index} at ${new Date(r.timestamp).toISOString()}${r.value === undefined ? '' : '\n  ' + JSON.stringify(r.value)}`
}
