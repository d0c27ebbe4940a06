// INCR and MSET (10 keys per request, redis-benchmark's -t mset) over RESP, pipeline 1 and 16:
// the string workloads of issue #6. With -r, INCR spreads over 100k counters.

import type { Workload } from "./types.ts";

export const stringWorkloads: Workload[] = [];

for (const cmd of ["incr", "mset"]) {
  for (const pipeline of [1, 16]) {
    stringWorkloads.push({
      name: `${cmd.toUpperCase()} P${pipeline}`,
      family: "strings",
      args: ["-t", cmd, "-P", String(pipeline)],
      // MSET writes 10 keys per request: fewer requests for the same ~1 s per run
      requests: (pipeline === 1 ? 100_000 : 1_000_000) / (cmd === "mset" ? 2 : 1),
    });
  }
}
