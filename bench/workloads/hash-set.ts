// Hash and set workloads (issue #12), at pipeline 1 and 16: HSET of random fields into one hash
// (a hashtable past 512 fields, like redis-benchmark's own -t hset), HGET of existing fields of
// a 100k-field hash, HGETALL of a 10-field hash, SADD of random members, SPOP from a 1M-member
// set, SISMEMBER on a 100k-member set and SINTER of two 1k-member sets (500 in common).
// __rand_int__ becomes a 12-digit number (-r 100000), so "f:__rand_int__" names f:000000012345,
// which the setups create.

import type { Workload } from "./types.ts";

const pad = (i: number) => String(i).padStart(12, "0");

/** `n` elements (`make(i)` gives the arguments of element i) in commands of 1000 each. */
function batches(head: string[], n: number, make: (i: number) => string[]): string[][] {
  const out: string[][] = [["DEL", head[1]!]];
  for (let b = 0; b < n; b += 1000) {
    const cmd = [...head];
    for (let i = b; i < Math.min(n, b + 1000); i++) cmd.push(...make(i));
    out.push(cmd);
  }
  return out;
}

export const hashSetWorkloads: Workload[] = [];

for (const pipeline of [1, 16]) {
  const requests = pipeline === 1 ? 100_000 : 400_000;
  const p = ["-P", String(pipeline)];
  hashSetWorkloads.push(
    {
      name: `HSET rand P${pipeline}`,
      family: "hash",
      args: [...p, "HSET", "hs", "f:__rand_int__", "value"],
      requests,
    },
    {
      name: `HGET 100k P${pipeline}`,
      family: "hash",
      args: [...p, "HGET", "hg", "f:__rand_int__"],
      requests,
      get setup() {
        return batches(["HSET", "hg"], 100_000, (i) => [`f:${pad(i)}`, `value:${i}`]);
      },
    },
    {
      name: `HGETALL 10 P${pipeline}`,
      family: "hash",
      args: [...p, "HGETALL", "h10"],
      requests,
      setup: batches(["HSET", "h10"], 10, (i) => [`field${i}`, `value-${i}`]),
    },
    {
      name: `SADD rand P${pipeline}`,
      family: "set",
      args: [...p, "SADD", "sa", "m:__rand_int__"],
      requests,
    },
    {
      // 100k pops per run: 3 rounds of P1 and P16 take 600k of the 1M members
      name: `SPOP 1M P${pipeline}`,
      family: "set",
      args: [...p, "SPOP", `sp${pipeline}`],
      requests: 100_000,
      get setup() {
        return batches(["SADD", `sp${pipeline}`], 1_000_000, (i) => [`m:${pad(i)}`]);
      },
      slow: true,
    },
    {
      name: `SISMEMBER 100k P${pipeline}`,
      family: "set",
      args: [...p, "SISMEMBER", "sm", "m:__rand_int__"],
      requests,
      get setup() {
        return batches(["SADD", "sm"], 100_000, (i) => [`m:${pad(i)}`]);
      },
    },
    {
      name: `SINTER 1k 1k P${pipeline}`,
      family: "set",
      args: [...p, "SINTER", "si1", "si2"],
      requests: pipeline === 1 ? 20_000 : 40_000,
      setup: [
        ...batches(["SADD", "si1"], 1000, (i) => [`m:${i}`]),
        ...batches(["SADD", "si2"], 1000, (i) => [`m:${i + 500}`]),
      ],
    },
  );
}
