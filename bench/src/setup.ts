// The kappa side of the scenarios: the views over the title records, batched
// import, and waiting until a peer has indexed a given number of entries.
import { Kappa, type KappaOptions } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'
import type { TitleRecord } from './generate.js'

/** kv view keyed by tconst. */
export function titleKv (): ReturnType<typeof kvView<TitleRecord>> {
  return kvView<TitleRecord>({ map: (e) => ({ key: (e.value as TitleRecord).tconst }) })
}

/** list view sorted by tconst. */
export function titleList (): ReturnType<typeof listView<TitleRecord>> {
  return listView<TitleRecord>({ map: (e) => e.value.tconst })
}

export function kvKappa (dir: string, opts: Omit<KappaOptions, 'views'> = {}) {
  return new Kappa(dir, { ...opts, views: { kv: titleKv() } })
}

export function kvListKappa (dir: string, opts: Omit<KappaOptions, 'views'> = {}) {
  return new Kappa(dir, { ...opts, views: { kv: titleKv(), list: titleList() } })
}

export function listKappa (dir: string, opts: Omit<KappaOptions, 'views'> = {}) {
  return new Kappa(dir, { ...opts, views: { list: titleList() } })
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a kappa with whichever views a scenario set up
type AnyKappa = Kappa<any>

/** Appends `records` in batches of `batchSize` through the kappa's default writer. */
/** Records per append in every batched scenario (issue 6: batches of 1,000). */
export const BATCH = 1000

export async function appendBatched (kappa: AnyKappa, records: readonly unknown[], batchSize: number): Promise<void> {
  const w = await kappa.writer()
  for (let i = 0; i < records.length; i += batchSize) await w.append(records.slice(i, i + batchSize))
}

/** True once every view of `kappa` has indexed at least `expected` entries. */
export function allIndexed (kappa: AnyKappa, expected: number): boolean {
  const status = kappa.status()
  const names = Object.keys(status)
  return names.length > 0 && names.every((n) => status[n]!.indexed >= expected)
}

/**
 * Resolves once every view has indexed `expected` entries (e.g. all that a peer
 * will replicate), rejects if a view fails. Driven by the views' progress events.
 */
export function untilIndexed (kappa: AnyKappa, expected: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!allIndexed(kappa, expected)) return
      cleanup()
      resolve()
    }
    const onError = (name: string, err: Error): void => {
      cleanup()
      reject(new Error(`view ${name} failed: ${err.message}`))
    }
    const cleanup = (): void => {
      kappa.off('progress', check)
      kappa.off('indexed', check)
      kappa.off('view-error', onError)
    }
    kappa.on('progress', check)
    kappa.on('indexed', check)
    kappa.on('view-error', onError)
    check()
  })
}

/** Connects two kappas with a replication stream pair; returns a function that ends it. */
export function connect (a: AnyKappa, b: AnyKappa): () => void {
  const sa = a.replicate(true)
  const sb = b.replicate(false)
  sa.pipe(sb).pipe(sa)
  // a peer closing mid-run ends its stream: that is not a bench error
  sa.on('error', () => {})
  sb.on('error', () => {})
  return () => { sa.destroy(); sb.destroy() }
}
