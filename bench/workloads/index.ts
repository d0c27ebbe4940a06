// Every family's side-by-side workloads, in the order they run. To add yours:
// create bench/workloads/<family>.ts exporting a Workload[] and list it here.

import { coreWorkloads } from "./core.ts";
import { defaultTestWorkloads } from "./defaults.ts";
import { expireWorkloads } from "./expire.ts";
import { hashSetWorkloads } from "./hash-set.ts";
import { listWorkloads } from "./list.ts";
import { scriptingWorkloads } from "./scripting.ts";
import { streamWorkloads } from "./stream.ts";
import { stringWorkloads } from "./strings.ts";
import type { Workload } from "./types.ts";
import { zsetWorkloads } from "./zset.ts";

export type { Workload } from "./types.ts";

export const workloads: Workload[] = [
  ...coreWorkloads,
  ...stringWorkloads,
  ...expireWorkloads,
  ...zsetWorkloads,
  ...listWorkloads,
  ...hashSetWorkloads,
  ...scriptingWorkloads,
  ...streamWorkloads,
  ...defaultTestWorkloads,
];
