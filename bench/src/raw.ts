// The floor: the same records appended straight to one hypercore 11 through Corestore.
import Corestore from 'corestore'
import { dirSize, now } from './stats.js'

export interface RawAppendResult {
  appendMs: number
  diskBytes: number
  /** Sum of the block sizes as hypercore counts them. */
  byteLength: number
}

/** Appends `records` as JSON in batches of `batchSize` to one core in `dir`; measures disk after close. */
export async function rawAppend (dir: string, records: readonly unknown[], batchSize: number): Promise<RawAppendResult> {
  const store = new Corestore(dir)
  const core = store.get<unknown>({ name: 'bench', valueEncoding: 'json' })
  await core.ready()
  const start = now()
  for (let i = 0; i < records.length; i += batchSize) {
    await core.append(records.slice(i, i + batchSize))
  }
  const appendMs = now() - start
  const byteLength = core.byteLength
  await store.close()
  return { appendMs, diskBytes: dirSize(dir), byteLength }
}
