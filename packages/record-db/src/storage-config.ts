// The database's own file in its storage folder (record-db.json: key and mode),
// read so that "not there" and "cannot be read" are told apart: a folder we may
// not read is not an empty one (it gave "no database in ..." before).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { RecordDbError } from './errors.js'

export const CONFIG_FILE = 'record-db.json'

/** Version 2: `key` is the 128-hex database key (root feed key + secret). */
export interface StoredConfig { version: 2; key: string; mode: 'authorized' | 'open' }

/** The stored config of the database in `storage`, or null when there is none. Throws ERR_STORAGE when it cannot be read. */
export function readStoredConfig (storage: string): StoredConfig | null {
  const file = path.join(storage, CONFIG_FILE)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ENOTDIR') throw new RecordDbError('ERR_STORAGE', `${storage} is not a folder (ENOTDIR)`)
    if (code === 'EACCES' || code === 'EPERM') throw new RecordDbError('ERR_STORAGE', `cannot read ${storage}: permission denied (${code})`)
    throw new RecordDbError('ERR_STORAGE', `cannot read ${file}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new RecordDbError('ERR_STORAGE', `${file} is not valid JSON`)
  }
  const c = parsed as Partial<StoredConfig> | null
  if (c === null || typeof c !== 'object' || typeof c.key !== 'string' || (c.mode !== 'authorized' && c.mode !== 'open')) {
    throw new RecordDbError('ERR_STORAGE', `${file} does not describe a database (key, mode)`)
  }
  if (c.version !== 2) {
    throw new RecordDbError('ERR_STORAGE', `${storage} holds a database of an older layout (version ${String(c.version)}): ` +
      'this version reads version 2 (a 128-hex database key, packed log blocks) and does not migrate')
  }
  return c as StoredConfig
}
