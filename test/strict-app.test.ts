// A user's strict TypeScript app compiles against our packages WITHOUT skipLibCheck:
// every type our published .d.ts files reach (hypercore, corestore, hyperswarm, hyperdht,
// protomux, ... which ship JavaScript only) must come with the packages.
import test from 'tape'
import { tmpDir } from '@kappa-ts/test-helpers'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

const APP = `import { Kappa, type ApiDef, type Feed, type Entry, type View, type ViewBatch, type ViewContext } from '@kappa-ts/kappa-core'
import { join, swarmOf, type KappaSwarm } from '@kappa-ts/swarm'
import { viewSuite, type SuiteTest, type ViewSuiteOptions } from '@kappa-ts/view-suite'
import { Multifeed } from '@kappa-ts/multifeed'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'
import { RecordDB } from '@kappa-ts/record-db'
import { Chat } from '@kappa-ts/chat'

interface Msg { time: number; text: string }

// a view of the app's own: what map returns reaches indexed(); it runs the view suite
const lengths = {
  map (entries: Entry<Msg>[], batch: ViewBatch, ctx: ViewContext): number {
    for (const e of entries) batch.put(ctx.name + e.value.time, e.value.text.length)
    return entries.length
  },
  indexed (_entries: Entry<Msg>[], count: number, ctx: ViewContext): void {
    if (!ctx.signal.aborted && count < 0) void ctx.entry(ctx.name, { block: 0, index: 0 })
  }
} satisfies View<ApiDef, Msg, number>
const suite: ViewSuiteOptions = { name: 'lengths', create: () => ({ ...lengths }), values: (i) => ({ time: i, text: 'x' }), supports: { crash: false } }
export function suiteOf (test: SuiteTest): void { viewSuite(test, suite) }

export async function main (dir: string): Promise<number> {
  const kappa = new Kappa(dir)
    .use('messages', listView<Msg>({ map: (e: Entry<Msg>) => e.value.time }))
    .use('names', kvView<{ name: string }>())
    .use('lengths', lengths)
  // the ready-resource lifecycle and the typed events ship with the packages
  kappa.on('view-error', (name, err) => { void name.length; void err.code })
  // the swarm: its own typed events, one call to join
  const swarm: KappaSwarm = swarmOf(kappa, { bootstrap: ['127.0.0.1:49736'] })
  swarm.on('synced', (p) => { if (p.synced && p.shared) void p.localLength })
  swarm.on('connection-error', (info) => { void info.remotePublicKey })
  await kappa.ready()
  const open: boolean = kappa.opened && !kappa.closed && kappa.closing === null
  const feeds: Feed[] = kappa.feeds()
  const first: number = feeds[0]?.contiguousLength ?? 0
  const joined: KappaSwarm = await join(kappa)
  const items = await kappa.api.messages.read({ limit: 10 })
  const text: string | undefined = items[0]?.value.text
  const db = new RecordDB(dir + '-db')
  db.on('change', (c) => { void c.id })
  await db.ready()
  const mf: Multifeed = kappa.multifeed
  const chat = await Chat.open({ storage: dir + '-chat' })
  await chat.close()
  await db.close()
  await kappa.close()
  return first + joined.peers.length + (text?.length ?? 0) + mf.feeds().length + (open ? 1 : 0)
}
`

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true
  },
  files: ['app.ts']
}

test('a strict app with skipLibCheck: false compiles against kappa-core, the swarm, the views, the view suite, record-db and the chat', async (t) => {
  // Inside the repository, so @kappa-ts/* resolve through node_modules as for a user of the packages.
  const dir = tmpDir(t, 'strict-app-', path.join(root, 'test', 'dist'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
  fs.writeFileSync(path.join(dir, 'app.ts'), APP)
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr })
    })
  })
  t.equal(code, 0, 'tsc --strict with skipLibCheck: false exits 0')
  t.equal(output.trim(), '', 'and reports nothing')
  if (code !== 0) t.comment(output.split('\n').slice(0, 40).join('\n'))
})
