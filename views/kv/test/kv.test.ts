import test from 'tape'
import { Kappa, type Entry, type KappaError } from '@kappa-ts/kappa-core'
import { kvView, type KvUpdate } from '../src/index.js'
import { connect, opened, tmpDir } from '@kappa-ts/test-helpers'

interface Profile { name: string }

test('put then get: one head with its value; an overwrite replaces it; unknown keys are empty', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-kv-')).use('kv', kvView<Profile>()))
  const w = await kappa.writer()
  const first = await kappa.api.kv.put(w, 'alice', { name: 'Alice' })
  t.deepEqual(first, { key: w.key, address: { block: 0, index: 0 }, value: { name: 'Alice' }, id: `${w.key}@0.0` }, 'put resolves with the new head')
  await kappa.indexed()
  t.deepEqual(await kappa.api.kv.get('alice'), [first])
  const second = await kappa.api.kv.put(w, 'alice', { name: 'Alice B.' })
  await kappa.indexed()
  t.deepEqual(await kappa.api.kv.get('alice'), [second], 'overwrite: still one head, the new value')
  t.deepEqual((await kappa.entry(w.key, second.address))?.value, { key: 'alice', value: { name: 'Alice B.' }, links: [first.id] }, 'stored entry convention: { key, value, links }')
  t.deepEqual(await kappa.api.kv.get('bob'), [])
  await kappa.close()
})

test('puts of one key issued at once link each other: no fork with yourself', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-kv-')).use('kv', kvView<number>()))
  const w = await kappa.writer()
  const heads = await Promise.all([1, 2, 3, 4, 5].map((n) => kappa.api.kv.put(w, 'counter', n)))
  await kappa.indexed()
  const got = await kappa.api.kv.get('counter')
  t.equal(got.length, 1, 'one head')
  t.equal(got[0]?.value, 5, 'the last put wins')
  t.equal(got[0]?.id, heads[4]?.id)
  // and puts to different keys at once still coalesce into few hypercore appends
  let appends = 0
  w.feed.on('append', () => { appends++ })
  await Promise.all(Array.from({ length: 50 }, (_, i) => kappa.api.kv.put(w, 'k' + i, i)))
  t.ok(appends <= 2, `50 puts of different keys took ${appends} hypercore append(s)`)
  await kappa.indexed()
  t.deepEqual((await kappa.api.kv.get('k49')).map((h) => h.value), [49])
  await kappa.close()
})

test('custom map: ids, links and values from the entry; malformed docs are skipped, not fatal', async (t) => {
  const dir = tmpDir(t, 'kappa-kv-')
  interface Edit { doc: string; rev: string; replaces?: string[]; body: string }
  const view = kvView<string>({
    map: (e: Entry<Edit>) => (typeof e.value?.doc === 'string'
      ? { key: e.value.doc, id: e.value.rev, links: e.value.replaces ?? [], value: e.value.body }
      : null)
  })
  const kappa = new Kappa(dir).use('docs', view)
  const errors: KappaError[] = []
  kappa.on('view-error', (_n: string, err: KappaError) => errors.push(err))
  await kappa.ready()
  const w = await kappa.writer()
  await w.append([
    { doc: 'readme', rev: 'r1', body: 'v1' },
    { doc: 'readme', rev: 'r2', replaces: ['r1'], body: 'v2' },
    { garbage: true },
    { doc: 'readme', rev: '', body: 'empty id is skipped' },
    'a string',
    null
  ])
  await kappa.indexed()
  const heads = await kappa.api.docs.get('readme')
  t.deepEqual(heads.map((h) => [h.id, h.value, h.address]), [['r2', 'v2', { block: 0, index: 1 }]])
  t.equal(errors.length, 0, 'no view error for entries that are not kv docs')
  // an edit arriving before the one it replaces: order does not matter
  await w.append([{ doc: 'b', rev: 'b2', replaces: ['b1'], body: 'new' }, { doc: 'b', rev: 'b1', body: 'old' }])
  await kappa.indexed()
  t.deepEqual((await kappa.api.docs.get('b')).map((h) => h.value), ['new'], 'a doc already linked never becomes a head')
  await kappa.close()
})

