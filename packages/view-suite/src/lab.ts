// The suite's bench: temp folders, kappas running the view under test, writers
// appending the view's values on a seeded schedule, replication between peers,
// and the view's stored state as bytes, to compare two runs.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { Kappa, entryId, type AnyView, type SkippedEntry, type Writer } from '@kappa-ts/kappa-core'
import type { Resolved } from './options.js'

/** The view's name in every kappa of the suite. */
export const VIEW = 'view'
/**
 * Writers close a block at about this many bytes: small, so the logs hold many blocks
 * of a few entries each (batch boundaries fall inside and between feeds).
 */
export const BLOCK_BYTES = 400

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the suite runs any view: the kappa holds one view of an unknown type
export type SuiteKappa = Kappa<any>

export interface Lab {
  readonly dir: string
  /** A folder for one peer's storage. */
  folder(name: string): string
  /** Closes every kappa opened through it and removes the folder. */
  cleanup(): Promise<void>
  /** A kappa over `folder` running `view` as VIEW (views in LevelDB there, or in memory). */
  open(folder: string, opts?: { view?: AnyView | null; key?: Uint8Array | string; memory?: boolean; paused?: boolean }): Promise<SuiteKappa>
}

export function lab (opts: Resolved, prefix: string): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `view-suite-${prefix}-`))
  const open = new Set<SuiteKappa>()
  return {
    dir,
    folder: (name) => path.join(dir, name),
    async cleanup () {
      await Promise.all([...open].map((k) => k.close().catch(() => {})))
      fs.rmSync(dir, { recursive: true, force: true })
    },
    async open (folder, o = {}) {
      const view = o.view === undefined ? opts.create() : o.view
      const kappa: SuiteKappa = new Kappa(folder, {
        valueEncoding: opts.valueEncoding,
        blockBytes: BLOCK_BYTES,
        ...(o.key !== undefined ? { key: o.key } : {}),
        ...(o.memory === true ? { db: new MemoryLevel() } : {}),
        ...(view !== null ? { views: { [VIEW]: view } } : {})
      })
      open.add(kappa)
      kappa.once('close', () => open.delete(kappa))
      if (o.paused === true && view !== null) kappa.pause()
      await kappa.ready()
      return kappa
    }
  }
}

/**
 * The view with some of its fields replaced (maxBatch, version, map), keeping the rest:
 * its methods are reached through the prototype, so a view that is a class instance
 * keeps its own `this`.
 */
export function withOverrides (view: AnyView, fields: Partial<AnyView>): AnyView {
  const out = Object.create(view) as AnyView
  for (const [k, v] of Object.entries(fields)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  return out
}

/** One append of the schedule: `size` values by writer `writer`. */
export interface Append { writer: number; size: number }

/** The seeded schedule of appends that writes `count` values over `writers` writers. */
export function schedule (opts: Resolved, salt: number): Append[] {
  const [sizes] = fc.sample(fc.array(fc.record({ writer: fc.nat(opts.writers - 1), size: fc.integer({ min: 1, max: 9 }) }), { minLength: opts.count, maxLength: opts.count }),
    { seed: opts.seed + salt, numRuns: 1 })
  const out: Append[] = []
  let left = opts.count
  // every writer writes something: the first appends go round the writers
  for (let i = 0; left > 0; i++) {
    const a = sizes![i % sizes!.length]!
    const size = Math.min(left, a.size)
    out.push({ writer: i < opts.writers ? i : a.writer, size })
    left -= size
  }
  return out
}

/** A seeded permutation of 0 .. n-1. */
export function permutation (n: number, seed: number): number[] {
  const [keys] = fc.sample(fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }), { seed, numRuns: 1 })
  return [...Array(n).keys()].sort((a, b) => keys![a]! - keys![b]! || a - b)
}

/** A seeded integer in [min, max]. */
export function pick (min: number, max: number, seed: number): number {
  return fc.sample(fc.integer({ min, max }), { seed, numRuns: 1 })[0]!
}

/** Writes the view's values on `plan`; `after(k)` runs after the k-th append (e.g. to let a peer index). */
export class ValueWriter {
  readonly ids: Array<string | undefined> = []
  private next = 0

