// Writes the package's openapi.json from the route schemas (`npm run openapi -w packages/record-db`).
// The document does not depend on the database: the server is built around one never opened.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { RecordDB } from '../record-db.js'
import { buildServer } from './server.js'

export const OPENAPI_FILE = fileURLToPath(new URL('../../../openapi.json', import.meta.url))

/** The OpenAPI document the server serves at /api/openapi.json. */
export async function openApiDocument (): Promise<unknown> {
  const app = await buildServer(new RecordDB('unused-never-opened'), { token: 'x'.repeat(32) })
  try {
    await app.ready()
    return app.swagger()
  } finally {
    await app.close()
  }
}

export function formatDocument (doc: unknown): string {
  return JSON.stringify(doc, null, 2) + '\n'
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_FILE, formatDocument(await openApiDocument()))
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`)
}
