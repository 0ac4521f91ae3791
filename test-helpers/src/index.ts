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
}

/**
 * A fresh temp folder, removed when the test `t` ends (whether it passed, failed or threw).
 * Corestore and LevelDB need a real disk, so tests that open storage take one of these.
 * `parent` defaults to the OS temp folder; a test that runs code which must resolve the
 * workspace's packages (a README example) makes its folder inside the monorepo instead.
 */
export function tmpDir (t: TestLike, prefix = 'kappa-test-', parent = os.tmpdir()): string {
  const { dir, cleanup } = makeTmpDir(prefix, parent)
  t.teardown(cleanup)
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
  t?.teardown(end)
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
