// The view suite's options for list (a module of its own: the suite's crash check
// imports it in a child process to create the view).
import type { ViewSuiteOptions } from '@kappa-ts/view-suite'
import type { Entry } from '@kappa-ts/kappa-core'
import { listView } from '../src/index.js'

interface Item { time: number; tags: string[]; hidden: boolean }

/**
 * Items with many equal times (ties sort by feed and address), some listed under tags
 * too, some left out. The map trusts its entries (`e.value.time` of a null throws): the
 * view's onError 'skip' must isolate and record those.
 */
export const listItems: ViewSuiteOptions = {
  name: 'list',
  create: () => listView<Item>({ map: (e: Entry<Item>) => (e.value.hidden ? null : [e.value.time, ...e.value.tags]) }),
  values: (i): Item => ({ time: (i * 37) % 41, tags: i % 4 === 0 ? [`tag-${i % 3}`] : [], hidden: i % 9 === 0 }),
  module: import.meta.url,
  exportName: 'listItems'
}
