// A set of non-negative integers kept as sorted, disjoint, non-adjacent half-open
// ranges [start, end). It records which blocks of one feed are done (indexed) and,
// in memory, which ones are known not to be local yet. A feed indexed in order is
// one range [0, n); a sparse feed is a few ranges.

export type Range = [start: number, end: number]

export class RangeSet {
  private ranges: Range[]

  constructor (ranges: ReadonlyArray<Readonly<Range>> = []) {
    this.ranges = []
    for (const [s, e] of ranges) this.add(s, e)
  }

  static isValid (value: unknown): value is Range[] {
    if (!Array.isArray(value)) return false
    return value.every((r) => Array.isArray(r) && r.length === 2 &&
      Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] >= 0 && r[1] > r[0])
  }

  clone (): RangeSet {
    const copy = new RangeSet()
    copy.ranges = this.ranges.map(([s, e]) => [s, e])
    return copy
  }

  toJSON (): Range[] {
    return this.ranges.map(([s, e]) => [s, e])
  }

  get isEmpty (): boolean { return this.ranges.length === 0 }

  /** Number of ranges (a measure of fragmentation). */
  get rangeCount (): number { return this.ranges.length }

  /** How many integers the set holds. */
  get size (): number {
    let n = 0
    for (const [s, e] of this.ranges) n += e - s
    return n
  }

  /** Members below `limit`. */
  sizeBelow (limit: number): number {
    let n = 0
    for (const [s, e] of this.ranges) {
      if (s >= limit) break
      n += Math.min(e, limit) - s
    }
    return n
  }

  /** One past the largest member, 0 when empty. */
  get end (): number {
    return this.ranges.length === 0 ? 0 : this.ranges[this.ranges.length - 1][1]
  }

  /** The first integer >= 0 that is not a member (the contiguous prefix length). */
  get contiguous (): number {
    const first = this.ranges[0]
    return first !== undefined && first[0] === 0 ? first[1] : 0
  }

  has (n: number): boolean {
    const i = this.indexAtOrAfter(n)
    const r = this.ranges[i]
    return r !== undefined && r[0] <= n
  }

  /** Index of the first range whose end is > n. */
  private indexAtOrAfter (n: number): number {
    let lo = 0
    let hi = this.ranges.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.ranges[mid][1] <= n) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  add (start: number, end: number = start + 1): void {
    if (end <= start) return
    // the first range ending at or after `start` may touch it (adjacent ranges merge)
    const i = this.indexAtOrAfter(start - 1)
    let s = start
    let e = end
    let j = i
    while (j < this.ranges.length && this.ranges[j][0] <= end) {
      s = Math.min(s, this.ranges[j][0])
      e = Math.max(e, this.ranges[j][1])
      j++
    }
    this.ranges.splice(i, j - i, [s, e])
  }

  remove (start: number, end: number = start + 1): void {
    if (end <= start) return
    const i = this.indexAtOrAfter(start)
    const out: Range[] = []
    let j = i
    while (j < this.ranges.length && this.ranges[j][0] < end) {
      const [s, e] = this.ranges[j]
      if (s < start) out.push([s, start])
      if (e > end) out.push([end, e])
      j++
    }
    this.ranges.splice(i, j - i, ...out)
  }

  /** Drops every member >= length. */
  truncate (length: number): void {
    this.remove(length, Math.max(length, this.end))
  }

  /**
   * The gaps (non-members) within [from, to), in order, as ranges.
   * Stops after `limit` integers have been covered.
   */
  gaps (from: number, to: number, limit = Infinity): Range[] {
    const out: Range[] = []
    let pos = from
    let left = limit
    let i = this.indexAtOrAfter(from)
    while (pos < to && left > 0) {
      const r = this.ranges[i]
      const gapEnd = r === undefined ? to : Math.min(r[0], to)
      if (gapEnd > pos) {
        const e = Math.min(gapEnd, pos + left)
        out.push([pos, e])
        left -= e - pos
      }
      if (r === undefined) break
      pos = Math.max(pos, r[1])
      i++
    }
    return out
  }
}
