// Bytes per small sorted set, imds vs redis-server: 100k keys of 3 members (8-byte members),
// loaded over RESP with `redis-cli --pipe`; reports INFO used_memory and used_memory_rss deltas
// per set from each server's own accounting. Then the same sets in this process through the
// real command path (an in-process Server), with a full GC before and after: JS heap bytes per
// set (Bun's heapUsed), the real cost of the objects, which RSS deltas only blur.
//
//   bun bench/zset-small-memory.ts [sets=100000]

import { MODE_RESP2 } from "../src/protocol/reply.ts";
import { InProc } from "../test/helpers/inproc.ts";
import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

const SETS = Number(process.argv[2] ?? 100_000);

function cmd(...a: string[]): string {
  return `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("")}`;
}

async function info(port: number): Promise<{ used: number; rss: number }> {
  const c = await RespConn.open(port);
  try {
    const m = parseInfo(String(await c.call("INFO", "memory")));
    return { used: Number(m.get("used_memory")), rss: Number(m.get("used_memory_rss")) };
  } finally {
    c.close();
  }
}

async function measure(name: string, s: Running): Promise<void> {
  try {
    const before = await info(s.port);
    const parts: string[] = [];
    for (let i = 0; i < SETS; i++) {
      const k = `zs:${i}`;
      parts.push(cmd("ZADD", k, "1", "member01", "2", "member02", "3", "member03"));
    }
    const p = Bun.spawn(["redis-cli", "-p", String(s.port), "--pipe"], {
      stdin: new TextEncoder().encode(parts.join("")),
      stdout: "pipe",
      stderr: "pipe",
    });
    await p.exited;
    const after = await info(s.port);
    const used = (after.used - before.used) / SETS;
    const rss = (after.rss - before.rss) / SETS;
    console.log(
      `${name.padEnd(6)} used_memory/set ${used.toFixed(0).padStart(5)} B   rss/set ${rss.toFixed(0).padStart(5)} B`,
    );
  } finally {
    await s.stop();
  }
}

console.log(`${SETS} sorted sets of 3 members (8-byte members, ZADD over RESP)`);
await measure("imds", await startImds());
if (Bun.which("redis-server") !== null) await measure("redis", await startRedis());

{
  const h = new InProc(MODE_RESP2);
  Bun.gc(true);
  const before = process.memoryUsage();
  const usedBefore = h.server.keyspace.usedBytes();
  for (let i = 0; i < SETS; i++)
    h.exec("ZADD", `zs:${i}`, 1, "member01", 2, "member02", 3, "member03");
  Bun.gc(true);
  const after = process.memoryUsage();
  const per = (a: number, b: number) => ((a - b) / SETS).toFixed(0).padStart(5);
  console.log(
    `in-process: used_memory/set ${per(h.server.keyspace.usedBytes(), usedBefore)} B   JS heap/set ${per(after.heapUsed, before.heapUsed)} B   rss/set ${per(after.rss, before.rss)} B`,
  );
}
