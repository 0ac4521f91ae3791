import { UmkvError } from './errors.js'

/** A doc replaces the docs (of the same key) whose ids it lists in `links`. */
export interface Doc {
  id: string
  key: string
  links: string[]
}

// A lone surrogate cannot round-trip through UTF-8 storage, so two different strings could map to
// the same stored key; rejecting them keeps the key layout injective.
// (String#isWellFormed is Node 20's native check; ES2022 typings do not declare it.)
type MaybeWellFormed = string & { isWellFormed?: () => boolean }
const LONE_SURROGATE = /\p{Cs}/u

function isCleanString (value: unknown): value is string {
  if (typeof value !== 'string') return false
  const check = (value as MaybeWellFormed).isWellFormed
  return check !== undefined ? check.call(value) : !LONE_SURROGATE.test(value)
}

/** Throws UmkvError ERR_INVALID_DOC for the first malformed doc; checks all before anything is written. */
export function validateDocs (docs: unknown): asserts docs is Doc[] {
  if (!Array.isArray(docs)) throw new UmkvError('ERR_INVALID_DOC', 'docs must be an array')
  for (let i = 0; i < docs.length; i++) {
    const doc: unknown = docs[i]
    if (doc === null || typeof doc !== 'object') {
      throw new UmkvError('ERR_INVALID_DOC', `doc ${i} is not an object`, i)
    }
    const { id, key, links } = doc as Record<string, unknown>
    if (!isCleanString(id) || id.length === 0) {
      throw new UmkvError('ERR_INVALID_DOC', `doc ${i}: id must be a non-empty well-formed string`, i)
    }
    if (!isCleanString(key)) {
      throw new UmkvError('ERR_INVALID_DOC', `doc ${i}: key must be a well-formed string`, i)
    }
    if (!Array.isArray(links)) {
      throw new UmkvError('ERR_INVALID_DOC', `doc ${i}: links must be an array of ids`, i)
    }
    for (const link of links) {
      if (!isCleanString(link) || link.length === 0) {
        throw new UmkvError('ERR_INVALID_DOC', `doc ${i}: every link must be a non-empty well-formed string`, i)
      }
    }
  }
}

/** Throws UmkvError ERR_INVALID_KEY unless `key` is a well-formed string. */
export function validateKey (key: unknown): asserts key is string {
  if (!isCleanString(key)) throw new UmkvError('ERR_INVALID_KEY', 'key must be a well-formed string')
}
