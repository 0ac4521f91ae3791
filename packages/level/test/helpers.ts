import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A fresh temp folder and a function that removes it. */
export function tmpdir (prefix = 'kappa-level-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
