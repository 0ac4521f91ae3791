// The Writer hands the views exactly what the log holds, so a view indexed from
// a local append is the same as one rebuilt from the log later.
import test, { type Test } from 'tape'
import { Kappa, KappaError, type Entry, type ViewBatch, type ViewContext, type Writer } from '../src/index.js'
import { closeAtEnd, opened, tmpDir } from '@kappa-ts/test-helpers'
import { addressKey } from './helpers.js'

/** Stores every entry's value under its address; also keeps what map() was handed, in log order (one writer). */
function copyView (seen: unknown[], version = 1) {
  return {
    version,
    map (entries: Entry[], batch: ViewBatch) {
      for (const e of entries) {
        seen.push(e.value)
        batch.put(addressKey(e.address), e.value === undefined ? '(undefined)' : e.value)
      }
    },
    api: {
      async all (ctx: ViewContext): Promise<unknown[]> {
        const out: unknown[] = []
        for await (const v of ctx.db.values()) out.push(v)
        return out
      }
    }
  }
}

/** The view's data now, and the same view rebuilt from the log in a fresh process-like reopen. */
async function indexedAndRebuilt (t: Test, dir: string, kappa: Kappa<any>): Promise<{ live: unknown[]; rebuilt: unknown[]; rebuiltSeen: unknown[] }> {
  await kappa.indexed()
  const live = await kappa.api.copy.all() as unknown[]
  await kappa.close()
  const rebuiltSeen: unknown[] = []
  const again = closeAtEnd(t, new Kappa(dir).use('copy', copyView(rebuiltSeen, 2)))
  await again.indexed()
  const rebuilt = await again.api.copy.all()
  await again.close()
  return { live, rebuilt, rebuiltSeen }
}

/** A kappa in a temp folder with a copyView, and its writer; `seen` is what the view's map() was handed. */
async function openCopy (t: Test): Promise<{ dir: string; seen: unknown[]; kappa: Kappa<any>; w: Writer }> {
  const dir = tmpDir(t)
  const seen: unknown[] = []
  const kappa = await opened(t, new Kappa(dir).use('copy', copyView(seen)))
  return { dir, seen, kappa, w: await kappa.writer() }
}

test('a value changed by the caller after append() does not change what the view indexes', async (t) => {
  const { dir, seen, kappa, w } = await openCopy(t)
  const doc = { title: 'first', tags: ['a'] }
  const pending = w.append(doc)
  doc.title = 'changed before the append landed'
  doc.tags.push('b')
  await pending
  const batch = [{ n: 1 }, { n: 2 }]
  const p2 = w.append(batch)
  batch[0]!.n = 99
  await p2
  await kappa.indexed()
  t.deepEqual(seen, [{ title: 'first', tags: ['a'] }, { n: 1 }, { n: 2 }], 'map() got the values as they were at append()')
  t.notEqual(seen[0], doc, 'not the caller\'s object')
  doc.title = 'changed after indexing'
  t.deepEqual(seen[0], { title: 'first', tags: ['a'] })
  const { live, rebuilt } = await indexedAndRebuilt(t, dir, kappa)
  t.deepEqual(live, rebuilt, 'the view equals a rebuild from the log')
})

test('values JSON does not represent as they are reach the view as the log holds them', async (t) => {
  const { dir, seen, kappa, w } = await openCopy(t)
  const when = new Date('2026-11-24T08:00:00.000Z')
  await w.append([
    { when },
    { a: 1, gone: undefined, f: () => 1 },
    { n: NaN, inf: Infinity, neg: -0 },
    [undefined, 1],
    when
  ])
  const { live, rebuilt, rebuiltSeen } = await indexedAndRebuilt(t, dir, kappa)
  t.deepEqual(seen, [
    { when: '2026-11-24T08:00:00.000Z' },
    { a: 1 },
    { n: null, inf: null, neg: 0 },
    [null, 1],
    '2026-11-24T08:00:00.000Z'
  ], 'a Date is its ISO string, undefined fields and functions are gone, NaN is null')
  t.deepEqual(seen, rebuiltSeen, 'map() got the same values when rebuilding from the log')
  t.deepEqual(live, rebuilt, 'the view equals a rebuild from the log')
})

test('a value JSON cannot encode is refused with ERR_INVALID_VALUE and nothing is appended', async (t) => {
  const { seen, kappa, w } = await openCopy(t)
  await w.append({ ok: 0 })
  const cycle: Record<string, unknown> = { a: 1 }
  cycle.self = cycle
  const bad: Array<[string, unknown]> = [
    ['undefined', undefined], ['a function', () => 1], ['a BigInt', { n: 10n }], ['a cycle', cycle], ['a symbol', Symbol('s')],
    ['one bad value in an array', [{ ok: 1 }, { n: 1n }, { ok: 2 }]]
  ]
  // issued in the same tick as good appends: those still land, in order
  const results = await Promise.allSettled([w.append({ ok: 1 }), ...bad.map(([, v]) => w.append(v)), w.append({ ok: 2 })])
  for (let i = 0; i < bad.length; i++) {
    const r = results[i + 1]!
    const err = r.status === 'rejected' ? r.reason as unknown : null
    t.ok(err instanceof KappaError && err.code === 'ERR_INVALID_VALUE', `${bad[i]![0]}: ERR_INVALID_VALUE`)
  }
  t.deepEqual([results[0], results[results.length - 1]].map((r) => r!.status === 'fulfilled' ? r.value : null),
    [{ block: 1, index: 0 }, { block: 1, index: 1 }], 'the good appends went out together, in one block')
  t.equal(w.length, 2, 'nothing else appended')
  await kappa.indexed()
  t.deepEqual(seen, [{ ok: 0 }, { ok: 1 }, { ok: 2 }])
  t.deepEqual((await kappa.entry(w.key, { block: 1, index: 1 }))?.value, { ok: 2 }, 'the log holds the good values')
})

test('kappas with binary and utf-8 feeds keep their values as given', async (t) => {
  for (const [valueEncoding, value] of [['binary', Buffer.from([0, 255, 7])], ['utf-8', 'plain text, not JSON']] as const) {
    const seen: unknown[] = []
    const kappa = await opened(t, new Kappa(tmpDir(t), { valueEncoding }).use('copy', {
      map (entries: Entry[]) { for (const e of entries) seen.push(e.value) }
    }))
    const w = await kappa.writer()
    await w.append(value)
    await kappa.indexed()
    t.deepEqual(seen, [value], `${valueEncoding}: the view got the value`)
    t.deepEqual((await kappa.entry(w.key, { block: 0, index: 0 }))?.value, value, `${valueEncoding}: the log holds it`)
  }
})
