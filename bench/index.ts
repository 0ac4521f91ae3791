// `npm run bench`: the measured performance of kappa-ts beside raw hypercore.
// The same file is the entry of each scenario's child process (`--child NAME`).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError, parseArgs } from './src/config.js'
import { runChildScenario } from './src/child.js'
import { runBench } from './src/runner.js'

const entry = fileURLToPath(import.meta.url)
const argv = process.argv.slice(2)

async function main (): Promise<number> {
  if (argv[0] === '--child') return runChildScenario(argv[1] ?? '', argv[3] ?? '{}')
  try {
    const opts = parseArgs(argv)
    return await runBench(opts, entry, path.join(path.dirname(entry), '..', 'results', 'latest.json'))
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(err.message + '\n')
      return 0
    }
    process.stderr.write(err.message + '\n')
    return 2
  }
}

main().then((code) => {
  // Exit explicitly: a scenario's stray handle must not keep a finished run alive.
  process.exit(code)
}, (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
