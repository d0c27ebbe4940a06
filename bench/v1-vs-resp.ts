// The binary protocol against RESP on the same workload, with the project's load generator
// (bench/load.ts): one imds server driven over v1 and over RESP, and redis-server over RESP,
// alternating in every round. Reports ops/s and the server's CPU per request (utime + stime of
// /proc/<pid>/stat over a fixed request count), medians over the rounds.
//
//   bun bench/v1-vs-resp.ts [--rounds N] [--p1 N] [--p16 N] [--ratio G:S] [--value-size N]
//
// --p1 / --p16: requests per run at pipeline 1 / 16 (default 100000 / 400000), 50 connections,
// 100k keys preloaded before the first round (so GETs hit), 32-byte values by default.

import { readFileSync } from "node:fs";
import { startImds, startRedis } from "../test/helpers/servers.ts";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : process.argv[i + 1]!;
}
const ROUNDS = Number(arg("--rounds", "3"));
const COUNTS: Record<number, number> = {
  1: Number(arg("--p1", "100000")),
  16: Number(arg("--p16", "400000")),
};
const RATIO = arg("--ratio", "1:1");
const VALUE = arg("--value-size", "32");
const TICK_US = 1e6 / 100; // USER_HZ

function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function load(port: number, resp: boolean, extra: string[]): { ops: number; p99: number } {
  const r = Bun.spawnSync(
    [
      "bun",
      `${import.meta.dir}/load.ts`,
      "--port",
      String(port),
      "--ratio",
      RATIO,
      "--value-size",
      VALUE,
      "--json",
      ...(resp ? ["--resp"] : []),
      ...extra,
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 120_000 },
  );
  const line = r.stdout.toString().trim().split("\n").pop() ?? "";
  if (!line.startsWith("{")) throw new Error(`load.ts failed: ${r.stderr.toString()}`);
  const j = JSON.parse(line) as { opsPerSec: number; latencyMs: { p99: number }; errors: number };
  if (j.errors > 0) throw new Error(`load.ts saw ${j.errors} errors`);
  return { ops: j.opsPerSec, p99: j.latencyMs.p99 };
}

const [imds, redis] = await Promise.all([startImds(["--save", ""]), startRedis()]);
type Who = "imds v1" | "imds RESP" | "redis RESP";
const who: [Who, number, number, boolean][] = [
  ["imds v1", imds.port, imds.proc.pid, false],
  ["imds RESP", imds.port, imds.proc.pid, true],
  ["redis RESP", redis.port, redis.proc.pid, true],
];
const res = new Map<string, { ops: number[]; cpu: number[]; p99: number[] }>();
try {
  // Preload (and warm the JIT) over both protocols.
  load(imds.port, false, ["-n", "200000", "-P", "16", "--preload"]);
  load(imds.port, true, ["-n", "200000", "-P", "16"]);
  load(redis.port, true, ["-n", "200000", "-P", "16", "--preload"]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of [1, 16]) {
      for (let i = 0; i < who.length; i++) {
        const [name, port, pid, resp] = who[(i + round) % who.length]!;
        const before = cpuUs(pid);
        const r = load(port, resp, ["-n", String(COUNTS[p]), "-P", String(p)]);
        const cpu = (cpuUs(pid) - before) / COUNTS[p]!;
        const key = `${p}|${name}`;
        const e = res.get(key) ?? { ops: [], cpu: [], p99: [] };
        e.ops.push(r.ops);
        e.cpu.push(cpu);
        e.p99.push(r.p99);
        res.set(key, e);
        process.stderr.write(
          `round ${round + 1} P${p} ${name.padEnd(10)} ${r.ops} ops/s ${cpu.toFixed(2)} µs/req\n`,
        );
      }
    }
  }
} finally {
  await Promise.all([imds.stop(), redis.stop()]);
}

console.log(
  `bench/load.ts, 50 connections, GET:SET ${RATIO}, ${VALUE}-byte values, 100k keys, ${ROUNDS} rounds (medians)`,
);
console.log(
  "| pipeline | server | ops/s | p99 ms | server CPU µs/req | ops/s vs imds RESP | CPU vs imds RESP |",
);
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const p of [1, 16]) {
  const base = res.get(`${p}|imds RESP`)!;
  for (const [name] of who) {
    const e = res.get(`${p}|${name}`)!;
    console.log(
      `| P${p} | ${name} | ${Math.round(median(e.ops))} | ${median(e.p99).toFixed(2)} | ${median(e.cpu).toFixed(2)} | ${(median(e.ops) / median(base.ops)).toFixed(2)} | ${(median(e.cpu) / median(base.cpu)).toFixed(2)} |`,
    );
  }
}
