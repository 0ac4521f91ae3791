// Helpers for the chat's process tests: spawn kappa-chat, read its JSON lines,
// wait for a line matching a predicate, free loopback ports, temp folders (test-helpers' tmpDir
// with the chat's prefix: removed when the test ends).
import dgram from 'node:dgram'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { eventually, tmpDir as sharedTmpDir, type TestLike } from '@kappa-ts/test-helpers'

export const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))
const WAIT_MS = 45_000

export type Msg = Record<string, any> & { type: string }

const children = new Set<ChildProcess>()
process.once('exit', () => { for (const c of children) c.kill('SIGKILL') })

export function tmpDir (t: TestLike, prefix = 'kappa-chat-'): string {
  return sharedTmpDir(t, prefix)
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    s.once('error', reject)
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** A kappa-chat --headless child. */
export class Headless {
  readonly messages: Msg[] = []
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  stderr = ''
  private readonly waiters = new Set<() => void>()

  constructor (readonly label: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, '--headless', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, KAPPA_BOOTSTRAP: '', ...env }
    })
    children.add(this.child)
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let msg: Msg
      try { msg = JSON.parse(line) as Msg } catch { msg = { type: 'line', text: line } }
      if (process.env.KAPPA_TEST_DEBUG) process.stderr.write(`# ${label}: ${line.slice(0, 200)}\n`)
      this.messages.push(msg)
      for (const w of [...this.waiters]) w()
    })
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d })
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      children.delete(this.child)
      for (const w of [...this.waiters]) w()
      resolve(code)
    }))
  }

  /** The first message from index `from` on (past or future) matching `pred`. */
  wait (pred: (m: Msg) => boolean, what: string, from = 0): Promise<Msg> {
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
      const timer = setTimeout(() => { done(); reject(new Error(`${this.label}: timed out waiting for ${what}`)) }, WAIT_MS)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  send (line: string): void { this.child.stdin!.write(line + '\n') }

  /** Sends a line and waits for the reply of `type` that follows it. */
  async ask (line: string, type: string): Promise<Msg> {
    const from = this.messages.length
    this.send(line)
    return this.wait((m) => m.type === type, `${type} after ${line}`, from)
  }

  kill (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

/** Resolves when `cond()` is true, checking every `ms` (for things with no event: a tmux screen). */
export function poll (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = WAIT_MS, ms = 100): Promise<void> {
  return eventually(cond, what, { timeoutMs, intervalMs: ms })
}
