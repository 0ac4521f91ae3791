// What the packages' tape tests share: temp folders that tape removes when the test ends,
// waiting for a condition, and two peers replicating over an in-process stream pair.
// Depends on nothing of ours, so every package's tests can use it (as a devDependency).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'

/** The part of a tape test the helpers use: `t.teardown` runs when the test ends, passed or failed. */
export interface TestLike {
  teardown (fn: () => void | Promise<void>): void
  /** Where a failing `defer`red step is reported (tape's `t.fail`). */
  fail? (message: string): void
}

const deferred = new WeakMap<TestLike, Array<() => unknown>>()

/**
 * Runs `fn` when the test `t` ends (passed, failed or threw), after the test body, in the
 * reverse order of registration: what was opened last closes first, so a database closes
 * before the folder it lives in (`tmpDir`) is removed. tape's own `t.teardown` runs in
 * registration order and hangs on a rejected promise; here a step that throws or rejects
 * is reported with `t.fail` and the remaining steps still run. Closing twice must be
 * harmless (it is for Multifeed, Kappa, Level...), since a test may close early itself.
 */
export function defer (t: TestLike, fn: () => unknown): void {
  let steps = deferred.get(t)
  if (steps === undefined) {
    const list: Array<() => unknown> = []
    steps = list
    deferred.set(t, list)
    t.teardown(async () => {
      while (list.length > 0) {
        const step = list.pop()!
        try {
          await step()
        } catch (err) {
          if (t.fail !== undefined) t.fail(`teardown: ${(err as Error)?.message ?? String(err)}`)
          else console.error('teardown failed:', err)
        }
      }
    })
  }
  steps.push(fn)
}

/** `defer`s `resource.close()` and returns the resource: `const kappa = closeAtEnd(t, new Kappa(...))`. */
export function closeAtEnd<R extends { close (): unknown }> (t: TestLike, resource: R): R {
  defer(t, () => resource.close())
  return resource
}

/** `closeAtEnd`, then waits for `resource.ready()`: `const kappa = await opened(t, new Kappa(dir))`. */
export async function opened<R extends { ready (): unknown; close (): unknown }> (t: TestLike, resource: R): Promise<R> {
  closeAtEnd(t, resource)
  await resource.ready()
  return resource
}

/**
 * A fresh temp folder, removed when the test `t` ends (whether it passed, failed or threw),
 * after whatever was `defer`red later (what lives in the folder closes first).
 * Corestore and LevelDB need a real disk, so tests that open storage take one of these.
 * `parent` defaults to the OS temp folder; a test that runs code which must resolve the
 * workspace's packages (a README example) makes its folder inside the monorepo instead.
 */
export function tmpDir (t: TestLike, prefix = 'kappa-test-', parent = os.tmpdir()): string {
  const { dir, cleanup } = makeTmpDir(prefix, parent)
  defer(t, cleanup)
  return dir
}

/**
 * A fresh temp folder and the function that removes it, for a folder whose life is not one
 * tape test's (each run of a property test, a folder shared by several tests).
 */
export function makeTmpDir (prefix = 'kappa-test-', parent = os.tmpdir()): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(parent, prefix))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

export interface EventuallyOptions {
  /** A safety net, so a broken test fails with `what` instead of hanging the run. Default 20 s. */
  timeoutMs?: number
  /** How often `check` is asked. Default 25 ms. */
  intervalMs?: number
}

/**
 * Resolves once `check()` returns true, asking again every `intervalMs`; rejects naming `what`
 * after `timeoutMs`. For state that has no single event to await (replication between peers);
 * where there is an event, await the event instead.
 */
