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

interface Doc { user: string; tag: string; id: string; replaces: string[]; text: string }

/**
 * A map of its own: two docs per entry (by user and by tag) with ids of the writer's
 * choosing, which entries of other writers reuse (a peer may name any id).
 */
export const kvCustomIds: ViewSuiteOptions = {
  name: 'kv (custom map and ids)',
  create: () => kvView({
    map: (e) => {
      const v = e.value as Doc
      return [
        { key: `user:${v.user}`, id: v.id, links: v.replaces, value: v.text },
        { key: `tag:${v.tag}`, id: `${v.id}#tag`, links: v.replaces.map((r) => `${r}#tag`) }
      ]
    }
  }),
  values: (i): Doc => ({ user: `u${i % 5}`, tag: `t${i % 3}`, id: `doc-${i % 40}`, replaces: i >= 5 ? [`doc-${(i - 5) % 40}`] : [], text: `text ${i}` }),
  module: import.meta.url,
  exportName: 'kvCustomIds'
}
