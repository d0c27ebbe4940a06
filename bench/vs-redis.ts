// Side by side with redis-server: the same redis-benchmark workloads against
// imds and redis-server 7.0, each started here on a free port. Runs alternate
// between the two servers (and which goes first) and each figure is the
// median over the rounds. Prints ops/s, p50/p99 latency and imds/redis.
//
//   bun run bench:redis                 every family, 3 rounds (~4-5 min on 2 cores)
//   bun run bench:redis --quick         1 round, a quarter of the requests
//   bun run bench:redis --family core --rounds 5 --only GET
//
// Workloads come from bench/workloads/index.ts (one file per family).

import { cpus, loadavg, totalmem } from "node:os";
import { RespRawConn } from "../test/helpers/resp-conn.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";
import { type Workload, workloads } from "./workloads/index.ts";

const CLIENTS = 50;
const KEYSPACE = 100_000;
const RUN_TIMEOUT_MS = 120_000;

interface Options {
  quick: boolean;
  rounds: number;
  only: string;
  family: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, rounds: 3, only: "", family: "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") o.quick = true;
    else if (a === "--rounds") o.rounds = Math.max(1, Number(argv[++i]));
    else if (a === "--only") o.only = argv[++i] ?? "";
    else if (a === "--family") o.family = argv[++i] ?? "";
    else
      throw new Error(`unknown option ${a} (use --quick, --rounds N, --only TEXT, --family NAME)`);
  }
  if (o.quick && !argv.includes("--rounds")) o.rounds = 1;
  return o;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
}

/** One redis-benchmark run; the CSV row of its single test. */
async function runBenchmark(port: number, w: Workload, requests: number): Promise<Sample> {
  const args = [
    "redis-benchmark",
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-c",
    String(CLIENTS),
    "-r",
    String(KEYSPACE),
    "-n",
    String(requests),
    "--csv",
    ...w.args,
  ];
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => p.kill(9), RUN_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0 || /error/i.test(err)) {
    throw new Error(`redis-benchmark failed (${w.name}, port ${port}): ${err.trim() || out}`);
  }
  // -t lrange_100 first runs "LPUSH (needed to benchmark LRANGE)": the test is the last row.
  const rows = out
    .trim()
    .split("\n")
    .slice(1)
    .filter((r) => !r.includes("(needed to benchmark"));
  if (rows.length !== 1) throw new Error(`expected one CSV row for ${w.name}, got: ${out}`);
  const cols = rows[0]!.split('","').map((c) => c.replace(/"/g, ""));
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  return { rps: Number(cols[1]), p50: Number(cols[4]), p99: Number(cols[6]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function setup(port: number, w: Workload): Promise<void> {
  if (!w.setup || w.setup.length === 0) return;
  const c = await RespRawConn.open(port);
  try {
    // In chunks: a spread of 100k+ commands overflows the call stack.
    for (let i = 0; i < w.setup.length; i += 10_000) {
      const replies = await c.call(...w.setup.slice(i, i + 10_000));
      const bad = replies.find((r) => r.startsWith("-"));
      if (bad) throw new Error(`setup of ${w.name} failed: ${bad.trim()}`);
    }
  } finally {
    c.close();
  }
}

function version(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return r.stdout.toString().trim().split("\n")[0] ?? "?";
}

const fmtOps = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n: number) => n.toFixed(3);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (Bun.which("redis-server") === null || Bun.which("redis-benchmark") === null) {
    console.error(
      "bench:redis needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)",
    );
    process.exit(2);
  }
  const chosen = workloads.filter(
    (w) =>
      (opts.only === "" || w.name.includes(opts.only)) &&
      (opts.family === "" || w.family === opts.family) &&
      !(opts.quick && w.slow),
  );
  const started = Date.now();
  const [imds, redis] = await Promise.all([startImds(["--loglevel", "warning"]), startRedis()]);
  const servers: [string, Running][] = [
    ["imds", imds],
    ["redis", redis],
  ];
  const samples = new Map<string, { imds: Sample[]; redis: Sample[] }>();
  try {
    for (const w of chosen) {
      for (const [, s] of servers) await setup(s.port, w);
      samples.set(w.name, { imds: [], redis: [] });
    }
    // Warm up both (imds's JIT, both allocators) with a run that is not recorded.
    const warm: Workload = {
      name: "warmup",
      family: "core",
      args: ["-t", "set", "-P", "16"],
      requests: 200_000,
    };
    for (const [, s] of servers)
      await runBenchmark(s.port, warm, opts.quick ? 50_000 : warm.requests);
    for (let round = 0; round < opts.rounds; round++) {
      for (const w of chosen) {
        const requests = opts.quick ? Math.max(1000, Math.floor(w.requests / 4)) : w.requests;
        // Alternate which server goes first, so neither always runs warm or cold.
        const order = (round + chosen.indexOf(w)) % 2 === 0 ? servers : [...servers].reverse();
        for (const [name, s] of order) {
          const sample = await runBenchmark(s.port, w, requests);
          samples.get(w.name)![name as "imds" | "redis"].push(sample);
          process.stderr.write(
            `round ${round + 1}/${opts.rounds} ${w.name.padEnd(16)} ${name.padEnd(5)} ${fmtOps(sample.rps).padStart(11)} ops/s  p50 ${fmtMs(sample.p50)}  p99 ${fmtMs(sample.p99)}\n`,
          );
        }
      }
    }
  } finally {
    await Promise.all([imds.stop(), redis.stop()]);
  }

  const cpu = cpus();
  const lines: string[] = [];
  lines.push(
    `Date: ${new Date().toISOString().slice(0, 10)}; machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
      `Bun ${Bun.version}; ${version(["redis-server", "--version"]).replace(/ sha=.*$/, "")}; ` +
      `load average at the end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}.`,
  );
  lines.push(
    `Command: \`bun run bench:redis${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}\` — redis-benchmark -c ${CLIENTS} -r ${KEYSPACE}, ` +
      `${opts.rounds} round(s) alternating servers, medians; took ${Math.round((Date.now() - started) / 1000)} s.`,
  );
  lines.push("");
  lines.push(
    "| workload | imds ops/s | redis ops/s | imds/redis | imds p50 / p99 ms | redis p50 / p99 ms |",
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const w of chosen) {
    const s = samples.get(w.name)!;
    const a = {
      rps: median(s.imds.map((x) => x.rps)),
      p50: median(s.imds.map((x) => x.p50)),
      p99: median(s.imds.map((x) => x.p99)),
    };
    const b = {
      rps: median(s.redis.map((x) => x.rps)),
      p50: median(s.redis.map((x) => x.p50)),
      p99: median(s.redis.map((x) => x.p99)),
    };
    lines.push(
      `| ${w.name} | ${fmtOps(a.rps)} | ${fmtOps(b.rps)} | ${(a.rps / b.rps).toFixed(2)} | ${fmtMs(a.p50)} / ${fmtMs(a.p99)} | ${fmtMs(b.p50)} / ${fmtMs(b.p99)} |`,
    );
  }
  console.log(lines.join("\n"));
}

await main();
