// kappa-core's test helpers: the views the tests index with. Temp folders, waiting on events
// and piping two peers together come from @kappa-ts/test-helpers (tmpDir, untilEvent, connect).
import type { Address, Entry, View, ViewBatch, ViewContext } from '../src/index.js'

export interface Msg { text: string; n?: number }

/** A tiny view: counts entries and remembers the last text per feed. */
export function countView (opts: { version?: number; filter?: (e: Entry<Msg>) => boolean; onMap?: (entries: Entry<Msg>[]) => void; maxBatch?: number } = {}) {
  const view = {
    ...(opts.version !== undefined ? { version: opts.version } : {}),
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
    ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    async map (entries: Entry<Msg>[], batch: ViewBatch, ctx: ViewContext) {
      opts.onMap?.(entries)
      const prev = (await ctx.db.get('count') as number | undefined) ?? 0
      batch.put('count', prev + entries.length)
      for (const e of entries) batch.put('text!' + e.key + '!' + addressKey(e.address), e.value.text)
    },
    api: {
      async count (ctx: ViewContext): Promise<number> {
        return (await ctx.db.get('count') as number | undefined) ?? 0
      },
      /** The text of the last entry (highest address) indexed of `feed` (entries may arrive out of order from peers). */
      async last (ctx: ViewContext, feed: string): Promise<string | undefined> {
        const prefix = 'text!' + feed + '!'
        for await (const v of ctx.db.values({ gte: prefix, lt: prefix + '~', reverse: true, limit: 1 })) return v as string // eslint-disable-line no-unreachable-loop -- the first value is the answer
        return undefined
      }
    }
  } satisfies View<any, Msg>
  return view
}

/** An address as a key that sorts in log order. */
export function addressKey (a: Address): string {
  return String(a.block).padStart(10, '0') + '.' + String(a.index).padStart(5, '0')
}
