// The load generator's latency histogram against exact sorted quantiles.

import { expect, test } from "bun:test";
import { Histogram, indexOf, upperEdge } from "../../bench/lib/histogram.ts";
import { Prng } from "../helpers/prng.ts";

test("buckets are monotonic and every value lies within 1/64 below its bucket edge", () => {
  let last = -1;
  for (const v of [0, 1, 127, 128, 129, 255, 256, 1000, 65535, 1e6, 123456789, 2 ** 32 - 1]) {
    const i = indexOf(v);
    expect(i).toBeGreaterThanOrEqual(last);
    last = i;
    const edge = upperEdge(i);
    expect(edge).toBeGreaterThanOrEqual(v);
    expect(edge - v).toBeLessThanOrEqual(Math.max(0, v / 64));
  }
});

test("quantiles match exact ones within the bucket precision", () => {
  const p = new Prng(99);
  const h = new Histogram();
  const xs: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    // log-uniform between 1 µs and 100 ms
    const v = Math.round(1000 * 10 ** ((p.u32() / 2 ** 32) * 5));
    xs.push(v);
    h.record(v);
  }
  xs.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999, 1]) {
    const exact = xs[Math.max(0, Math.ceil(q * xs.length) - 1)]!;
    const got = h.quantile(q);
    expect(got).toBeGreaterThanOrEqual(exact);
    expect(got).toBeLessThanOrEqual(exact * (1 + 1 / 64));
  }
  expect(h.quantile(1)).toBe(xs[xs.length - 1]!);
  const other = new Histogram();
  other.record(5);
  other.add(h);
  expect(other.total).toBe(50_001);
  expect(other.min).toBe(5);
});
