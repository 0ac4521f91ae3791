// Runs a command's built entry, or says what to run when it is not built yet. Shared by the
// command launchers of kappa-ts (kappa-dht here, kappa-db, kappa-chat). They are committed
// files, not build output: npm links a workspace's bins before `prepare` compiles dist/, and
// skips a bin whose file does not exist yet.
import { existsSync } from 'node:fs'

/** @param {string} name the command @param {URL} entry its compiled entry point */
export async function launch (name, entry) {
  if (!existsSync(entry)) {
    process.stderr.write(`${name} is not built yet: run \`npm install\` (or \`npx tsc -b\`) at the root of the kappa-ts repository\n`)
    process.exit(1)
  }
  await import(entry.href)
}
