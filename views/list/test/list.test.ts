import test from 'tape'
import { Kappa, type Entry } from '@kappa-ts/kappa-core'
import { packBlocks, entrySize } from '@kappa-ts/multifeed'
import { listView, type ListItem, type SortKey } from '../src/index.js'
import { opened, tmpDir } from '@kappa-ts/test-helpers'

interface Msg { time: number; text: string; channel?: string }
const byTime = (): ReturnType<typeof listView<Msg>> => listView<Msg>({ map: (e: Entry<Msg>) => (typeof e.value?.time === 'number' ? e.value.time : null) })
const texts = (items: ListItem<Msg>[]): string[] => items.map((i) => i.value.text)

test('entries come out sorted by key; equal keys never overwrite, ties by feed then address', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('log', byTime()))
  const a = await kappa.writer('a')
  const b = await kappa.writer('b')
  await a.append([{ time: 3, text: 'a3' }, { time: 1, text: 'a1' }, { time: 2, text: 'a2-first' }, { time: 2, text: 'a2-second' }])
  await b.append([{ time: 2, text: 'b2' }, { time: -5, text: 'b-5' }, { time: 10, text: 'b10' }])
  await a.append({ text: 'no time' } as unknown as Msg)
  await kappa.indexed()
  const all = await kappa.api.log.read()
  const [first, second] = [a.key, b.key].sort()
  const at2 = first === a.key ? ['a2-first', 'a2-second', 'b2'] : ['b2', 'a2-first', 'a2-second']
  t.deepEqual(texts(all), ['b-5', 'a1', ...at2, 'a3', 'b10'], 'numeric order incl. negatives; three entries at time 2 all kept')
  t.ok(second !== undefined)
  t.deepEqual(all.map((i) => i.sortKey), [-5, 1, 2, 2, 2, 3, 10])
  const a1 = all.find((i) => i.value.text === 'a1')
  t.deepEqual(a1 && { key: a1.key, address: a1.address }, { key: a.key, address: { block: 0, index: 1 } }, 'items carry feed and address')
  await kappa.close()
})

test('read ranges: gt/gte/lt/lte, limit, reverse', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('log', byTime()))
  const w = await kappa.writer()
  await w.append(Array.from({ length: 10 }, (_, i) => ({ time: i, text: 't' + i })))
  await kappa.indexed()
  const api = kappa.api.log
  t.deepEqual(texts(await api.read({ gte: 3, lt: 6 })), ['t3', 't4', 't5'])
  t.deepEqual(texts(await api.read({ gt: 3, lte: 6 })), ['t4', 't5', 't6'])
  t.deepEqual(texts(await api.read({ gt: 2.5, lt: 4.5 })), ['t3', 't4'], 'bounds need not be present keys')
  t.deepEqual(texts(await api.read({ limit: 2 })), ['t0', 't1'])
  t.deepEqual(texts(await api.read({ reverse: true, limit: 3 })), ['t9', 't8', 't7'])
  t.deepEqual(texts(await api.read({ lt: 5, reverse: true, limit: 2 })), ['t4', 't3'])
  t.deepEqual(await api.read({ gt: 100 }), [])
  await kappa.close()
})

test('tail(n): the last n in order, then each new item; break stops it', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('log', byTime()))
  const w = await kappa.writer()
  await w.append(Array.from({ length: 5 }, (_, i) => ({ time: i, text: 't' + i })))
  await kappa.indexed()
  const tail = kappa.api.log.tail(2)
  const got: string[] = []
  let appended = false
  for await (const item of tail) {
    got.push(item.value.text)
    if (got.length === 2 && !appended) {
      appended = true
      await w.append([{ time: 7, text: 't7' }, { time: 6, text: 't6' }])
    }
    if (got.length === 4) break
  }
  t.deepEqual(got, ['t3', 't4', 't6', 't7'], 'last two, then the new batch in sort order')
  t.ok(tail.closed)
  await w.append({ time: 8, text: 't8' })
  await kappa.indexed()
  t.equal(tail.buffered, 0, 'a stopped tail buffers nothing more')
  await kappa.close()
})

