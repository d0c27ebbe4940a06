// Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats), HdrHistogram-like:
// values in nanoseconds, 32 linear sub-buckets per power of two (~3% precision), counts in one
// Float64Array per command, made on the command's first call. Values are clamped to Redis's
// range, 1 ns .. 1 s (LATENCY_HISTOGRAM_MIN/MAX_VALUE).

const SUB_BITS = 5;
const SUB = 1 << SUB_BITS; // 32 sub-buckets per octave
const MIN_NS = 1;
const MAX_NS = 1_000_000_000;
/** Buckets 0..63 hold values 0..63 exactly; then (octave, sub-bucket) up to 2^30. */
export const BUCKETS = (30 - SUB_BITS) * SUB + 2 * SUB;

/** Bucket index of a value in ns (1 .. 1e9). */
export function bucketOf(ns: number): number {
  const v = ns < MIN_NS ? MIN_NS : ns > MAX_NS ? MAX_NS : ns | 0;
  if (v < 2 * SUB) return v;
  const e = 31 - Math.clz32(v); // 6 .. 29
  const shift = e - SUB_BITS;
  return shift * SUB + (v >>> shift); // (v >>> shift) in 32..63
}

/** The highest value (ns) that falls in bucket i (HdrHistogram's highest_equivalent_value). */
export function bucketHigh(i: number): number {
  if (i < 2 * SUB) return i;
  const shift = (i >>> SUB_BITS) - 1;
  const sub = (i & (SUB - 1)) + SUB;
  return (sub + 1) * 2 ** shift - 1;
}

export class CommandHistograms {
  private readonly hists: (Float64Array | undefined)[];
  private readonly totals: Float64Array;

  constructor(ids: number) {
    this.hists = new Array(ids);
    this.totals = new Float64Array(ids);
  }

  /** One call of command `id` that took `us` microseconds. */
  record(id: number, us: number): void {
    this.add(id, bucketOf(us * 1000));
  }

  /** One call of command `id` in bucket `b` (a run's commands share one bucketOf). */
  add(id: number, b: number): void {
    const h = this.hists[id];
    if (h === undefined) this.make(id)[b]!++;
    else h[b]!++;
    this.totals[id]!++;
  }

  private make(id: number): Float64Array {
    const h = new Float64Array(BUCKETS);
    this.hists[id] = h;
    return h;
  }

  /** Calls recorded for the command (0: no histogram). */
  count(id: number): number {
    return this.totals[id]!;
  }

  /**
   * The value (µs) at percentile p (0..100), as hdr_value_at_percentile: the highest value of
   * the first bucket where the cumulative count reaches round(p/100 * total), at least 1.
   */
  percentileUs(id: number, p: number): number {
    const h = this.hists[id];
    const total = this.totals[id]!;
    if (h === undefined || total === 0) return 0;
    const want = Math.max(1, Math.floor((Math.min(p, 100) / 100) * total + 0.5));
    let acc = 0;
    for (let i = 0; i < BUCKETS; i++) {
      acc += h[i]!;
      if (acc >= want) return bucketHigh(i) / 1000;
    }
    return bucketHigh(BUCKETS - 1) / 1000;
  }

  /**
   * LATENCY HISTOGRAM's cumulative distribution, as Redis's hdr log iterator (first bucket
   * 1024 ns, factor 2): [µs label, calls at or below it] for each power of two where the
   * cumulative count grows.
   */
  cdf(id: number): [number, number][] {
    const h = this.hists[id];
    const total = this.totals[id]!;
    const out: [number, number][] = [];
    if (h === undefined || total === 0) return out;
    let acc = 0;
    let prev = 0;
    let i = 0;
    // Every value is clamped below 2^30 ns, so the walk ends by limit = 2^30.
    for (let limit = 1024; prev < total; limit *= 2) {
      while (i < BUCKETS && bucketHigh(i) < limit) acc += h[i++]!;
      if (acc > prev) {
        // Redis's label: hdr's highest equivalent value of the limit (2 significant digits:
        // 128 sub-buckets per octave), in µs.
        out.push([Math.floor((limit + limit / 128 - 1) / 1000), acc]);
        prev = acc;
      }
    }
    return out;
  }

  reset(): void {
    this.hists.fill(undefined);
    this.totals.fill(0);
  }
}
