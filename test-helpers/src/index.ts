// What the packages' tape tests share: temp folders that tape removes when the test ends,
// waiting for a condition, and two peers replicating over an in-process stream pair.
// Depends on nothing of ours, so every package's tests can use it (as a devDependency).
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
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

/** Anything whose listeners can be added and removed with their arguments: an EventEmitter, a KappaSwarm. */
export interface ArgsEmitterLike {
  on (event: string, fn: (...args: unknown[]) => void): unknown
  off (event: string, fn: (...args: unknown[]) => void): unknown
}

/**
 * Resolves with the arguments of the next `event` whose arguments satisfy `pred` (any, by
 * default): `const [peer] = await nextEvent<[PeerStatus]>(swarm, 'peer-add')`. Listen before
 * provoking the event (call first, await later). Rejects (naming `what`) after `timeoutMs`
 * (default 30 s), so a broken test fails instead of hanging.
 */
export function nextEvent<A extends unknown[] = unknown[]> (
  emitter: ArgsEmitterLike,
  event: string,
  pred: (...args: A) => boolean = () => true,
  what: string = event,
  timeoutMs = 30_000
): Promise<A> {
  return new Promise((resolve, reject) => {
    const on = (...args: unknown[]): void => {
      let ok: boolean
      try {
        ok = pred(...(args as A))
      } catch (err) {
        finish(); reject(err); return
      }
      if (ok) { finish(); resolve(args as A) }
    }
    const finish = (): void => { clearTimeout(timer); emitter.off(event, on) }
    const timer = setTimeout(() => { finish(); reject(new Error(`timed out waiting for: ${what}`)) }, timeoutMs)
    emitter.on(event, on)
  })
}

/** One line a `LineProcess` printed: its JSON, or `{ type: 'line', text }` for a line that is not JSON. */
export interface PrintedLine { type: string }

export interface LineProcessOptions<M extends PrintedLine = PrintedLine> {
  /** How long `wait` waits before it rejects. Default 45 s (a child under load on a shared machine). */
  waitMs?: number
  /** With KAPPA_TEST_DEBUG set, each line is echoed to stderr, but not those of these types (noisy ones). */
  quietTypes?: string[]
  /** Called with each message as it arrives, before a `wait` sees it (to echo a child's fatal error at once). */
  onMessage?: (msg: M) => void
}

const liveChildren = new Set<ChildProcess>()
let killOnExit = false

/**
 * A child process that speaks JSON lines on stdout (a peer script, the chat's --headless mode):
 * every line is kept in `messages`, `wait` finds the first (past or future) that matches, `ask`
 * sends a line and waits for a reply of a type. A child still running when this process exits
 * is SIGKILLed, so a failing test leaves none behind; a test also `kill`s its children itself.
 */
export class LineProcess<M extends PrintedLine = PrintedLine & Record<string, unknown>> {
  readonly messages: M[] = []
  /** What the child wrote to stderr (quoted when it exits while a `wait` is pending). */
  stderr = ''
  /** How the child ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly waiters = new Set<() => void>()
  private readonly waitMs: number

  constructor (readonly label: string, readonly child: ChildProcess, opts: LineProcessOptions<M> = {}) {
    this.waitMs = opts.waitMs ?? 45_000
    const quiet = new Set(opts.quietTypes ?? [])
    liveChildren.add(child)
    if (!killOnExit) {
      killOnExit = true
      process.once('exit', () => { for (const c of liveChildren) c.kill('SIGKILL') })
    }
    if (child.stdout === null || child.stderr === null) throw new TypeError('LineProcess: spawn the child with stdout and stderr piped')
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: M
      try { msg = JSON.parse(line) as M } catch { msg = { type: 'line', text: line } as unknown as M }
      if (process.env.KAPPA_TEST_DEBUG !== undefined && !quiet.has(msg.type)) process.stderr.write(`# ${label}: ${line.slice(0, 200)}\n`)
      opts.onMessage?.(msg)
      this.messages.push(msg)
      this.wake()
    })
    child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      liveChildren.delete(child)
      this.wake()
      resolve({ code, signal })
    }))
  }

  private wake (): void {
    for (const w of [...this.waiters]) w()
  }

  /**
   * The first message from index `from` on (already printed or still to come) that matches
   * `pred`. Rejects, naming `what`, if the child exits first (quoting its stderr) or after `waitMs`.
   */
  wait (pred: (m: M) => boolean, what: string, from = 0): Promise<M> {
    return new Promise((resolve, reject) => {
      let i = from
      const check = (): void => {
        for (; i < this.messages.length; i++) {
          const m = this.messages[i]!
          if (pred(m)) { done(); resolve(m); return }
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done()
          reject(new Error(`${this.label} exited while waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`))
        }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`${this.label}: timed out waiting for ${what}`)) }, this.waitMs)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  /** Writes one line to the child's stdin: a string as is, an object as JSON. */
  send (line: string | Record<string, unknown>): void {
    if (this.child.stdin === null) throw new TypeError(`${this.label}: spawned without a stdin pipe`)
    this.child.stdin.write((typeof line === 'string' ? line : JSON.stringify(line)) + '\n')
  }

  /** Sends `line`, then waits for the first message of `type` printed after it. */
  ask (line: string | Record<string, unknown>, type: string): Promise<M> {
    const from = this.messages.length
    this.send(line)
    return this.wait((m) => m.type === type, `${type} after ${typeof line === 'string' ? line : JSON.stringify(line)}`, from)
  }

  /** Kills the child (SIGKILL unless told) if it is still running. */
  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}
