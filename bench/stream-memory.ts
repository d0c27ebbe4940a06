// Memory per stream entry: imds's Stream vs redis-server 7.0, 1M entries of 2 small fields
// (XADD s * f1 v<7 digits> f2 w<7 digits>), node limits at Redis's defaults.
//   bun bench/stream-memory.ts [entries]
// First the Stream structure alone, then imds and redis-server through the commands (XADD over
// RESP, INFO used_memory before and after). Starts both servers on random ports and stops them.

import { DEFAULT_NODE_LIMITS, Stream } from "../src/store/stream.ts";
import { StreamId } from "../src/store/stream-id.ts";
import { RespConn } from "../test/helpers/resp.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const enc = new TextEncoder();
const value = (p: string, i: number) => p + String(i).padStart(7, "0");

// ---- imds ----
Bun.gc(true);
const heap0 = process.memoryUsage().heapUsed;
const rss0 = process.memoryUsage().rss;
const s = new Stream();
const id = new StreamId();
const buf = new Uint8Array(2 + 8 + 2 + 8);
buf.set(enc.encode("f1"), 0);
buf.set(enc.encode("f2"), 10);
const args = { buf, offs: new Int32Array([0, 2, 10, 12]), lens: new Int32Array([2, 8, 2, 8]) };
let now = Date.now();
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  buf.set(enc.encode(value("v", i)), 2);
  buf.set(enc.encode(value("w", (i * 7) % 1_000_000)), 12);
  if (i % 400 === 0) now++;
  s.resolveAddId(null, true, now, id);
  s.append(id, args, 0, 2, DEFAULT_NODE_LIMITS);
}
const ms = performance.now() - t0;
Bun.gc(true);
const heap = process.memoryUsage().heapUsed - heap0;
const rss = process.memoryUsage().rss - rss0;
console.log(
  `imds:  ${N} entries in ${ms.toFixed(0)} ms, memoryBytes ${(s.memoryBytes() / N).toFixed(1)} B/entry, ` +
    `heap delta ${(heap / N).toFixed(1)} B/entry, rss delta ${(rss / N).toFixed(1)} B/entry, ${s.nodeCount} nodes`,
);

// ---- both servers through the commands: XADD over RESP, used_memory before and after ----

/** Start a server, connect, and report used_memory per entry after N XADDs. */
async function viaCommands(label: string, start: () => Promise<Running>): Promise<void> {
  const server = await start();
  try {
    const conn = await RespConn.open(server.port);
    const used = async () => {
      const info = String(await conn.call("INFO", "memory"));
      return Number(/used_memory:(\d+)/.exec(info)![1]);
    };
    const before = await used();
    const BATCH = 10_000;
    const t = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const cmds: string[][] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        cmds.push(["XADD", "s", "*", "f1", value("v", j), "f2", value("w", (j * 7) % 1_000_000)]);
      }
      await conn.values(cmds, 60_000);
    }
    const loadMs = performance.now() - t;
    const after = await used();
    let usage = "";
    if (label === "redis") {
      const u = Number(await conn.call("MEMORY", "USAGE", "s", "SAMPLES", "0"));
      usage = `, MEMORY USAGE ${(u / N).toFixed(1)} B/entry`;
    }
    console.log(
      `${label} (XADD over RESP): used_memory delta ${((after - before) / N).toFixed(1)} B/entry${usage}, load ${loadMs.toFixed(0)} ms`,
    );
    conn.close();
  } finally {
    await server.stop();
  }
}

await viaCommands("imds", () => startImds());
await viaCommands("redis", () => startRedis());
