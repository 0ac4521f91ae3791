// The two views of the kill -9 test, shared by the test and its child process.
import type { Entry } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'

export interface CrashRecord { key: string; value: { n: number }; links: string[]; time: number }

export const KEYS = 5000

/**
 * Record i of a feed: key k<i mod KEYS>, linking the previous record of that key
 * (`ids[j]` is the entry id of record j); list times with ties.
 */
export function crashRecord (ids: string[], i: number): CrashRecord {
  return {
    key: 'k' + (i % KEYS),
    value: { n: i },
    links: i >= KEYS ? [ids[i - KEYS]!] : [],
    time: Math.floor(((i * 7919) % 100_000) / 2)
  }
}

export const crashViews = () => ({
  kv: kvView<{ n: number }>(),
  byTime: listView<CrashRecord>({ map: (e: Entry<CrashRecord>) => e.value.time })
})
