// The timing rule (docs/COMMANDS.md, "Timing rule") and the command histograms, in process.

import { expect, test } from "bun:test";
import { bucketHigh, bucketOf, CommandHistograms } from "../../src/commands/histogram.ts";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

test("which commands get their own clock reads follows the thresholds", () => {
  const p = new InProc(MODE_RESP2);
  const obs = p.server.observe;
  // Defaults: slowlog at 10 ms, latency monitor off: only non-fast commands are timed alone.
  expect([obs.timeSlow, obs.timeEach, obs.slowUs]).toEqual([true, false, 10000]);
  const timed = (name: string) =>
    (p.server.commands.find(name)!.flags & obs.timedMask) === obs.timedWant;
  expect([timed("get"), timed("set"), timed("zrange")]).toEqual([false, true, true]);
  p.call("CONFIG", "SET", "slowlog-log-slower-than", "-1");
  expect([obs.timeSlow, obs.timeEach]).toEqual([false, false]);
  expect([timed("get"), timed("set")]).toEqual([false, false]);
  p.call("CONFIG", "SET", "latency-monitor-threshold", "5");
  expect([obs.timeSlow, obs.timeEach, obs.slowUs]).toEqual([true, false, 5000]);
  p.call("CONFIG", "SET", "slowlog-log-slower-than", "999");
  expect([obs.timeSlow, obs.timeEach, obs.slowUs]).toEqual([true, true, 999]);
  expect([timed("get"), timed("set")]).toEqual([true, true]);
  p.call("CONFIG", "SET", "slowlog-log-slower-than", "1000");
  expect([obs.timeSlow, obs.timeEach]).toEqual([true, false]);
  p.call("CONFIG", "SET", "latency-monitor-threshold", "0");
  obs.stop();
});

test("threshold 0 logs fast commands too; at 10 ms a fast command is not logged", () => {
  const p = new InProc(MODE_RESP2);
  p.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
  p.call("SLOWLOG", "RESET");
  p.call("GET", "k");
  p.server.commands.stats.endBatch();
  const all = p.call("SLOWLOG", "GET", "-1") as unknown[][];
  expect(all.map((e) => (e[3] as string[])[0])).toEqual(["GET", "SLOWLOG"]);
  p.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
  p.call("SLOWLOG", "RESET");
  p.call("GET", "k");
  expect(p.call("SLOWLOG", "LEN")).toBe(0);
});

test("a run of fast commands over the threshold is a fast-command latency event", () => {
  const p = new InProc(MODE_RESP2);
  const obs = p.server.observe;
  p.call("CONFIG", "SET", "latency-monitor-threshold", "2");
  p.server.commands.stats.endBatch();
  // What a slow fast command looks like from the batch measurement: one run of 3 ms.
  const stats = p.server.commands.stats;
  const get = p.server.commands.find("get")!;
  stats.begin(false);
  busyWait(3);
  stats.record(get.statId);
  stats.endBatch();
  expect(obs.slowRuns).toBe(1);
  expect(obs.timeEach).toBe(false);
  const latest = p.call("LATENCY", "LATEST") as unknown[][];
  const fast = latest.find((e) => e[0] === "fast-command")!;
  expect(fast[2] as number).toBeGreaterThanOrEqual(2);
  obs.stop();
});

test("a timed command's duration is its own: usec, histogram and slowlog agree", () => {
  const p = new InProc(MODE_RESP2);
  p.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
  p.call("CONFIG", "RESETSTAT");
  p.call("SLOWLOG", "RESET");
  p.call("DEBUG", "SLEEP", "0.005");
  const [entry] = p.call("SLOWLOG", "GET", "1") as unknown[][];
  const us = entry![2] as number;
  expect(us).toBeGreaterThanOrEqual(5000);
  const stats = p.server.commands.stats;
  const debug = p.server.commands.find("debug")!;
  expect(Math.abs(stats.usec[debug.statId]! - us)).toBeLessThan(1.001);
  expect(stats.histograms.count(debug.statId)).toBe(1);
  const p50 = stats.histograms.percentileUs(debug.statId, 50);
  expect(Math.abs(p50 - us) / us).toBeLessThan(0.035);
});

test("histogram buckets: every value falls in its bucket, precision within 1/32", () => {
  for (let v = 1; v <= 1e9; v = Math.ceil(v * 1.013) + 1) {
    const b = bucketOf(v);
    expect(bucketHigh(b)).toBeGreaterThanOrEqual(v);
    if (b > 0) expect(bucketHigh(b - 1)).toBeLessThan(v);
    expect((bucketHigh(b) - v) / v).toBeLessThanOrEqual(1 / 32);
  }
  // Clamped to Redis's range.
  expect(bucketHigh(bucketOf(5e9))).toBeGreaterThanOrEqual(1e9);
  expect(bucketOf(0)).toBe(1);
});

test("histogram percentiles match a sorted reference within the bucket precision", () => {
  const rng = new Prng(7);
  const h = new CommandHistograms(4);
  const values: number[] = [];
  for (let k = 0; k < 5000; k++) {
    // Log-uniform 0.1 µs .. 100 ms.
    const us = 0.1 * 10 ** ((rng.u32() / 2 ** 32) * 6);
    values.push(us);
    h.record(2, us);
  }
  values.sort((a, b) => a - b);
  for (const p of [0, 1, 50, 90, 99, 99.9, 100]) {
    const want = values[Math.max(0, Math.floor((p / 100) * values.length + 0.5) - 1)]!;
    const got = h.percentileUs(2, p);
    expect(got).toBeGreaterThanOrEqual(want * 0.999);
    expect(got).toBeLessThanOrEqual(want * (1 + 1 / 32) + 0.001);
  }
  const cdf = h.cdf(2);
  expect(cdf[cdf.length - 1]![1]).toBe(5000);
  for (const [label, n] of cdf) {
    const below = values.filter((v) => v * 1000 <= label * 1000).length;
    // Redis's label is a little above the power of two (its bucket's highest value): counts
    // at the label may include values up to 1/128 over it.
    expect(Math.abs(n - below)).toBeLessThanOrEqual(
      values.filter((v) => Math.abs(v - label) <= label / 16).length,
    );
  }
});
