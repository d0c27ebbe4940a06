// Server CPU per request, side by side with redis-server 7.0: redis-benchmark -t set / get,
// 50 clients, pipeline 16, 100k random keys, 3-byte values, against imds and redis-server
// started here (optionally with appendonly yes, appendfsync everysec). The server's CPU time
// (utime + stime of /proc/<pid>/stat, both threads of every kind) over the run, divided by
// the requests, is "CPU µs per request". Runs alternate between the servers (and which goes
// first); figures are medians over the rounds.
//
//   bun bench/cpu-per-request.ts [--requests N] [--rounds N] [--aof] [--base DIR] [--tests set,get]
//                                [--pipeline N] [--clients N] [--warm N] [--env K=V]
//                                [--floor reuse,fresh,...] [--no-imds] [--data BYTES]
//
// --pipeline (default 16) and --clients (default 50) are redis-benchmark's -P and -c; the tests
// are any redis-benchmark -t names (ping_inline, ping_mbulk, set, get, incr...). --warm N runs
// each test N requests before its measured run (default 0: only the 100k SET warm-up).
// --data is redis-benchmark's -d (value size, default 3).
// --env K=V (repeatable) sets an environment variable for the imds "after" server only (for
// A/B of an experimental switch in one checkout).
// --floor MODES: also run bench/bun-floor.ts (a Bun.listen server that answers +OK and does
// nothing else) in each mode, as "floor-MODE": Bun's own minimum per request.
//
// --base DIR: also run the imds checkout in DIR (e.g. `git archive` of an older commit with
// node_modules linked), as "base", in the same rotation: before/after in one run.

import { readFileSync } from "node:fs";
import { startImds, startImdsCommand, startRedis } from "../test/helpers/servers.ts";
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
const PIPELINE = arg("--pipeline", 16);
const CLIENTS = arg("--clients", 50);
const WARM = arg("--warm", 0);
const DATA = arg("--data", 3);
const envPairs: Record<string, string> = {};
for (let i = 0; i < process.argv.length; i++) {
  if (process.argv[i] !== "--env") continue;
  const [k, ...v] = process.argv[i + 1]!.split("=");
  envPairs[k!] = v.join("=");
}
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** utime and stime of the process, in µs. */
function cpuTimes(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(f[11]) * TICK_US, Number(f[12]) * TICK_US]; // fields 14, 15 (utime, stime)
}

interface Sample {
  rps: number;
  cpuUsPerReq: number;
  /** Of which system (kernel) time. */
  sysUsPerReq: number;
}

function bench(port: number, pid: number, test: string, requests = REQUESTS): Sample {
  const before = cpuTimes(pid);
  const t0 = performance.now();
  const r = Bun.spawnSync(
    [
      "redis-benchmark",
      "-p",
      String(port),
      "-t",
      test,
      "-c",
      String(CLIENTS),
      "-P",
      String(PIPELINE),
      "-r",
      "100000",
      "-n",
      String(requests),
      "-d",
      String(DATA),
      "-q",
      "--csv",
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 120_000 },
  );
  const secs = (performance.now() - t0) / 1000;
  const after = cpuTimes(pid);
  const sys = after[1] - before[1];
  const cpu = after[0] - before[0] + sys;
  const out = r.stdout.toString();
  const line = out.split("\n").find((l) => l.startsWith(`"${test.toUpperCase()}"`));
  const rps = line ? Number(line.split(",")[1]!.replaceAll('"', "")) : requests / secs;
  return { rps, cpuUsPerReq: cpu / requests, sysUsPerReq: sys / requests };
}

const testsAt = process.argv.indexOf("--tests");
const tests = testsAt < 0 ? ["set", "get"] : process.argv[testsAt + 1]!.split(",");
const floorAt = process.argv.indexOf("--floor");
const floors = floorAt < 0 ? [] : process.argv[floorAt + 1]!.split(",");
const servers = [
  ...(BASE === "" ? [] : ["base"]),
  ...(process.argv.includes("--no-imds") ? [] : ["imds"]),
  ...floors.map((m) => `floor-${m}`),
  "redis",
];
const results: Record<string, Record<string, Sample[]>> = {};
for (const w of servers) results[w] = {};
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
    if (who === "imds") Object.assign(process.env, envPairs);
    const s =
      who === "redis"
        ? await startRedis(flags)
        : who.startsWith("floor-")
          ? await startImdsCommand([
              "bun",
              `${import.meta.dir}/bun-floor.ts`,
              "--mode",
              who.slice("floor-".length),
            ])
          : await startImds(flags, who === "base" ? BASE : undefined);
    for (const k of Object.keys(envPairs)) delete process.env[k];
    try {
      bench(s.port, s.proc.pid, "set", 100_000); // warm up (JIT)
      for (const t of tests) {
        if (WARM > 0) bench(s.port, s.proc.pid, t, WARM);
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
  `P${PIPELINE}, d${DATA}, ${CLIENTS} clients, ${REQUESTS} requests, ${ROUNDS} rounds, appendonly ${AOF ? "yes (everysec)" : "no"}`,
);
const cols = servers.filter((w) => w !== "redis");
const head = [
  "test",
  ...cols.map((w) => `${w} ops/s`),
  "redis ops/s",
  ...cols.map((w) => `${w}/redis`),
  ...cols.map((w) => `${w} CPU µs/req`),
  "redis CPU µs/req",
  ...cols.map((w) => `CPU ${w}/redis`),
  ...cols.map((w) => `${w} sys µs/req`),
  "redis sys µs/req",
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
  const sys = (w: string) => median(results[w]![t]!.map((x) => x.sysUsPerReq));
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
    ...cols.map((w) => sys(w).toFixed(2)),
    sys("redis").toFixed(2),
  ];
  console.log(`| ${row.join(" | ")} |`);
}
