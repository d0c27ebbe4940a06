// Sorted set workloads (issue #7): ZADD with random scores and members, and on a 1M-member
// set ZRANK, ZRANGE 0 9, ZRANGEBYSCORE ... LIMIT 0 10 and ZREVRANGE 0 9 WITHSCORES, at
// pipeline 1 and 16. The 1M set ("zb": members m:%014d, random scores below 100000 so the
// runner's __rand_int__ (-r 100000) spreads score ranges over the whole set) is loaded by the
// first workload's setup; __rand_int__ in m:00__rand_int__ makes a 16-byte member that exists.

import type { Workload } from "./types.ts";

const MEMBERS = 1_000_000;
const BATCH = 1000;

let bigSet: string[][] | null = null;

/** 1000 ZADDs of 1000 members, built once, only when a chosen workload needs them. */
function loadBigSet(): string[][] {
  if (bigSet !== null) return bigSet;
  const cmds: string[][] = [["DEL", "zb"]];
  let seed = 20261125;
  for (let b = 0; b < MEMBERS / BATCH; b++) {
    const cmd = ["ZADD", "zb"];
    for (let i = 0; i < BATCH; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      cmd.push(String(seed % 100_000), `m:${String(b * BATCH + i).padStart(14, "0")}`);
    }
    cmds.push(cmd);
  }
  bigSet = cmds;
  return cmds;
}

export const zsetWorkloads: Workload[] = [];

for (const pipeline of [1, 16]) {
  const requests = pipeline === 1 ? 100_000 : 500_000;
  const p = ["-P", String(pipeline)];
  zsetWorkloads.push(
    {
      name: `ZADD rand P${pipeline}`,
      family: "zset",
      args: [...p, "ZADD", "zlb", "__rand_int__", "m:__rand_int__"],
      requests,
    },
    {
      name: `ZRANK 1M P${pipeline}`,
      family: "zset",
      args: [...p, "ZRANK", "zb", "m:00__rand_int__"],
      requests,
      // Getter: the 2M-argument load is only built if a ZRANK workload is chosen. The other
      // 1M workloads rely on it: choose them with a ZRANK one (e.g. --only 1M, --only P16).
      get setup() {
        return loadBigSet();
      },
    },
    {
      name: `ZRANGE 0 9 1M P${pipeline}`,
      family: "zset",
      args: [...p, "ZRANGE", "zb", "0", "9"],
      requests,
    },
    {
      name: `ZRANGEBYSCORE LIMIT 10 1M P${pipeline}`,
      family: "zset",
      args: [...p, "ZRANGEBYSCORE", "zb", "__rand_int__", "+inf", "LIMIT", "0", "10"],
      requests,
    },
    {
      name: `ZREVRANGE WITHSCORES 1M P${pipeline}`,
      family: "zset",
      args: [...p, "ZREVRANGE", "zb", "0", "9", "WITHSCORES"],
      requests,
    },
  );
}
