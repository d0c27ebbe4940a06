// GET/SET over RESP: the workloads of issue #5 (pipeline 1 and 16, values of
// 3 and 1024 bytes). SET runs before GET of the same size so GETs hit.

import type { Workload } from "./types.ts";

export const coreWorkloads: Workload[] = [];

for (const size of [3, 1024]) {
  for (const pipeline of [1, 16]) {
    // Enough requests for ~1 s per run at the speeds seen on a 2-core box.
    const requests = pipeline === 1 ? 100_000 : 1_000_000;
    for (const cmd of ["set", "get"]) {
      coreWorkloads.push({
        name: `${cmd.toUpperCase()} ${size}B P${pipeline}`,
        family: "core",
        args: ["-t", cmd, "-d", String(size), "-P", String(pipeline)],
        requests,
      });
    }
  }
}
