// A small seeded PRNG (mulberry32). Deterministic across runs and machines:
// the same seed gives the same sequence, so the generated data is byte-identical.

export class Prng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max] (both included). */
  int (min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** True with probability p. */
  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  /** Picks by weight: `table` holds [value, weight] pairs. */
  weighted<T> (table: ReadonlyArray<readonly [T, number]>): T {
    let total = 0
    for (const [, w] of table) total += w
    let r = this.next() * total
    for (const [v, w] of table) {
      r -= w
      if (r < 0) return v
    }
    return table[table.length - 1]![0]
  }
}
