// Shared by the root kappa-*.test.ts files: temp dirs, a chat kappa with kv and
// list views, and waiting for views to reach a condition without sleeping.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kappa, type Entry, type KappaOptions } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'

export function tmpdir (prefix = 'kappa-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

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

/** Resolves once `cond` holds, checking now and after each committed batch of any view. */
export function until (kappa: Kappa<any>, cond: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let running = false
    let again = false
    const check = (): void => {
      if (running) { again = true; return }
      running = true
      again = false
      cond().then((ok) => {
        running = false
        if (ok) { kappa.off('indexed', check); resolve() } else if (again) check()
      }, (err: unknown) => { kappa.off('indexed', check); reject(err) })
    }
    kappa.on('indexed', check)
    check()
  })
}

/** Every key/value under a view's data sublevel, in order: the whole materialized state. */
export async function dumpView (kappa: Kappa<any>, name: string): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = []
  for await (const [k, v] of kappa.context(name).db.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' })) out.push([k as string, v])
  return out
}
