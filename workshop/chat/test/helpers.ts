// Helpers for the chat's process tests: kappa-chat --headless children (reading their JSON lines
// and waiting for one: test-helpers' LineProcess), free loopback ports, temp folders (test-helpers' tmpDir
// with the chat's prefix: removed when the test ends).
import dgram from 'node:dgram'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { eventually, LineProcess, tmpDir as sharedTmpDir, type TestLike } from '@kappa-ts/test-helpers'

export const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))
const WAIT_MS = 45_000

export type Msg = Record<string, any> & { type: string }

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

/** A kappa-chat --headless child: its JSON lines, `wait`, `ask` (test-helpers' LineProcess). */
export class Headless extends LineProcess<Msg> {
  constructor (label: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    super(label, spawn(process.execPath, [BIN, '--headless', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, KAPPA_BOOTSTRAP: '', ...env }
    }), { waitMs: WAIT_MS })
  }
}

/** Resolves when `cond()` is true, checking every `ms` (for things with no event: a tmux screen). */
export function poll (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = WAIT_MS, ms = 100): Promise<void> {
  return eventually(cond, what, { timeoutMs, intervalMs: ms })
}
