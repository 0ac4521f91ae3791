// The commands the READMEs show (`npx kappa-db`, `npx kappa-chat`, `npx kappa-dht`) work
// after ONE `npm install` (or `npm ci`) on a fresh clone. npm links a workspace's bins
// before `prepare` builds dist/ and skips a bin whose file is missing, so each bin must be
// a committed launcher, not a file under dist/.
import test from 'tape'
import { tmpDir } from '@kappa-ts/test-helpers'
import fs from 'node:fs'
import path from 'node:path'
import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const BINS = [
  { name: 'kappa-db', pkg: 'packages/record-db', help: /Usage: kappa-db/ },
  { name: 'kappa-dht', pkg: 'packages/swarm', help: /usage: kappa-dht/ },
  { name: 'kappa-chat', pkg: 'workshop/chat', help: /Usage: kappa-chat/ }
]

function tracked (file: string): boolean {
  try {
    execFileSync('git', ['ls-files', '--error-unmatch', file], { cwd: root, stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function npx (args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['--no-install', ...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

for (const bin of BINS) {
  test(`${bin.name}: a committed launcher, linked by npm install, runs with npx from the root`, async (t) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, bin.pkg, 'package.json'), 'utf8')) as { bin?: Record<string, string>; files?: string[] }
    const target = pkg.bin?.[bin.name]
    t.ok(target, `${bin.pkg}/package.json declares the ${bin.name} bin`)
    if (target === undefined) return
    const file = path.join(bin.pkg, target)
    t.notOk(/(^|\/)dist\//.test(path.normalize(target)), `the bin (${target}) is not a build output`)
    t.ok(tracked(file), `${file} is committed, so it exists when npm links bins (before prepare builds dist/)`)
    t.ok(pkg.files?.some((f) => path.normalize(target).startsWith(path.normalize(f))), 'the launcher is in the package files')

    const link = path.join(root, 'node_modules', '.bin', bin.name)
    t.ok(fs.existsSync(link), `node_modules/.bin/${bin.name} exists`)
    if (fs.existsSync(link)) t.equal(fs.realpathSync(link), fs.realpathSync(path.join(root, file)), 'and points at the launcher')

    const r = await npx([bin.name, '--help'])
    t.equal(r.code, 0, `npx ${bin.name} --help exits 0`)
    t.match(r.stdout, bin.help, 'and prints the usage')
  })
}

test('a launcher without a build says what to run, instead of a stack trace', (t) => {
  // A copy of each package's bin/ in a folder without dist/, inside the repository (so
  // @kappa-ts/kappa-core/launch resolves as it does for the real launchers).
  const dir = tmpDir(t, 'bin-', path.join(root, 'test', 'dist'))
  for (const bin of BINS) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, bin.pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    const copy = path.join(dir, bin.name, pkg.bin[bin.name] as string)
    fs.cpSync(path.join(root, bin.pkg, 'bin'), path.dirname(copy), { recursive: true })
    fs.writeFileSync(path.join(dir, bin.name, 'package.json'), '{"type":"module"}')
    let code = 0
    let stderr = ''
    try {
      execFileSync(process.execPath, [copy, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      code = (err as { status: number }).status
      stderr = String((err as { stderr: Buffer }).stderr)
    }
    t.equal(code, 1, `${bin.name} exits 1 when dist/ is missing`)
    t.match(stderr, new RegExp(`^${bin.name} is not built yet: run \`npm install\``), `${bin.name} says to run npm install`)
  }
  t.end()
})

test('every shell block of every README runs these commands the way that works: through npx', (t) => {
  const files = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f !== '')
  const bare: string[] = []
  let checked = 0
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8')
    for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
      for (const line of block[1]!.split('\n')) {
        // a command position: line start, after ; && || | ( or $(
        for (const m of line.matchAll(/(^|[;&|(]\s*|\$\()\s*(kappa-db|kappa-chat|kappa-dht)\b/g)) {
          checked++
          const before = line.slice(0, (m.index ?? 0) + m[0].length - m[2]!.length)
          if (!/npx\s+$/.test(before)) bare.push(`${file}: ${line.trim()}`)
        }
        checked += [...line.matchAll(/npx\s+(kappa-db|kappa-chat|kappa-dht)\b/g)].length
      }
    }
  }
  t.ok(checked > 10, `${checked} command lines found in the READMEs' shell blocks`)
  t.deepEqual(bare, [], 'none calls kappa-db, kappa-chat or kappa-dht without npx (not on PATH after npm install)')
  t.end()
})