test('onUpdate per key and for all keys; subscribe yields updates until break', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-kv-')).use('kv', kvView<number>()))
  const w = await kappa.writer()
  const forA: KvUpdate<number>[] = []
  const forAll: string[] = []
  const stopA = kappa.api.kv.onUpdate('a', (u) => forA.push(u))
  const stopAll = kappa.api.kv.onUpdate(null, (u) => forAll.push(u.key))
  const sub = kappa.api.kv.subscribe('b')
  await kappa.api.kv.put(w, 'a', 1)
  await kappa.api.kv.put(w, 'b', 2)
  await kappa.indexed()
  t.deepEqual(forA.map((u) => u.heads.map((h) => h.value)), [[1]], 'per-key listener saw the heads after the change')
  t.deepEqual(forAll.sort(), ['a', 'b'])
  const first = await sub.next()
  t.deepEqual(first.value?.heads.map((h) => h.value), [2], 'subscription got b')
  stopA()
  stopAll()
  await kappa.api.kv.put(w, 'a', 3)
  await kappa.api.kv.put(w, 'b', 4)
  await kappa.indexed()
  t.equal(forA.length, 1, 'stopped listener hears nothing more')
  t.equal(forAll.length, 2)
  const got: number[] = []
  for await (const u of sub) { // eslint-disable-line no-unreachable-loop -- the test is that break ends the subscription
    got.push(u.heads[0]?.value ?? -1)
    break
  }
  t.deepEqual(got, [4])
  t.ok(sub.closed, 'break ends the subscription')
  const live = kappa.api.kv.subscribe()
  const ended = live.next()
  await kappa.close()
  t.deepEqual(await ended, { value: undefined, done: true }, 'close ends live subscriptions')
})

test('the kv survives a restart and a version bump rebuilds it with the same result', async (t) => {
  const dir = tmpDir(t, 'kappa-kv-')
  let kappa = new Kappa(dir).use('kv', kvView<number>())
  await kappa.ready()
  const w = await kappa.writer()
  for (let i = 0; i < 20; i++) await kappa.api.kv.put(w, 'k' + (i % 5), i)
  await kappa.indexed()
  const before = await Promise.all(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => kappa.api.kv.get(k)))
  await kappa.close()
  kappa = new Kappa(dir).use('kv', kvView<number>({ version: 2 }))
  await kappa.indexed()
  const after = await Promise.all(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => kappa.api.kv.get(k)))
  t.deepEqual(after, before, 'rebuilt from the logs: same heads and values')
  t.deepEqual(before.map((h) => h.map((x: { value: number }) => x.value)), [[15], [16], [17], [18], [19]])
  await kappa.close()
})

test('a key or a link that is not well-formed text is skipped and recorded; the view goes on (a peer cannot stop it)', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-kv-')).use('kv', kvView<number>()))
  const w = await kappa.writer()
  const errors: unknown[] = []
  kappa.on('view-error', (_name: string, err: unknown) => errors.push(err))
  const skips: unknown[] = []
  kappa.on('skip', (_name: string, s: unknown) => skips.push(s))
  await w.append([
    { key: 'lone \ud800 surrogate', value: 1, links: [] },
    { key: 'fine', value: 2, links: ['link \udc00 broken'] },
    { key: 'fine', value: 3, links: [] }
  ])
  await w.append({ key: 'after', value: 4, links: [] })
  await kappa.indexed()
  t.deepEqual(errors, [], 'no view error')
  t.equal(kappa.status().kv?.state === 'error', false)
  t.deepEqual((await kappa.api.kv.get('fine')).map((h) => h.value), [3], 'the well-formed entry beside them is indexed')
  t.deepEqual((await kappa.api.kv.get('after')).map((h) => h.value), [4], 'and later ones')
  const skipped = await kappa.skipped('kv')
  t.deepEqual(skipped.map((s) => [s.block, s.index, s.code]), [[0, 0, 'ERR_NOT_INDEXABLE'], [0, 1, 'ERR_NOT_INDEXABLE']], 'both recorded, with feed and address')
  t.match(skipped[0]!.reason, /key is not well-formed/)
  t.match(skipped[1]!.reason, /link is not well-formed/)
  t.equal(skips.length, 2, "'skip' events")
  t.equal(kappa.status().kv?.skipped, 2, 'counted in status()')
  await kappa.close()
})

