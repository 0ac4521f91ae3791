// A push-fed async iterator: what live queries hand to callers.
//
// Producers push() values as batches are committed; the consumer reads them
// with `for await`. Breaking out of the loop (or calling close()) ends it and
// runs the producer's cleanup, so no listener is left behind.

interface Waiter<T> {
  resolve(r: IteratorResult<T, undefined>): void
  reject(err: unknown): void
}

export class LiveQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = []
  private waiting: Array<Waiter<T>> = []
  private ended = false
  private failure: { error: unknown } | null = null
  private readonly onClose: (() => void) | undefined

  constructor (onClose?: () => void) {
    this.onClose = onClose
  }

  get closed (): boolean { return this.ended }

  /** Values pushed but not read yet. */
  get buffered (): number { return this.buffer.length }

  push (value: T): void {
    if (this.ended) return
    const waiter = this.waiting.shift()
    if (waiter !== undefined) waiter.resolve({ value, done: false })
    else this.buffer.push(value)
  }

  /** Ends the iteration: values already pushed can still be read, then it is done. */
  close (): void {
    if (this.ended) return
    this.ended = true
    const waiters = this.waiting
    this.waiting = []
    for (const w of waiters) w.resolve({ value: undefined, done: true })
    this.onClose?.()
  }

  /** Ends the iteration with an error: the next read (after buffered values) rejects with it. */
  fail (error: unknown): void {
    if (this.ended) return
    const first = this.waiting.shift()
    if (first !== undefined) first.reject(error)
    else this.failure = { error }
    this.close()
  }

  next (): Promise<IteratorResult<T, undefined>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift() as T, done: false })
    if (this.failure !== null) {
      const { error } = this.failure
      this.failure = null
      return Promise.reject(error)
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }

  /** Called by `break` in a for-await loop: stop and drop what is buffered. */
  return (): Promise<IteratorResult<T, undefined>> {
    this.buffer.length = 0
    this.close()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator] (): this { return this }
}
