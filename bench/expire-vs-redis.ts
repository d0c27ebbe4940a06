// Expiry and eviction, imds vs redis-server, measured by redis-benchmark against each in turn
// with the same settings:
//   1. SET with a TTL on every key (SET key v EX 3600), random keys
//   2. GET over keys that all carry a TTL
//   3. SET with maxmemory reached (allkeys-lru, then allkeys-lfu, allkeys-random): every write
//      evicts
//
//   bun bench/expire-vs-redis.ts [requests=1000000] [pipeline=16] [clients=50] [rounds=3]
//
// Each server is started fresh per case and round on a free loopback port and stopped after it;
// rounds alternate which server goes first; the table shows medians (the machine is shared).

import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const P = Number(process.argv[3] ?? 16);
const C = Number(process.argv[4] ?? 50);
const ROUNDS = Number(process.argv[5] ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const KEYS = 100_000;
const VALUE = "v".repeat(100);

async function benchmark(port: number, args: string[]): Promise<number> {
  const proc = Bun.spawn(
    ["redis-benchmark", "-p", String(port), "-c", String(C), "-P", String(P), "--csv", ...args],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const line = out.trim().split("\n").at(-1) ?? "";
  const rps = Number(line.split(",")[1]?.replaceAll('"', ""));
  if (!Number.isFinite(rps)) throw new Error(`redis-benchmark said: ${out}`);
  return rps;
}

async function info(port: number): Promise<Map<string, string>> {
  const c = await RespConn.open(port);
  try {
    const r = await c.call("info");
    return typeof r === "string" ? parseInfo(r) : new Map();
  } finally {
    c.close();
  }
}

interface Case {
  name: string;
  flags: string[];
  prepare: string[][]; // redis-benchmark argument lists run before measuring
  measure: string[];
}

const setEx = ["-r", String(KEYS), "SET", "key:__rand_int__", VALUE, "EX", "3600"];
const evictFlags = (policy: string) => ["--maxmemory", "16mb", "--maxmemory-policy", policy];
const setRandom = ["-t", "set", "-r", "10000000", "-d", "100"];

const CASES: Case[] = [
  {
    name: "SET k v EX 3600 (TTL on every key)",
    flags: [],
    prepare: [],
    measure: ["-n", String(N), ...setEx],
  },
  {
    name: "GET, every key has a TTL",
    flags: [],
    prepare: [["-n", String(KEYS * 3), ...setEx]],
    measure: ["-n", String(N), "-t", "get", "-r", String(KEYS)],
  },
  ...["allkeys-lru", "allkeys-lfu", "allkeys-random"].map((p) => ({
    name: `SET at maxmemory 16mb, ${p} (evicts on every write)`,
    flags: evictFlags(p),
    prepare: [["-n", "300000", ...setRandom]],
    measure: ["-n", String(N), ...setRandom],
  })),
];

const rows: string[] = [];
for (const c of CASES) {
  const rps: [number[], number[]] = [[], []];
  const last: string[] = ["", ""];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const srv: Running = await (which === 0 ? startImds : startRedis)(c.flags);
      try {
        for (const p of c.prepare) await benchmark(srv.port, p);
        const before = await info(srv.port);
        rps[which]!.push(await benchmark(srv.port, c.measure));
        const after = await info(srv.port);
        const evicted =
          Number(after.get("evicted_keys") ?? Number.NaN) - Number(before.get("evicted_keys") ?? 0);
        last[which] =
          `${evicted.toLocaleString("en-US")} | ${after.get("used_memory_human") ?? "?"}`;
      } finally {
        await srv.stop();
      }
    }
  }
  const fmt = (x: number[]) => Math.round(median(x)).toLocaleString("en-US");
  const row = `| ${c.name} | ${fmt(rps[0])} | ${last[0]} | ${fmt(rps[1])} | ${last[1]} |`;
  console.log(
    row,
    `imds ${rps[0].map(Math.round).join(" ")} redis ${rps[1].map(Math.round).join(" ")}`,
  );
  rows.push(row);
}
console.log(
  `\nredis-benchmark -c ${C} -P ${P}, ${N.toLocaleString("en-US")} requests per case, median of ${ROUNDS}\n` +
    "| Case | imds req/s | imds evicted | imds used_memory | redis req/s | redis evicted | redis used_memory |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
    rows.join("\n"),
);