test('a map function that throws for one entry: the built-in default skips that entry and records why', async (t) => {
  const dir = tmpDir(t, 'kappa-kv-')
  const kappa = new Kappa(dir).use('kv', kvView<number>({
    map: (e: Entry<{ k: string; v: number }>) => {
      if (e.value.v === 13) throw new Error('unlucky')
      return { key: e.value.k, value: e.value.v }
    }
  }))
  await kappa.ready()
  const w = await kappa.writer()
  await w.append([{ k: 'a', v: 1 }, { k: 'b', v: 13 }, { k: 'c', v: 3 }])
  await kappa.indexed()
  t.deepEqual((await kappa.api.kv.get('c')).map((h) => h.value), [3])
  const [skip] = await kappa.skipped('kv')
  t.deepEqual(skip && [skip.index, skip.code], [1, 'ERR_MAP_THREW'])
  t.match(skip?.reason ?? '', /unlucky/)
  await kappa.close()
})

test('a custom id that names an unreadable block resolves to nothing: get() does not fail for the whole key', async (t) => {
  const dir = tmpDir(t, 'kappa-kv-')
  const kappa = new Kappa(dir).use('docs', kvView<string>({
    map: (e: Entry<{ doc: string; rev: string; body: string }>) => ({ key: e.value.doc, id: e.value.rev, value: e.value.body })
  }))
  await kappa.ready()
  const w = await kappa.writer()
  await w.feed.append(Buffer.from('not a packed block')) // block 0: unreadable
  // an id shaped like an entry id, naming that block
  await w.append({ doc: 'readme', rev: `${w.key}@0.0`, body: 'mischief' })
  await w.append({ doc: 'readme2', rev: 'r1', body: 'fine' })
  await kappa.indexed()
  t.deepEqual((await kappa.api.docs.get('readme')).map((h) => h.value), ['mischief'], 'found through the id table, not the unreadable block')
  t.deepEqual((await kappa.api.docs.get('readme2')).map((h) => h.value), ['fine'])
  await kappa.close()
})

test('a custom id claimed by entries of two peers: every peer resolves it to the same entry, whatever order they came in', async (t) => {
  const a = tmpDir(t, 'kappa-kv-')
  const b = tmpDir(t, 'kappa-kv-')
  const docs = () => kvView<string>({ map: (e: Entry<{ doc: string; rev: string; body: string }>) => ({ key: e.value.doc, id: e.value.rev, value: e.value.body }) })
  const ka = new Kappa(a).use('docs', docs())
  await ka.ready()
  const kb = new Kappa(b, { key: ka.key }).use('docs', docs())
  await kb.ready()
  // the same id for the same key, written on both peers before they meet
  await (await ka.writer()).append({ doc: 'readme', rev: 'r1', body: 'from a' })
  await (await kb.writer()).append({ doc: 'readme', rev: 'r1', body: 'from b' })
  await ka.indexed()
  await kb.indexed()
  t.deepEqual((await ka.api.docs.get('readme')).map((h) => h.value), ['from a'], 'alone, a sees its own')
  t.deepEqual((await kb.api.docs.get('readme')).map((h) => h.value), ['from b'], 'alone, b sees its own')
  const end = connect(ka, kb)
  await ka.synced()
  await kb.synced()
  // each indexed its own entry first and the other's second: the answer must not depend on that
  const atA = await ka.api.docs.get('readme')
  const atB = await kb.api.docs.get('readme')
  t.equal(atA.length, 1, 'one head: the id')
  t.deepEqual(atA, atB, `both peers resolve it to the same entry (${atA[0]?.value})`)
  end()
  await ka.close()
  await kb.close()
})
