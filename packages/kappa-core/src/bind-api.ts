// Turns a view's api (functions taking the ViewContext first) into the bound
// functions callers see as kappa.api.<name>.
import { KappaError } from './errors.js'
import type { ApiDef, ViewContext } from './view.js'

export function bindApi (name: string, api: ApiDef | undefined, ctx: ViewContext, assertOpen: (what: string) => void): Record<string, (...args: unknown[]) => unknown> {
  const bound: Record<string, (...args: unknown[]) => unknown> = {}
  if (api === undefined) return bound
  if (api === null || typeof api !== 'object') {
    throw new KappaError('ERR_INVALID_VIEW', `view "${name}": api must be an object of functions`, { view: name })
  }
  for (const [fnName, fn] of Object.entries(api)) {
    if (typeof fn !== 'function') {
      throw new KappaError('ERR_INVALID_VIEW', `view "${name}": api.${fnName} is not a function`, { view: name })
    }
    bound[fnName] = (...args: unknown[]) => {
      assertOpen(`api.${name}.${fnName}`)
      return fn(ctx, ...args)
    }
  }
  return bound
}
