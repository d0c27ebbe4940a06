// A latency histogram in the spirit of HdrHistogram: log-linear buckets (64
// per power of two, so any value is off by at most 1/64 ≈ 1.6%), fixed size,
// no allocation per record. Values are nanoseconds, capped at 2^32-1 (~4.3 s).

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64
const LINEAR = SUB * 2; // values below 128 ns are exact
const BUCKETS = LINEAR + (31 - SUB_BITS) * SUB;
const MAX = 0xffffffff;

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;
  min = MAX;
  sum = 0;

  /** Record `count` samples of `ns` nanoseconds. */
  record(ns: number, count = 1): void {
    const v = ns <= 0 ? 0 : ns >= MAX ? MAX : Math.round(ns) >>> 0;
    this.counts[indexOf(v)]! += count;
    this.total += count;
    this.sum += v * count;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
    if (other.min < this.min) this.min = other.min;
  }

  /** The value at quantile q (0..1): the upper edge of the bucket holding it, at most max. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
    this.min = MAX;
    this.sum = 0;
  }
}

export function indexOf(v: number): number {
  if (v < LINEAR) return v;
  const m = 31 - Math.clz32(v); // 2^m <= v < 2^(m+1), m >= 7
  const shift = m - SUB_BITS;
  return LINEAR + (m - SUB_BITS - 1) * SUB + ((v >>> shift) - SUB);
}

/** Largest value that lands in bucket i. */
export function upperEdge(i: number): number {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const m = Math.floor(k / SUB) + SUB_BITS + 1;
  const shift = m - SUB_BITS;
  const top = (k % SUB) + SUB;
  return (top + 1) * 2 ** shift - 1;
}
