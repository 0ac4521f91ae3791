// The chapter list, in reading order. The test runs each chapter's compiled
// solution and compares what it prints with the README's "Expected output".
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Chapter {
  /** folder name, e.g. '01-log' */
  dir: string
  /** the README's first heading */
  title: string
  /** absolute path of the README */
  readme: string
  /** absolute path of the compiled solution */
  solution: string
  /** absolute path of the starter's source (where a reader writes the exercise) */
  starterSource: string
  /** absolute path of the compiled starter */
  starter: string
}

/** The package root (workshop/chapters), from dist/src/index.js. */
export const chaptersRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Every chapter folder `NN-name/` with a README.md, sorted by number. */
export function listChapters (root: string = chaptersRoot): Chapter[] {
  return fs.readdirSync(root)
    .filter((name) => /^\d\d-[a-z0-9-]+$/.test(name) && fs.existsSync(path.join(root, name, 'README.md')))
    .sort()
    .map((dir) => {
      const readme = path.join(root, dir, 'README.md')
      const heading = /^#\s+(.+)$/m.exec(fs.readFileSync(readme, 'utf8'))
      return {
        dir,
        title: heading ? heading[1]!.trim() : dir,
        readme,
        solution: path.join(root, 'dist', dir, 'solution.js'),
        starterSource: path.join(root, dir, 'starter.ts'),
        starter: path.join(root, 'dist', dir, 'starter.js')
      }
    })
}

/**
 * The lines of the first ```text block after the "## Expected output" heading.
 * A line may contain `<any>`, which matches any text (for values that differ per run).
 */
export function expectedOutput (readmeText: string): string[] | null {
  const m = /^## Expected output\s*\n+```text\n([\s\S]*?)\n```/m.exec(readmeText)
  return m ? m[1]!.split('\n') : null
}

/** Does an actual output line match an expected line (with `<any>` wildcards)? */
export function lineMatches (expected: string, actual: string): boolean {
  if (!expected.includes('<any>')) return expected === actual
  const pattern = expected.split('<any>').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${pattern}$`).test(actual)
}
