import ReadyResource from 'ready-resource'

/**
 * An event map: each event's name and the signature of its listeners, e.g.
 * `{ feed: (feed: Feed) => void, close: () => void }`.
 */
// `any[]` only in this constraint: it is what lets a listener with any parameters be one of
// EventEmitter's listeners; every listener a user writes is typed by its event.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventSignatures<Events> = { [E in keyof Events]: (...args: any[]) => void }

/**
 * Holepunch's ReadyResource (`ready()`/`close()` run `_open`/`_close` once; `opening`,
 * `opened`, `closing`, `closed` tell where it is) with typed events: `on`, `once`, `off`
 * and `emit` accept only the events of `Events`, with their arguments. Every long-lived
 * object of kappa-ts (Multifeed, MultifeedIndex, Kappa, KappaSwarm, RecordDB) extends it,
 * so there is one lifecycle and one way to type events.
 */
export class TypedResource<Events extends EventSignatures<Events>> extends ReadyResource {}

// Merged into the class: only the declared events, with their listeners' arguments.
export interface TypedResource<Events extends EventSignatures<Events>> {
  on<E extends keyof Events & string>(event: E, listener: Events[E]): this
  once<E extends keyof Events & string>(event: E, listener: Events[E]): this
  off<E extends keyof Events & string>(event: E, listener: Events[E]): this
  emit<E extends keyof Events & string>(event: E, ...args: Parameters<Events[E]>): boolean
  // ReadyResource itself emits these two (after _open and _close).
  emit(event: 'ready' | 'close'): boolean
}
