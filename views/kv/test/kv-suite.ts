// The view suite's options for kv (a module of its own: the suite's crash check
// imports it in a child process to create the view).
import type { ViewSuiteOptions } from '@kappa-ts/view-suite'
import { kvView, type KvRecord } from '../src/index.js'

const KEYS = 7

/** Records over a few keys, each linking the record of its key before the last (forks, heals, dangling links). */
export const kvRecords: ViewSuiteOptions = {
  name: 'kv (records)',
  create: () => kvView(),
  values: (i, { ids }): KvRecord<{ n: number }> => {
    const prev = ids[i - KEYS]
    return { key: `k${i % KEYS}`, value: { n: i }, links: prev === undefined ? [] : [prev] }
  },
  module: import.meta.url,
  exportName: 'kvRecords'
}
