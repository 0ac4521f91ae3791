// TypedResource is the one lifecycle and the one way events are typed across kappa-ts:
// a subclass declares its events once, and on/once/off/emit accept only those.
import test from 'tape'
import { Multifeed, TypedResource, type Feed, type FeedInfo } from '../src/index.js'
import { tmpDir } from '@kappa-ts/test-helpers'

interface CounterEvents {
  count: (n: number, label: string) => void
  ready: () => void
  close: () => void
}

class Counter extends TypedResource<CounterEvents> {
  opens = 0
  closes = 0
  protected override async _open (): Promise<void> { this.opens++ }
  protected override async _close (): Promise<void> { this.closes++ }
  bump (n: number): void { this.emit('count', n, 'bump') }
}

test('a TypedResource opens and closes once and delivers its typed events', async (t) => {
  const c = new Counter()
  const got: Array<[number, string]> = []
  const lifecycle: string[] = []
  c.on('count', (n, label) => { got.push([n, label]) })
  c.once('ready', () => lifecycle.push('ready'))
  c.once('close', () => lifecycle.push('close'))
  await Promise.all([c.ready(), c.ready()])
  t.ok(c.opened, 'opened after ready()')
  c.bump(3)
  const off = (n: number): void => { got.push([n, 'removed listener']) }
  c.on('count', off)
  c.off('count', off)
  c.bump(4)
  await Promise.all([c.close(), c.close()])
  t.ok(c.closed, 'closed after close()')
  t.deepEqual([c.opens, c.closes], [1, 1], '_open and _close ran once each')
  t.deepEqual(got, [[3, 'bump'], [4, 'bump']], 'listeners got typed arguments; off() removed one')
  t.deepEqual(lifecycle, ['ready', 'close'], 'ReadyResource emits ready and close')
})

// Compile-time contract, checked by `tsc -b` before the tests run (never called): each
// line below would compile if on/emit accepted any event name or any arguments.
export function typeChecks (c: Counter, mf: Multifeed): void {
  // @ts-expect-error: 'counted' is not an event of Counter
  c.on('counted', () => {})
  // @ts-expect-error: a count listener gets a number first, not a string
  c.on('count', (n: string) => { void n })
  // @ts-expect-error: emit checks the arguments
  c.emit('count', 'three', 'bump')
  // @ts-expect-error: 'feeds' is not an event of a Multifeed
  mf.on('feeds', () => {})
}

test('Multifeed is a TypedResource: its events are typed', async (t) => {
  const mf = new Multifeed(tmpDir(t, 'kappa-typed-'))
  t.ok(mf instanceof TypedResource, 'a Multifeed is a TypedResource')
  const seen: string[] = []
  mf.on('feed', (feed: Feed, info: FeedInfo) => { seen.push(`${info.name ?? '-'}:${feed.length}`) })
  await mf.ready()
  await mf.writer('me')
  t.deepEqual(seen, ['me:0'], 'the feed event came with the feed and its info')
  await mf.close()
})
