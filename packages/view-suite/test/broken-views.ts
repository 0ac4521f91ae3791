// Views that break the contract, each in one way, and the suite options that run
// them (the crash check's child process imports this module to create them).
import { entryId, type Entry, type View, type ViewBatch, type ViewContext } from '@kappa-ts/kappa-core'
import type { ViewSuiteOptions } from '../src/index.js'

interface Value { key: string; n: number }
// n from 1: a doubled entry must change a sum (a doubled 0 would not, and the crash check
// could then land on a block whose only entry is value 0 and miss the broken view)
const value = (i: number): Value => ({ key: `k${i % 5}`, n: i + 1 })
const isValue = (v: unknown): v is Value => typeof v === 'object' && v !== null && typeof (v as Value).key === 'string' && typeof (v as Value).n === 'number'

const suite = (name: string, create: () => View, exportName: string): ViewSuiteOptions => ({ name, create, values: value, module: import.meta.url, exportName })

/** Stores when it indexed each entry: its state depends on timing. */
export const clock = suite('clock (stores Date.now())', () => ({
  map (entries: Entry[], batch: ViewBatch) {
    for (const e of entries) batch.put(entryId(e.key, e.address), Date.now())
  }
}), 'clock')

/** Numbers entries as they arrive (with a stored, crash-safe counter): its state depends on arrival order. */
export const arrival = suite('arrival (numbers entries as they come)', () => ({
  async map (entries: Entry[], batch: ViewBatch, ctx: ViewContext) {
    let n = (await ctx.db.get('count') as number | undefined) ?? 0
    for (const e of entries) batch.put(`seq!${String(n++).padStart(8, '0')}`, entryId(e.key, e.address))
    batch.put('count', n)
  }
}), 'arrival')

/** Counts per key, writing to ctx.db itself instead of the batch: a crash doubles the batch it was in. */
export const outsideBatch = suite('outside the batch (writes ctx.db directly)', () => ({
  async map (entries: Entry[], _batch: ViewBatch, ctx: ViewContext) {
    for (const e of entries) {
      if (!isValue(e.value)) continue
      const k = `sum!${e.value.key}`
      await ctx.db.put(k, ((await ctx.db.get(k) as number | undefined) ?? 0) + e.value.n)
    }
  }
}), 'outsideBatch')

/**
 * Sums per key through a write-through cache of what it stored. Correct until its data is
 * cleared under it: `withReset` drops the cache then, the broken one keeps serving it.
 */
function cachedSums (withReset: boolean): View {
  const cache = new Map<string, number>()
  return {
    async map (entries: Entry[], batch: ViewBatch, ctx: ViewContext) {
      const dirty = new Set<string>()
      for (const e of entries) {
        if (!isValue(e.value)) continue
        const k = `sum!${e.value.key}`
        const before = cache.get(k) ?? (await ctx.db.get(k) as number | undefined) ?? 0
        cache.set(k, before + e.value.n)
        dirty.add(k)
      }
      for (const k of dirty) batch.put(k, cache.get(k))
    },
    ...(withReset ? { reset () { cache.clear() } } : {})
  }
}
export const cacheWithoutReset = suite('cache without reset()', () => cachedSums(false), 'cacheWithoutReset')
export const cacheWithReset = suite('cache with reset()', () => cachedSums(true), 'cacheWithReset')

/** Trusts its entries: the first that is not shaped as it expects throws, and stops it. */
export const trusting = suite('trusting (throws on an unexpected entry)', () => ({
  map (entries: Entry<Value>[], batch: ViewBatch) {
    for (const e of entries) batch.put(e.value.key.toUpperCase(), e.value.n.toFixed(0))
  }
}), 'trusting')

/** Keys its rows by the entry's text as it is: a lone surrogate is stored as U+FFFD. */
export const illFormedKeys = suite('ill-formed keys (stores lone surrogates)', () => ({
  onError: 'skip',
  map (entries: Entry[], batch: ViewBatch) {
    for (const e of entries) if (isValue(e.value)) batch.put(`by-key!${e.value.key}!${entryId(e.key, e.address)}`, e.value.n)
  }
}), 'illFormedKeys')

/** Names a new version on every instance: rebuilt on every open. */
export const unstableVersion = suite('unstable version', () => ({
  version: `v${Math.random()}`,
  map (entries: Entry[], batch: ViewBatch) {
    for (const e of entries) batch.put(entryId(e.key, e.address), 1)
  }
}), 'unstableVersion')
