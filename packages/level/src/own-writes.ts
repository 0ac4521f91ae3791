// Which of this peer's appended entries the view has applied: a write resolves
// only once its entry is applied (read-your-writes). Entries are named by
// positions.ts's entryKey. The view may apply an entry before the append call that
// wrote it has returned; those are remembered while appends are in flight.
import type { KappaLevelError } from './errors.js'

interface Waiter { resolve(): void; reject(err: KappaLevelError): void }

export class OwnWrites {
  private inFlight = 0
  private readonly early = new Set<string>()
  private readonly waiters = new Map<string, Waiter>()
  private failure: KappaLevelError | null = null

  /** An append starts: entries applied from now on are remembered until it ends. */
  begin (): void {
    this.inFlight++
  }

  /** The append has returned and its entries are registered (wait() or wasApplied()). */
  end (): void {
    if (--this.inFlight === 0) this.early.clear()
  }

  /** Whether the view applied this entry before its append returned. */
  wasApplied (entry: string): boolean {
    return this.early.has(entry)
  }

  /** Resolves once the view has applied the entry. */
  wait (entry: string): Promise<void> {
    if (this.early.has(entry)) return Promise.resolve()
    if (this.failure !== null) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => this.waiters.set(entry, { resolve, reject }))
  }

  /** The view applied the entry. */
  applied (entry: string): void {
    const w = this.waiters.get(entry)
    if (w !== undefined) {
      this.waiters.delete(entry)
      w.resolve()
    } else if (this.inFlight > 0) {
      this.early.add(entry)
    }
  }

  /** The view stopped or the database closed: every wait rejects with `err`, now and later. */
  fail (err: KappaLevelError): void {
    this.failure = err
    for (const w of this.waiters.values()) w.reject(err)
    this.waiters.clear()
  }

  /** The view runs again (resumed after an error): new waits are accepted. */
  recover (): void {
    this.failure = null
  }

  get waiting (): number {
    return this.waiters.size
  }
}
