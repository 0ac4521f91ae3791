// Shared by the root kappa-*.test.ts files: a chat kappa with kv and list views, two of
// them replicating, and waiting for views to reach a condition without sleeping.
// (Temp folders and closing at the test's end come from @kappa-ts/test-helpers.)
import { Kappa, type Entry, type KappaOptions } from '@kappa-ts/kappa-core'
import { openPair, untilEvent, type TestLike } from '@kappa-ts/test-helpers'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'

export interface ChatMessage { type: 'chat'; time: number; author: string; text: string }
export interface Profile { name: string }

export const chatViews = () => ({
  profiles: kvView<Profile>(),
  messages: listView<ChatMessage>({
    map: (e: Entry<ChatMessage>) => (e.value !== null && typeof e.value === 'object' && e.value.type === 'chat' ? e.value.time : null)
  })
})

export type ChatKappa = Kappa<ReturnType<typeof chatViews>>

export function chatKappa (dir: string, opts: Omit<KappaOptions, 'views'> = {}): ChatKappa {
  return new Kappa(dir, { ...opts, views: chatViews() })
}

/**
 * Two chat kappas of one multifeed (b opened with a's key), ready, with a writer each;
 * not connected. Closed when the test ends, then their folders removed.
 */
export async function chatPair (t: TestLike) {
  const [ka, kb] = await openPair(t, async (dir, first?: ChatKappa) => {
    const k = chatKappa(dir, first === undefined ? {} : { key: first.key })
    await k.ready()
    return k
  })
  return { ka, kb, wa: await ka.writer(), wb: await kb.writer() }
}

/** Resolves once `cond` holds, checking now and after each committed batch of any view. */
export function until (kappa: Kappa<any>, cond: () => Promise<boolean>): Promise<void> {
  return untilEvent(kappa, 'indexed', cond, 'the views')
}

/** Every key/value under a view's data sublevel, in order: the whole materialized state. */
export async function dumpView (kappa: Kappa<any>, name: string): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = []
  for await (const [k, v] of kappa.context(name).db.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' })) out.push([k as string, v])
  return out
}
