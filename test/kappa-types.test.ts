// The API types, checked by the compiler: this file is built by `tsc -b`, so
// every `@ts-expect-error` below must hit a real type error or the build fails.
import test from 'tape'
import { Kappa, type BoundApi, type View, type ViewContext } from '@kappa-ts/kappa-core'
import { kvView, type KvHead } from '@kappa-ts/view-kv'
import { listView, type ListItem } from '@kappa-ts/view-list'
import { closeAtEnd, tmpDir } from '@kappa-ts/test-helpers'

interface Profile { name: string }
interface Msg { time: number; text: string }

/** Compiles only if A and B are the same type. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false
function assertType<T extends true> (_: T): void {}

test('kappa.api is typed from the views: right calls compile, wrong ones do not', async (t) => {
  const kappa = closeAtEnd(t, new Kappa(tmpDir(t)))
    .use('kv', kvView<Profile>())
    .use('log', listView<Msg>({ map: (e) => e.value.time }))
  await kappa.ready()
  const w = await kappa.writer()

  // get is typed from the view: key string in, heads of Profile out
  assertType<Equal<typeof kappa.api.kv.get, (key: string) => Promise<KvHead<Profile>[]>>>(true)
  assertType<Equal<Awaited<ReturnType<typeof kappa.api.log.read>>, ListItem<Msg>[]>>(true)

  await kappa.api.kv.put(w, 'alice', { name: 'Alice' })
  await kappa.indexed()
  const heads = await kappa.api.kv.get('alice')
  const name: string | undefined = heads[0]?.value.name
  t.equal(name, 'Alice', 'the typed call works at run time')

  // @ts-expect-error get takes a string key
  void kappa.api.kv.get(42).catch(() => {})
  // @ts-expect-error the value must be a Profile
  void kappa.api.kv.put(w, 'bob', { nom: 'Bob' }).catch(() => {})
  // @ts-expect-error the ViewContext is bound away: not a parameter of the bound function
  void kappa.api.kv.get(kappa.context('kv'), 'alice').catch(() => {})
  // @ts-expect-error no view named 'nope'
  t.equal(kappa.api.nope, undefined, 'an unknown view is a type error (and undefined at run time)')
  // @ts-expect-error a read option of the wrong type
  void kappa.api.log.read({ limit: 'ten' }).catch(() => {})
  // @ts-expect-error heads hold Profiles, not numbers
  const wrong: number | undefined = heads[0]?.value
  void wrong

  // a hand-written view: api functions take the ViewContext first, which kappa binds away
  const counter = {
    map () {},
    api: { hello (_ctx: ViewContext, who: string): string { return 'hello ' + who } }
  } satisfies View<{ hello: (ctx: ViewContext, who: string) => string }>
  const k2 = kappa.use('greeter', counter)
  assertType<Equal<typeof k2.api.greeter, BoundApi<typeof counter.api>>>(true)
  t.equal(k2.api.greeter.hello('you'), 'hello you')
  // @ts-expect-error hello takes a string
  t.throws(() => { const r: number = k2.api.greeter.hello('x'); if (typeof r !== 'number') throw new Error('not a number') })

  // views given to the constructor are typed the same way
  const k3 = new Kappa(tmpDir(t), { views: { kv: kvView<Profile>() } })
  assertType<Equal<typeof k3.api.kv.get, (key: string) => Promise<KvHead<Profile>[]>>>(true)
  await k3.close()
})
