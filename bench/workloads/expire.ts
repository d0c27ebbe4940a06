// Expiry workloads (issue #8): a TTL on every key. SET ... EX writes a TTL with each value; the GET
// run that follows reads keys that all carry one (the SET EX run covers the whole keyspace first),
// so every lookup checks the expiry column. `bun run bench:redis --only ttl:` runs just these. Eviction at maxmemory needs servers started with a
// limit, so it lives in bench/expire-vs-redis.ts.

import type { Workload } from "./types.ts";

const VALUE = "x".repeat(100);

export const expireWorkloads: Workload[] = [
  {
    name: "ttl: SET EX 100B P16",
    family: "expire",
    args: ["-P", "16", "SET", "key:__rand_int__", VALUE, "EX", "3600"],
    requests: 1_000_000,
  },
  {
    name: "ttl: GET P16",
    family: "expire",
    args: ["-t", "get", "-P", "16"],
    requests: 1_000_000,
  },
  {
    name: "ttl: SET EX 100B P1",
    family: "expire",
    args: ["SET", "key:__rand_int__", VALUE, "EX", "3600"],
    requests: 100_000,
  },
];