export async function eventually (check: () => boolean | Promise<boolean>, what: string, opts: EventuallyOptions = {}): Promise<void> {
  const { timeoutMs = 20_000, intervalMs = 25 } = opts
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/**
 * Two peers of one app, each in a temp folder of its own: `open(dir)` makes the first, then
 * `open(dir, first)` the second (which takes the first's key from it). Both are closed when
 * the test ends (the second first), then their folders removed. Not connected: see `connect`.
 */
export async function openPair<P extends { close (): unknown }> (
  t: TestLike,
  open: (dir: string, first?: P) => P | Promise<P>,
  prefix = 'kappa-peer-'
): Promise<[P, P]> {
  const a = closeAtEnd(t, await open(tmpDir(t, prefix)))
  const b = closeAtEnd(t, await open(tmpDir(t, prefix), a))
  return [a, b]
}

/** Anything with a replication stream: a Multifeed, a Kappa, a RecordDB. */
export interface Replicable {
  replicate (initiator: boolean): unknown
}

/**
 * Pipes `a`'s (initiator) and `b`'s replication streams into each other and returns the function
 * that ends both. Stream errors are swallowed: ending a connection errors the other side. Given a
 * test `t`, the connection also ends when the test ends.
 */
export function connect (a: Replicable, b: Replicable, t?: TestLike): () => void {
  const sa = a.replicate(true) as Duplex
  const sb = b.replicate(false) as Duplex
  sa.pipe(sb).pipe(sa)
  sa.on('error', () => {})
  sb.on('error', () => {})
  const end = (): void => { sa.destroy(); sb.destroy() }
  if (t !== undefined) defer(t, end)
  return end
}

/**
 * Runs `node script ...args` (stderr inherited), kills it with SIGKILL as soon as its stdout
 * holds `marker`, and resolves with all it printed: a crash test's child that works, says so,
 * and dies without closing anything.
 */
export function killWhenPrinted (script: string, args: string[], marker = 'done\n'): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    proc.stdout.on('data', (d: Buffer) => {
      text += d.toString()
      if (text.includes(marker)) proc.kill('SIGKILL')
    })
    proc.on('error', reject)
    proc.on('exit', () => resolve(text))
  })
}

/** What a typed-events test saw: the first description recorded per event, and a wait for one. */
export interface FirstEvents<E extends string> {
  /** The first `what` recorded per event. */
  readonly got: Map<E, string>
  /** Records `what` for `event` unless one is recorded already (the first call counts). */
  record (event: E, what: string): void
  /** Resolves once something is recorded for `event` (at once if it is already). */
  seen (event: E): Promise<void>
}

/**
 * For tests of typed events: each listener describes its (typed) arguments as a string, the first
 * description per event is kept, and the test awaits the events it provokes, then compares.
 */
export function firstEvents<E extends string> (): FirstEvents<E> {
  const got = new Map<E, string>()
  const waiters = new Map<E, Array<() => void>>()
  return {
    got,
    record (event, what) {
      if (got.has(event)) return
      got.set(event, what)
      for (const resolve of waiters.get(event)?.splice(0) ?? []) resolve()
    },
    seen (event) {
      if (got.has(event)) return Promise.resolve()
      return new Promise((resolve) => {
        const list = waiters.get(event) ?? []
        list.push(resolve)
        waiters.set(event, list)
      })
    }
  }
}

/** Anything that emits events and lets a listener go: an EventEmitter, a Kappa, a MultifeedIndex. */
export interface EmitterLike {
  on (event: string, fn: () => void): unknown
  off (event: string, fn: () => void): unknown
}

/**
 * Resolves once `cond()` holds, checking now and again whenever `emitter` (or any of several)
 * emits one of `events` (a Kappa's 'indexed', an index's 'batch'): waits on the event that changes the state instead
 * of polling. Checks never overlap; an event during a check causes one more check. Rejects if
 * `cond` throws, and (naming `what`) after `timeoutMs` (default 30 s) so a broken test fails
 * instead of hanging.
 */
export function untilEvent (
  emitter: EmitterLike | EmitterLike[],
  events: string | string[],
  cond: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 30_000
): Promise<void> {
  const names = typeof events === 'string' ? [events] : events
  const emitters = Array.isArray(emitter) ? emitter : [emitter]
  return new Promise((resolve, reject) => {
    let done = false
    let checking = false
    let again = false
    const finish = (err?: unknown): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      for (const e of emitters) for (const name of names) e.off(name, onEvent)
      if (err === undefined) resolve()
      else reject(err)
    }
    const check = async (): Promise<void> => {
      if (checking) { again = true; return }
      checking = true
      try {
        do {
          again = false
          if (await cond()) { finish(); return }
        } while (again)
      } catch (err) {
        finish(err ?? new Error('untilEvent: the check threw'))
      } finally {
        checking = false
      }
    }
    const onEvent = (): void => { if (!done) void check() }
    const timer = setTimeout(() => finish(new Error(`timed out waiting for: ${what}`)), timeoutMs)
    for (const e of emitters) for (const name of names) e.on(name, onEvent)
    void check()
  })
}
