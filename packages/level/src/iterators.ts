// KappaLevel's iterators and snapshots: thin wrappers over the view's value table
// in LevelDB, so a range read is LevelDB's own range read (created synchronously,
// hence on LevelDB's implicit snapshot), with no merge in between. Values come
// with the key's heads record in front (heads-store.ts), which is cut off here.
import { AbstractIterator, AbstractKeyIterator, AbstractSnapshot, AbstractValueIterator } from 'abstract-level'
import { stripValue } from './heads-store.js'

// abstract-level's iterator classes are generic over the db; these wrappers do not
// look at it, and their element types are what the private API hands out.
/* eslint-disable @typescript-eslint/no-explicit-any -- abstract-level's iterator classes are generic over a db type these wrappers never read */
type Db = any
type Options = any
type Entry = [unknown, unknown]
type Inner<T> = {
  next(): Promise<T | undefined>
  nextv(size: number, options?: object): Promise<T[]>
  all(options?: object): Promise<T[]>
  seek(target: unknown, options?: object): void
  close(): Promise<void>
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export class KappaLevelIterator extends AbstractIterator<Db, unknown, unknown> {
  readonly #inner: Inner<Entry>
  constructor (db: Db, options: Options, inner: Inner<Entry>) {
    super(db, options)
    this.#inner = inner
  }

  async _next (): Promise<Entry | undefined> {
    const entry = await this.#inner.next()
    if (entry !== undefined) entry[1] = stripValue(entry[1] as string | Uint8Array | undefined)
    return entry
  }

  async _nextv (size: number, options: object): Promise<Entry[]> { return stripEntries(await this.#inner.nextv(size, options)) }
  async _all (options: object): Promise<Entry[]> { return stripEntries(await this.#inner.all(options)) }
  _seek (target: unknown, options: object): void { this.#inner.seek(target, options) }
  async _close (): Promise<void> { await this.#inner.close() }
}

export class KappaLevelKeyIterator extends AbstractKeyIterator<Db, unknown> {
  readonly #inner: Inner<unknown>
  constructor (db: Db, options: Options, inner: Inner<unknown>) {
    super(db, options)
    this.#inner = inner
  }

  async _next (): Promise<unknown> { return await this.#inner.next() }
  async _nextv (size: number, options: object): Promise<unknown[]> { return await this.#inner.nextv(size, options) }
  async _all (options: object): Promise<unknown[]> { return await this.#inner.all(options) }
  _seek (target: unknown, options: object): void { this.#inner.seek(target, options) }
  async _close (): Promise<void> { await this.#inner.close() }
}

export class KappaLevelValueIterator extends AbstractValueIterator<Db, unknown, unknown> {
  readonly #inner: Inner<unknown>
  constructor (db: Db, options: Options, inner: Inner<unknown>) {
    super(db, options)
    this.#inner = inner
  }

  async _next (): Promise<unknown> { return stripValue(await this.#inner.next() as string | Uint8Array | undefined) }
  async _nextv (size: number, options: object): Promise<unknown[]> { return stripValues(await this.#inner.nextv(size, options)) }
  async _all (options: object): Promise<unknown[]> { return stripValues(await this.#inner.all(options)) }
  _seek (target: unknown, options: object): void { this.#inner.seek(target, options) }
  async _close (): Promise<void> { await this.#inner.close() }
}

// abstract-level's typings leave out the constructor's options (`owner`: the db that closes it)
const SnapshotBase = AbstractSnapshot as unknown as new (options: { owner: object }) => AbstractSnapshot

/** An explicit snapshot: LevelDB's snapshot of the db the view lives in. */
export class KappaLevelSnapshot extends SnapshotBase {
  readonly inner: AbstractSnapshot
  constructor (options: { owner: object }, inner: AbstractSnapshot) {
    super(options)
    this.inner = inner
  }

  async _close (): Promise<void> { await this.inner.close() }
}

function stripEntries (entries: Entry[]): Entry[] {
  for (const e of entries) e[1] = stripValue(e[1] as string | Uint8Array | undefined)
  return entries
}

function stripValues (values: unknown[]): unknown[] {
  for (let i = 0; i < values.length; i++) values[i] = stripValue(values[i] as string | Uint8Array | undefined)
  return values
}
