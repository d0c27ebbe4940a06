// Does a second core help imds here? The upper bound of keyspace sharding: two independent imds
// processes sharing one port through SO_REUSEPORT (bench/reuseport-server.ts), each with its own
// keyspace, against one imds process and redis-server, with redis-benchmark (-c 50, -r 100000,
// d=3) in the same run, alternating. Not correct semantics (a GET can land on the shard that did
// not see the SET): if even this does not beat one process, real sharding (which must also route
// keys and merge replies) cannot win on this machine.
//
//   bun bench/multicore.ts [--rounds N] [--requests N] [--tests set,get] [--pipelines 1,16] [--pin]
//
// --pin: every server thread on CPU 1 and redis-benchmark on CPU 0 (taskset), i.e. what a quiet
// 2-core machine offers a server while redis-benchmark takes a core: one core for the shards.
//
// Reports ops/s (redis-benchmark's figure) and the servers' CPU per request (utime + stime of
// every server process from /proc, summed).

import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { type Running, startImdsCommand, startRedis } from "../test/helpers/servers.ts";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : process.argv[i + 1]!;
}
const ROUNDS = Number(arg("--rounds", "3"));
const REQUESTS = Number(arg("--requests", "300000"));
const TESTS = arg("--tests", "set,get").split(",");
const PIPELINES = arg("--pipelines", "1,16").split(",").map(Number);
const TICK_US = 1e6 / 100;
const PIN = process.argv.includes("--pin");

function cpuUs(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    t += (Number(f[11]) + Number(f[12])) * TICK_US;
  }
  return t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** redis-benchmark's ops/s and its own CPU per request (µs). */
function benchmark(port: number, test: string, p: number, n: number): [number, number] {
  const r = Bun.spawnSync(
    [
      ...(PIN ? ["taskset", "-c", "0"] : []),
      "redis-benchmark",
      "-p",
      String(port),
      "-t",
      test,
      "-c",
      "50",
      "-P",
      String(p),
      "-r",
      "100000",
      "-n",
      String(n),
      "-d",
      "3",
      "-q",
      "--csv",
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 120_000 },
  );
  const line = r.stdout
    .toString()
    .split("\n")
    .find((l) => l.startsWith(`"${test.toUpperCase()}"`));
  const ops = line ? Number(line.split(",")[1]!.replaceAll('"', "")) : Number.NaN;
  return [ops, Number(r.resourceUsage?.cpuTime.total ?? 0n) / n];
}

async function start(who: string): Promise<Running[]> {
  if (who === "redis") return [await startRedis()];
  const cmd = (port: number) => [
    "bun",
    `${import.meta.dir}/reuseport-server.ts`,
    "--port",
    String(port),
    "--save",
    "",
    "--loglevel",
    "warning",
  ];
  const first = await startImdsCommand(cmd(0));
  if (who === "imds x1") return [first];
  return [first, await startImdsCommand(cmd(first.port))];
}

const WHO = ["imds x1", "imds x2", "redis"];
const res = new Map<string, { ops: number[]; cpu: number[]; client: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < WHO.length; i++) {
    const who = WHO[(i + round) % WHO.length]!;
    const servers = await start(who);
    const port = servers[0]!.port;
    const pids = servers.map((s) => s.proc.pid);
    if (PIN) for (const pid of pids) Bun.spawnSync(["taskset", "-a", "-cp", "1", String(pid)]);
    try {
      benchmark(port, "set", 16, 200_000); // warm up (JIT), both shards
      for (const p of PIPELINES) {
        for (const t of TESTS) {
          const n = p === 1 ? Math.floor(REQUESTS / 3) : REQUESTS;
          const c0 = cpuUs(pids);
          const [ops, client] = benchmark(port, t, p, n);
          const cpu = (cpuUs(pids) - c0) / n;
          const key = `${t.toUpperCase()} P${p}|${who}`;
          const e = res.get(key) ?? { ops: [], cpu: [], client: [] };
          e.ops.push(ops);
          e.cpu.push(cpu);
          e.client.push(client);
          res.set(key, e);
          process.stderr.write(
            `round ${round + 1} ${who.padEnd(8)} ${t} P${p} ${Math.round(ops)} ops/s ${cpu.toFixed(2)} µs/req\n`,
          );
        }
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
}

console.log(
  `redis-benchmark -c 50 -r 100000 -d 3, ${ROUNDS} rounds alternating, medians${PIN ? ", servers pinned to CPU 1, redis-benchmark to CPU 0" : ""}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log(
  "| test | imds x1 ops/s | imds x2 (reusePort) ops/s | redis ops/s | x2/x1 | x1/redis | x2/redis | CPU µs/req x1 | x2 (both) | redis | redis-benchmark CPU µs/req (x1 run) |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const p of PIPELINES) {
  for (const t of TESTS) {
    const k = `${t.toUpperCase()} P${p}`;
    const o = (w: string) => median(res.get(`${k}|${w}`)!.ops);
    const c = (w: string) => median(res.get(`${k}|${w}`)!.cpu);
    console.log(
      `| ${k} | ${Math.round(o("imds x1"))} | ${Math.round(o("imds x2"))} | ${Math.round(o("redis"))} | ${(o("imds x2") / o("imds x1")).toFixed(2)} | ${(o("imds x1") / o("redis")).toFixed(2)} | ${(o("imds x2") / o("redis")).toFixed(2)} | ${c("imds x1").toFixed(2)} | ${c("imds x2").toFixed(2)} | ${c("redis").toFixed(2)} | ${median(res.get(`${k}|imds x1`)!.client).toFixed(2)} |`,
    );
  }
}
