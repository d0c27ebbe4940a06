// The AOF side by side with redis-server 7.0 under the same settings:
//  1. SET (3-byte values, 100k keys) with 50 clients, pipeline 1 and 16, for appendfsync
//     no / everysec / always (each server on its own fresh AOF directory);
//  2. loading an AOF of 1M keys at start (the same file for both servers).
//
//   bun bench/aof.ts [--requests N] [--keys N] [--rounds N] [--load-only | --throughput-only]
//
// Runs alternate between the servers; figures are medians over the rounds. The machine has 2
// noisy cores shared with other work, and the disk's fsync latency is printed first (with
// `always`, ops/s well above 1/fsync-latency means fsyncs are shared: group commit).

import { closeSync, cpSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { encodeCommand } from "../test/helpers/resp.ts";
import { startImds, startRedis } from "../test/helpers/servers.ts";
import { removeDir, tempDir } from "../test/persistence/aof/helpers.ts";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : Number(process.argv[i + 1]);
}
const REQUESTS = arg("--requests", 100_000);
const LOAD_KEYS = arg("--keys", 1_000_000);
const ROUNDS = arg("--rounds", 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function redisBenchmark(port: number, pipeline: number, requests: number) {
  const p = Bun.spawn(
    [
      "redis-benchmark",
      "-p",
      String(port),
      "-c",
      "50",
      "-r",
      "100000",
      "-n",
      String(requests),
    ].concat(["-P", String(pipeline), "-t", "set", "--csv"]),
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const cols = out
    .trim()
    .split("\n")[1]!
    .split('","')
    .map((c) => c.replace(/"/g, ""));
  return { rps: Number(cols[1]), p50: Number(cols[4]), p99: Number(cols[6]) };
}

function fsyncLatencyMs(dir: string): number {
  const fd = openSync(join(dir, "probe"), "a");
  const b = new Uint8Array(64);
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) {
    writeSync(fd, b);
    fsyncSync(fd);
  }
  closeSync(fd);
  return (performance.now() - t0) / 50;
}

async function throughput(): Promise<void> {
  const scratch = tempDir("bench");
  console.log(`fsync latency on ${scratch}: ${fsyncLatencyMs(scratch).toFixed(2)} ms`);
  console.log(
    "| appendfsync | P | imds ops/s | redis ops/s | imds/redis | imds p50/p99 ms | redis p50/p99 ms |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const policy of ["no", "everysec", "always"]) {
    for (const pipeline of [1, 16]) {
      const res: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = {
        imds: { rps: [], p50: [], p99: [] },
        redis: { rps: [], p50: [], p99: [] },
      };
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? ["imds", "redis"] : ["redis", "imds"];
        for (const who of order) {
          const dir = tempDir(`bench-${who}`);
          const flags = ["--dir", dir, "--appendonly", "yes", "--appendfsync", policy];
          const s = who === "imds" ? await startImds(flags) : await startRedis(flags);
          const n = policy === "always" && pipeline === 1 ? Math.min(REQUESTS, 30_000) : REQUESTS;
          const r = await redisBenchmark(s.port, pipeline, n);
          await s.stop();
          removeDir(dir);
          res[who]!.rps.push(r.rps);
          res[who]!.p50.push(r.p50);
          res[who]!.p99.push(r.p99);
        }
      }
      const i = res.imds!;
      const r = res.redis!;
      const f = (x: number) => Math.round(x).toLocaleString("en-US");
      console.log(
        `| ${policy} | ${pipeline} | ${f(median(i.rps))} | ${f(median(r.rps))} | ${(median(i.rps) / median(r.rps)).toFixed(2)} | ${median(i.p50).toFixed(3)} / ${median(i.p99).toFixed(3)} | ${median(r.p50).toFixed(3)} / ${median(r.p99).toFixed(3)} |`,
      );
    }
  }
  removeDir(scratch);
}

/** An AOF directory of `keys` SETs (16-byte values), in Redis 7.0's layout. */
function writeAofDir(dir: string, keys: number): number {
  const d = join(dir, "appendonlydir");
  mkdirSync(d, { recursive: true });
  const fd = openSync(join(d, "appendonly.aof.1.base.aof"), "w");
  let size = 0;
  const parts: Uint8Array[] = [];
  let pending = 0;
  const flush = () => {
    const buf = Buffer.concat(parts);
    writeSync(fd, buf);
    size += buf.length;
    parts.length = 0;
    pending = 0;
  };
  parts.push(encodeCommand(["SELECT", "0"]));
  for (let i = 0; i < keys; i++) {
    const c = encodeCommand(["SET", `key:${i}`, `value-${String(i).padStart(10, "0")}`]);
    parts.push(c);
    pending += c.length;
    if (pending > 1 << 20) flush();
  }
  flush();
  closeSync(fd);
  const m = openSync(join(d, "appendonly.aof.manifest"), "w");
  writeSync(m, "file appendonly.aof.1.base.aof seq 1 type b\n");
  closeSync(m);
  return size;
}

async function loadTime(): Promise<void> {
  const src = tempDir("bench-load");
  const size = writeAofDir(src, LOAD_KEYS);
  console.log(
    `\nAOF load: ${LOAD_KEYS.toLocaleString("en-US")} keys, ${(size / 1e6).toFixed(1)} MB`,
  );
  console.log("| server | start with the AOF (s) | start without (s) | load (s) |");
  console.log("|---|---|---|---|");
  for (const who of ["imds", "redis"]) {
    const empty = tempDir("bench-empty");
    const t0 = performance.now();
    let s = who === "imds" ? await startImds(["--dir", empty]) : await startRedis(["--dir", empty]);
    const base = (performance.now() - t0) / 1000;
    await s.stop();
    const dir = tempDir(`bench-load-${who}`);
    cpSync(src, dir, { recursive: true });
    const t1 = performance.now();
    const flags = ["--dir", dir, "--appendonly", "yes"];
    s = who === "imds" ? await startImds(flags) : await startRedis(flags);
    const total = (performance.now() - t1) / 1000;
    const check = Bun.spawnSync(["redis-cli", "-p", String(s.port), "DBSIZE"]).stdout.toString();
    await s.stop();
    if (Number(check) !== LOAD_KEYS) throw new Error(`${who} loaded ${check} keys`);
    console.log(
      `| ${who} | ${total.toFixed(2)} | ${base.toFixed(2)} | ${(total - base).toFixed(2)} |`,
    );
    removeDir(dir);
    removeDir(empty);
  }
  removeDir(src);
}

if (!process.argv.includes("--load-only")) await throughput();
if (!process.argv.includes("--throughput-only")) await loadTime();
