// The crash check's child process: indexes the logs in `folder` with the view the
// options module creates, one block per batch, and stops inside map call `killAt`
// (its writes staged, not committed), where the parent kills it with SIGKILL.
// Prints one JSON line per committed batch ({ indexed }) and one when it waits to
// be killed ({ mapping }).
import { Kappa, type AnyView, type Entry, type ViewBatch, type ViewContext } from '@kappa-ts/kappa-core'
import { BLOCK_BYTES, VIEW, withOverrides } from './lab.js'
import { resolveOptions, type ViewSuiteOptions } from './options.js'

interface ChildArgs { module: string; exportName: string; folder: string; killAt: number; maxBatch: number }

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs
const mod = await import(args.module) as Record<string, ViewSuiteOptions | undefined>
const options = mod[args.exportName]
if (options === undefined) throw new Error(`${args.module} has no export named ${args.exportName}`)
const opts = resolveOptions({ ...options, checks: [] })
const view = opts.create()
let calls = 0
const line = (msg: object): void => { process.stdout.write(JSON.stringify(msg) + '\n') }
const dying: AnyView = withOverrides(view, {
  maxBatch: args.maxBatch,
  async map (this: AnyView, entries: Entry[], batch: ViewBatch, ctx: ViewContext): Promise<unknown> {
    const result: unknown = await view.map.call(this, entries, batch, ctx)
    if (++calls === args.killAt) {
      line({ mapping: calls })
      // stay here, the batch staged and not committed, until the parent kills us
      setInterval(() => {}, 60_000)
      await new Promise(() => {})
    }
    return result
  }
})
const kappa = new Kappa(args.folder, { valueEncoding: opts.valueEncoding, blockBytes: BLOCK_BYTES, views: { [VIEW]: dying } })
kappa.on('indexed', () => line({ indexed: kappa.status()[VIEW]?.indexed ?? 0 }))
await kappa.indexed()
line({ done: true, calls })
await kappa.close()
