import { KappaError } from './errors.js'

const MAX_NAME = 100

/**
 * View names become LevelDB sublevel names, which allow only printable ASCII
 * above '"' (abstract-level reserves '!' as its separator).
 */
export function assertViewName (name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) {
    throw new KappaError('ERR_INVALID_NAME', `view name must be a string of 1..${MAX_NAME} characters`)
  }
  // kappa.api.<name> is a plain object property: names like __proto__ would not be
  if (name === '__proto__' || Object.hasOwn(Object.prototype, name)) {
    throw new KappaError('ERR_INVALID_NAME', `view name "${name}" is reserved`)
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c <= 0x22 || c >= 0x7f) {
      throw new KappaError('ERR_INVALID_NAME', `view name "${name}" may only use printable ASCII without space, '!' or '"'`)
    }
  }
}
