// Bytes per element of a 1M-element list built through the command layer (RPUSH, 1000
// elements per command), imds server vs redis-server 7.0 side by side: INFO used_memory and
// used_memory_rss deltas. "xxx" (redis-benchmark's value) and distinct 16-byte values.
// (bench/list-memory.ts measures the List structure itself in process.)
//
//   bun bench/list-server-memory.ts [elements=1000000]

import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const PER_CMD = 1000;

async function mem(c: RespConn): Promise<[number, number]> {
  const info = parseInfo(String(await c.call("INFO", "memory")));
  return [Number(info.get("used_memory")), Number(info.get("used_memory_rss"))];
}

async function measure(s: Running, key: string, value: (i: number) => string) {
  const c = await RespConn.open(s.port);
  await c.call("DEL", key);
  const [u0, r0] = await mem(c);
  for (let b = 0; b < N / PER_CMD; b += 10) {
    const cmds: string[][] = [];
    for (let k = b; k < Math.min(b + 10, N / PER_CMD); k++) {
      const cmd = ["RPUSH", key];
      for (let i = 0; i < PER_CMD; i++) cmd.push(value(k * PER_CMD + i));
      cmds.push(cmd);
    }
    await c.pipeline(cmds, 60_000);
  }
  const len = Number(await c.call("LLEN", key));
  const [u1, r1] = await mem(c);
  c.close();
  return { len, used: (u1 - u0) / N, rss: (r1 - r0) / N };
}

const value16 = (i: number) => `v:${i.toString(36).padStart(14, "-")}`;
const [imds, redis] = await Promise.all([startImds(["--loglevel", "warning"]), startRedis()]);
try {
  console.log(
    `| value | imds used_memory B/elem | redis used_memory B/elem | imds RSS | redis RSS |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [label, key, fn] of [
    ['"xxx"', "lx", () => "xxx"],
    ["16 B distinct", "l16", value16],
  ] as const) {
    const a = await measure(imds, key, fn);
    const b = await measure(redis, key, fn);
    if (a.len !== N || b.len !== N) throw new Error(`length ${a.len} / ${b.len}`);
    console.log(
      `| ${label} | ${a.used.toFixed(2)} | ${b.used.toFixed(2)} | ${a.rss.toFixed(1)} | ${b.rss.toFixed(1)} |`,
    );
  }
} finally {
  await imds.stop();
  await redis.stop();
}
