// Stream workloads (issue #16): XADD with auto IDs at pipeline 1 and 16; XRANGE of 10 and 100
// entries from a random start on a 100k-entry stream; XREADGROUP (COUNT 1, ">") and XACK of
// random pending IDs on a consumer group. The streams are loaded by setup: "xb" has IDs
// <n>-0 for n in 1..100000, so "XRANGE xb __rand_int__ + COUNT 10" starts anywhere in it;
// "xq" has 400000 entries so that every round's XREADGROUP (fewer than 400k in total for the
// default three rounds) still reads new entries, and XACK __rand_int__-0 acks delivered ones.

import type { Workload } from "./types.ts";

function fill(key: string, n: number, group: boolean): string[][] {
  const cmds: string[][] = [["DEL", key]];
  for (let i = 1; i <= n; i++) cmds.push(["XADD", key, `${i}-0`, "f1", `value-${i}`, "f2", "x"]);
  if (group) cmds.push(["XGROUP", "CREATE", key, "g", "0"]);
  return cmds;
}

let xb: string[][] | null = null;
let xq: string[][] | null = null;

export const streamWorkloads: Workload[] = [
  { name: "XADD * P1", family: "stream", args: ["XADD", "xa", "*", "f", "v"], requests: 100_000 },
  {
    name: "XADD * P16",
    family: "stream",
    args: ["-P", "16", "XADD", "xa", "*", "f", "v"],
    requests: 500_000,
  },
  {
    name: "XRANGE 10 P1",
    family: "stream",
    args: ["XRANGE", "xb", "__rand_int__", "+", "COUNT", "10"],
    requests: 100_000,
    // Getters: the 100k-command load is only built when a chosen workload needs it.
    get setup() {
      xb ??= fill("xb", 100_000, false);
      return xb;
    },
  },
  {
    name: "XRANGE 100 P1",
    family: "stream",
    args: ["XRANGE", "xb", "__rand_int__", "+", "COUNT", "100"],
    requests: 50_000,
    get setup() {
      xb ??= fill("xb", 100_000, false);
      return xb;
    },
  },
  {
    name: "XREADGROUP P1",
    family: "stream",
    args: ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "xq", ">"],
    requests: 100_000,
    get setup() {
      xq ??= fill("xq", 400_000, true);
      return xq;
    },
  },
  {
    name: "XACK P1",
    family: "stream",
    args: ["XACK", "xq", "g", "__rand_int__-0"],
    requests: 100_000,
  },
];
