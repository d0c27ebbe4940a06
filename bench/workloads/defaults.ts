// Every redis-benchmark default test (what `redis-benchmark` runs with no -t)
// at pipeline depth 1 and 16 and values of 3 and 1024 bytes: the grid of the
// performance issue's first target. One test per run, so each row is its own
// median; `-t lrange_100` first fills the list itself (a row vs-redis drops).

import type { Workload } from "./types.ts";

const DEFAULT_TESTS = [
  "ping_inline",
  "ping_mbulk",
  "set",
  "get",
  "incr",
  "lpush",
  "rpush",
  "lpop",
  "rpop",
  "sadd",
  "hset",
  "spop",
  "zadd",
  "zpopmin",
  "lrange_100",
  "lrange_300",
  "lrange_500",
  "lrange_600",
  "mset",
];

/** LRANGE_* replies are 100-600 elements: fewer requests keep a run near a second. */
function requestsFor(test: string, pipeline: number, size: number): number {
  const base = pipeline === 1 ? 50_000 : 200_000;
  // 16 x 500 replies of 1 KB elements are ~8 MB per client batch: ~1,000 requests/s
  if (test.startsWith("lrange"))
    return size > 100 ? (pipeline === 1 ? base / 20 : base / 100) : base / 5;
  if (test === "mset") return base / 4;
  return base;
}

export const defaultTestWorkloads: Workload[] = [];

for (const size of [3, 1024]) {
  for (const pipeline of [1, 16]) {
    for (const test of DEFAULT_TESTS) {
      defaultTestWorkloads.push({
        name: `${test.toUpperCase()} d${size} P${pipeline}`,
        family: "defaults",
        args: ["-t", test, "-d", String(size), "-P", String(pipeline)],
        requests: requestsFor(test, pipeline, size),
      });
    }
  }
}
