// Server CPU per request, side by side with redis-server 7.0: redis-benchmark -t set / get,
// 50 clients, pipeline 16, 100k random keys, 3-byte values, against imds and redis-server
// started here (optionally with appendonly yes, appendfsync everysec). The server's CPU time
// (utime + stime of /proc/<pid>/stat, both threads of every kind) over the run, divided by
// the requests, is "CPU µs per request". Runs alternate between the servers (and which goes
// first); figures are medians over the rounds.
//
//   bun bench/cpu-per-request.ts [--requests N] [--rounds N] [--aof] [--base DIR] [--tests set,get]
//
// --base DIR: also run the imds checkout in DIR (e.g. `git archive` of an older commit with
// node_modules linked), as "base", in the same rotation: before/after in one run.

import { readFileSync } from "node:fs";
import { startImds, startRedis } from "../test/helpers/servers.ts";
import { removeDir, tempDir } from "../test/persistence/aof/helpers.ts";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : Number(process.argv[i + 1]);
}
const REQUESTS = arg("--requests", 400_000);
const ROUNDS = arg("--rounds", 3);
const AOF = process.argv.includes("--aof");
const baseAt = process.argv.indexOf("--base");
const BASE = baseAt < 0 ? "" : process.argv[baseAt + 1]!;
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** utime + stime of the process, in µs. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_US; // fields 14, 15 (utime, stime)
}

interface Sample {
  rps: number;
  cpuUsPerReq: number;
}

function bench(port: number, pid: number, test: string, requests = REQUESTS): Sample {
  const before = cpuUs(pid);
  const t0 = performance.now();
  const r = Bun.spawnSync(
    [
      "redis-benchmark",
      "-p",
      String(port),
      "-t",
      test,
      "-c",
      "50",
      "-P",
      "16",
      "-r",
      "100000",
      "-n",
      String(requests),
      "-d",
      "3",
      "-q",
      "--csv",
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 120_000 },
  );
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuUs(pid) - before;
  const out = r.stdout.toString();
  const line = out.split("\n").find((l) => l.startsWith(`"${test.toUpperCase()}"`));
  const rps = line ? Number(line.split(",")[1]!.replaceAll('"', "")) : requests / secs;
  return { rps, cpuUsPerReq: cpu / requests };
}

const testsAt = process.argv.indexOf("--tests");
const tests = testsAt < 0 ? ["set", "get"] : process.argv[testsAt + 1]!.split(",");
const servers = BASE === "" ? ["imds", "redis"] : ["base", "imds", "redis"];
const results: Record<string, Record<string, Sample[]>> = { base: {}, imds: {}, redis: {} };
for (let round = 0; round < ROUNDS; round++) {
  // rotate which server goes first
  const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
  for (const who of order) {
    const dir = tempDir("cpu");
    const flags = [
      "--dir",
      dir,
      ...(AOF ? ["--appendonly", "yes", "--appendfsync", "everysec"] : []),
    ];
    const s =
      who === "redis"
        ? await startRedis(flags)
        : await startImds(flags, who === "base" ? BASE : undefined);
    try {
      bench(s.port, s.proc.pid, "set", 100_000); // warm up (JIT)
      for (const t of tests) {
        const sample = bench(s.port, s.proc.pid, t);
        const list = results[who]![t] ?? [];
        list.push(sample);
        results[who]![t] = list;
      }
    } finally {
      await s.stop();
      removeDir(dir);
    }
  }
}

console.log(
  `P16, 50 clients, ${REQUESTS} requests, ${ROUNDS} rounds, appendonly ${AOF ? "yes (everysec)" : "no"}`,
);
const cols = BASE === "" ? ["imds"] : ["base", "imds"];
const head = [
  "test",
  ...cols.map((w) => `${w} ops/s`),
  "redis ops/s",
  ...cols.map((w) => `${w}/redis`),
  ...cols.map((w) => `${w} CPU µs/req`),
  "redis CPU µs/req",
  ...cols.map((w) => `CPU ${w}/redis`),
];
console.log(`| ${head.join(" | ")} |`);
console.log(
  `|---|${head
    .slice(1)
    .map(() => "---:")
    .join("|")}|`,
);
for (const t of tests) {
  const rps = (w: string) => median(results[w]![t]!.map((x) => x.rps));
  const cpu = (w: string) => median(results[w]![t]!.map((x) => x.cpuUsPerReq));
  const rr = rps("redis");
  const rc = cpu("redis");
  const row = [
    t.toUpperCase(),
    ...cols.map((w) => String(Math.round(rps(w)))),
    String(Math.round(rr)),
    ...cols.map((w) => (rps(w) / rr).toFixed(2)),
    ...cols.map((w) => cpu(w).toFixed(2)),
    rc.toFixed(2),
    ...cols.map((w) => (cpu(w) / rc).toFixed(2)),
  ];
  console.log(`| ${row.join(" | ")} |`);
}