  constructor (private readonly opts: Resolved, private readonly writers: Writer[]) {}

  get written (): number { return this.next }

  /** Appends `size` values (from the next index on) by writer `w`. */
  async append (w: number, size: number): Promise<void> {
    const writer = this.writers[w]!
    const values: unknown[] = []
    for (let k = 0; k < size; k++) values.push(this.opts.values(this.next + k, { writer: w, feed: writer.key, ids: this.ids }))
    const addresses = await writer.append(values)
    addresses.forEach((a, k) => { this.ids[this.next + k] = entryId(writer.key, a) })
    this.next += size
  }

  async run (plan: Append[], after?: (k: number) => Promise<void>): Promise<void> {
    for (let k = 0; k < plan.length; k++) {
      await this.append(plan[k]!.writer, plan[k]!.size)
      if (after !== undefined) await after(k)
    }
  }
}

/** Replicates two kappas over an in-process stream; returns the function that ends it. */
export function connect (a: SuiteKappa, b: SuiteKappa): () => void {
  const sa: Duplex = a.replicate(true)
  const sb: Duplex = b.replicate(false)
  sa.pipe(sb).pipe(sa)
  return () => { sa.destroy(); sb.destroy() }
}

/** What a view holds: every key and value of its sublevel, as bytes, and its skip records. */
export interface ViewState {
  rows: Array<[key: Buffer, value: Buffer]>
  skipped: SkippedEntry[]
}

export async function stateOf (kappa: SuiteKappa): Promise<ViewState> {
  const rows: Array<[Buffer, Buffer]> = []
  for await (const [k, v] of kappa.context(VIEW).db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' })) rows.push([k as unknown as Buffer, v as unknown as Buffer])
  return { rows, skipped: await kappa.skipped(VIEW) }
}

/** Where two states differ, in words (null: they do not). */
export function difference (a: ViewState, b: ViewState): string | null {
  const n = Math.max(a.rows.length, b.rows.length)
  for (let i = 0; i < n; i++) {
    const ra = a.rows[i]
    const rb = b.rows[i]
    if (ra !== undefined && rb !== undefined && ra[0].equals(rb[0]) && ra[1].equals(rb[1])) continue
    const where = `row ${i} of ${a.rows.length} vs ${b.rows.length}`
    if (ra === undefined) return `${where}: only the second has ${show(rb![0])} = ${show(rb![1])}`
    if (rb === undefined) return `${where}: only the first has ${show(ra[0])} = ${show(ra[1])}`
    if (!ra[0].equals(rb[0])) return `${where}: key ${show(ra[0])} vs ${show(rb[0])}`
    return `${where}: key ${show(ra[0])} holds ${show(ra[1])} vs ${show(rb[1])}`
  }
  const sa = JSON.stringify(a.skipped)
  const sb = JSON.stringify(b.skipped)
  if (sa !== sb) {
    const i = a.skipped.findIndex((s, j) => JSON.stringify(s) !== JSON.stringify(b.skipped[j]))
    const at = i < 0 ? a.skipped.length : i
    return `skip records differ (${a.skipped.length} vs ${b.skipped.length}), first at ${at}: ${JSON.stringify(a.skipped[at] ?? null)} vs ${JSON.stringify(b.skipped[at] ?? null)}`
  }
  return null
}

function show (b: Buffer): string {
  const s = JSON.stringify(b.toString('utf8'))
  return s.length > 120 ? s.slice(0, 117) + '..."' : s
}

/** Rows and skip records, for a message. */
export function size (s: ViewState): string {
  return `${s.rows.length} rows, ${s.skipped.length} skip records`
}

/**
 * The view's state rebuilt from scratch: a fresh instance of it over the logs stored in
 * `folder` (closed), indexed into a memory db.
 */
export async function rebuild (l: Lab, folder: string): Promise<ViewState> {
  const k = await l.open(folder, { memory: true })
  try {
    await k.indexed()
    return await stateOf(k)
  } finally {
    await k.close()
  }
}
