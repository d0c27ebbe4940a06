// List workloads (issue #13): redis-benchmark's own list tests (-t lpush, rpush, lpop, rpop,
// lrange_100, lrange_600) at pipeline 1 and 16. The pops run on "mylist" as filled by the
// pushes before them (redis-benchmark's key), and the LRANGE tests fill it with LPUSH first
// (redis-benchmark does that itself; the runner skips that helper row).

import type { Workload } from "./types.ts";

export const listWorkloads: Workload[] = [];

for (const pipeline of [1, 16]) {
  const p = ["-P", String(pipeline)];
  for (const t of ["lpush", "rpush", "lpop", "rpop", "lrange_100", "lrange_600"]) {
    const lrange = t.startsWith("lrange");
    let requests = pipeline === 1 ? 100_000 : 500_000;
    if (lrange) requests = t === "lrange_600" ? requests / 10 : requests / 4;
    listWorkloads.push({
      name: `${t.toUpperCase()} P${pipeline}`,
      family: "list",
      args: ["-t", t, ...p],
      requests,
    });
  }
}
