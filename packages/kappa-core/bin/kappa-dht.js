#!/usr/bin/env node
// The `kappa-dht` command. Committed, not built: npm links a workspace's bins before
// `prepare` compiles dist/, and skips a bin whose file does not exist yet.
import { existsSync } from 'node:fs'
const entry = new URL('../dist/src/bin/kappa-dht.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('kappa-dht is not built yet: run `npm install` (or `npx tsc -b`) at the root of the kappa-ts repository\n')
  process.exit(1)
}
await import(entry.href)