test('tail(n) started while entries are being indexed yields each item exactly once', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('log', listView<Msg>({ map: (e: Entry<Msg>) => e.value.time, maxBatch: 7 })))
  const w = await kappa.writer()
  const appending = w.append(Array.from({ length: 200 }, (_, i) => ({ time: i, text: 't' + i })))
  const tail = kappa.api.log.tail(1000)
  await appending
  await kappa.indexed()
  const got: number[] = []
  for await (const item of tail) {
    got.push(item.sortKey as number)
    if (got.length === 200) break
  }
  t.equal(new Set(got).size, 200, 'no item twice, none missing')
  await kappa.close()
})

test('several lists per kappa: one per channel under its own name; subscribe and onInsert', async (t) => {
  const channel = (name: string): ReturnType<typeof listView<Msg>> =>
    listView<Msg>({ map: (e: Entry<Msg>) => e.value.time, filter: (e: Entry<Msg>) => e.value.channel === name })
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('general', channel('general')).use('random', channel('random')))
  const sub = kappa.api.random.subscribe()
  const inserted: string[] = []
  const stop = kappa.api.general.onInsert((items) => inserted.push(...texts(items)))
  const w = await kappa.writer()
  await w.append([
    { time: 1, text: 'hello', channel: 'general' },
    { time: 2, text: 'lol', channel: 'random' },
    { time: 3, text: 'bye', channel: 'general' }
  ])
  await kappa.indexed()
  t.deepEqual(texts(await kappa.api.general.read()), ['hello', 'bye'])
  t.deepEqual(texts(await kappa.api.random.read()), ['lol'])
  t.deepEqual(inserted, ['hello', 'bye'])
  t.equal((await sub.next()).value?.value.text, 'lol')
  stop()
  sub.close()
  await kappa.close()
})

test('string sort keys and several keys per entry', async (t) => {
  interface Tagged { tags: string[]; text: string }
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('tags', listView<Tagged>({ map: (e: Entry<Tagged>) => e.value.tags })))
  const w = await kappa.writer()
  await w.append([{ tags: ['zebra', 'apple'], text: 'one' }, { tags: ['mango'], text: 'two' }, { tags: [], text: 'none' }])
  await kappa.indexed()
  const all = await kappa.api.tags.read()
  t.deepEqual(all.map((i) => [i.sortKey, i.value.text]), [['apple', 'one'], ['mango', 'two'], ['zebra', 'one']])
  t.deepEqual((await kappa.api.tags.read({ gte: 'b', lt: 'n' })).map((i) => i.sortKey), ['mango'])
  await kappa.close()
})

test('a value nested too deep (as a peer can write it) and a bad sort key are skipped and recorded; the list goes on', async (t) => {
  const kappa = await opened(t, new Kappa(tmpDir(t, 'kappa-list-')).use('log', byTime()).use('any', listView<unknown>({ map: (e: Entry<unknown>) => ((e.value as { k?: SortKeyLike }).k ?? null) as SortKey | null })))
  const w = await kappa.writer()
  await w.append([{ time: 1, text: 'one' }, { k: 'bad \ud800' }, { k: true }])
  // written around the writer (which refuses it): 10,000 levels of JSON in a block of its own
  const deep = '{"time":2,"text":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}'
  await w.feed.append(packBlocks([deep], [entrySize(deep)], 3, Infinity)[0]!.block)
  await w.append({ time: 3, text: 'three' })
  await kappa.indexed()
  t.deepEqual(texts(await kappa.api.log.read()), ['one', 'three'], 'the list holds what it could index')
  const log = await kappa.skipped('log')
  t.deepEqual(log.map((s) => [s.block, s.index, s.code]), [[1, 0, 'ERR_ENTRY_DECODE']], 'the deep value: skipped when read, by every view')
  t.match(log[0]!.reason, /deeper than 100/)
  const any = await kappa.skipped('any')
  t.deepEqual(any.map((s) => [s.block, s.index, s.code]), [[0, 1, 'ERR_NOT_INDEXABLE'], [0, 2, 'ERR_NOT_INDEXABLE'], [1, 0, 'ERR_ENTRY_DECODE']], 'bad sort keys: skipped by the list that met them')
  t.match(any[1]!.reason, /sort key is boolean/)
  t.equal(Object.values(kappa.status()).every((s) => s.error === null), true, 'no view in error')
  await kappa.close()
})

type SortKeyLike = string | number | boolean
