// The view suite's options for KappaLevel's view (a module of its own: the suite's crash
// check imports it in a child process to create the view). Entries are binary
// KappaLevel entries: puts and deletes of a few keys (strings and bytes), each write
// linking the write of its key before (op ids), some entries a batch of several ops.
import { parseEntryId } from '@kappa-ts/kappa-core'
import type { ValueContext, ViewSuiteOptions } from '@kappa-ts/view-suite'
import { encodeEntry, type WriteOp } from '../src/entry-format.js'
import { levelView } from '../src/level-view.js'
import { opId } from '../src/positions.js'

const KEYS = 7

function keyOf (i: number): string | Uint8Array {
  return i % KEYS === 3 ? new Uint8Array([0xff, 0x00, i % KEYS]) : `k${i % KEYS}`
}

function levelEntry (i: number, { ids }: ValueContext): Uint8Array {
  const prev = ids[i - KEYS] === undefined ? null : parseEntryId(ids[i - KEYS]!)
  const links = prev === null ? [] : [opId(prev.key, prev.address, 0)]
  const clock = 1 + Math.floor(i / KEYS)
  const ops: WriteOp[] = [i % 10 === 9
    ? { del: true, key: keyOf(i), clock, links }
    : { del: false, key: keyOf(i), value: `v${i}`, clock, links }]
  // every fifth entry is a batch: one more write, of another key, linking nothing
  if (i % 5 === 0) ops.push({ del: false, key: `batch${i % 3}`, value: new Uint8Array([i % 256, 0xfe]), clock: 1, links: [] })
  return encodeEntry(ops)
}

export const level: ViewSuiteOptions = {
  name: 'KappaLevel',
  // the hooks of KappaLevel's session: no read-your-writes waiters, no key filter (every key looked up)
  create: () => levelView({ indexed: () => {}, filter: () => null }),
  values: levelEntry,
  valueEncoding: 'binary',
  module: import.meta.url,
  exportName: 'level'
}
