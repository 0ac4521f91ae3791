// The kappa view behind KappaLevel: every KappaLevel entry of every log, applied
// to the view's tables (materialize.ts). Total over any input: an entry that is not
// a well-formed KappaLevel entry is skipped whole and recorded with the reason.
import type { Entry, View, ViewBatch, ViewContext } from '@kappa-ts/kappa-core'
import { decodeEntry } from './entry-format.js'
import type { KeyFilter } from './key-filter.js'
import { materialize, type IndexedOp } from './materialize.js'
import { opId, positionOf } from './positions.js'
import { TableWriter, tablesOf } from './tables.js'

/** Bumped when the tables' layout changes, so old data is rebuilt, not misread. */
const LAYOUT = 'kappa-level/2'

/**
 * Entries per map() call. An entry is a whole batch (up to a few MB), so this
 * bounds the memory of one commit; single puts issued at once are still applied
 * many per commit.
 */
const MAX_BATCH = 256

export interface LevelViewHooks {
  /** After each commit, with the entries it applied (read-your-writes waits on this). */
  indexed(entries: Entry[]): void
  /** The filter of keys with a record (null: look every key up). */
  filter(): KeyFilter | null
}

export type LevelView = View<Record<never, never>>

export function levelView (hooks: LevelViewHooks): LevelView {
  return {
    version: LAYOUT,
    maxBatch: MAX_BATCH,
    async map (entries: Entry[], batch: ViewBatch, ctx: ViewContext): Promise<void> {
      const t = tablesOf(ctx.db)
      const writer = new TableWriter(batch)
      const ops: IndexedOp[] = []
      for (const entry of entries) {
        const decoded = decodeEntry(entry.value)
        const position = positionOf(entry)
        if (!decoded.ok) {
          batch.skip(entry, decoded.reason)
          continue
        }
        for (let i = 0; i < decoded.ops.length; i++) ops.push({ id: opId(entry.key, position, i), op: decoded.ops[i]! })
      }
      if (ops.length > 0) await materialize(ops, writer, t, hooks.filter())
    },
    indexed (entries: Entry[]): void {
      hooks.indexed(entries)
    }
  }
}
