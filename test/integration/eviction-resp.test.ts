// maxmemory on the real server over RESP: INFO's used_memory stays within the documented margin
// of the limit under a pipelined flood of 10x the limit, CONFIG SET maxmemory applies at once
// (the cron evicts without writes), and the INFO fields are Redis's.

import { afterAll, expect, test } from "bun:test";
import { parseInfo, RespConn } from "../helpers/resp.ts";
import { type Running, startImds } from "../helpers/servers.ts";

const running: Running[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

const MB = 1024 * 1024;

test("allkeys-lru: used_memory stays at the limit while writing 10x it", async () => {
  const srv = await startImds(["--maxmemory", "16mb", "--maxmemory-policy", "allkeys-lru"]);
  running.push(srv);
  const c = await RespConn.open(srv.port);
  const info = async () => parseInfo((await c.call("info", "everything")) as string);
  const first = await info();
  expect(first.get("maxmemory")).toBe(String(16 * MB));
  expect(first.get("maxmemory_human")).toBe("16.00M");
  expect(first.get("maxmemory_policy")).toBe("allkeys-lru");
  const size = 10_000;
  const value = "x".repeat(size);
  const batch = 50; // 500 KB per burst
  let worst = 0;
  for (let i = 0; i < (10 * 16 * MB) / size; i += batch) {
    const cmds: string[][] = [];
    for (let j = i; j < i + batch; j++) cmds.push(["set", `key:${j}`, value]);
    const replies = await c.values(cmds);
    expect(replies.every((r) => r === "OK")).toBe(true);
    const used = Number((await info()).get("used_memory"));
    worst = Math.max(worst, used - 16 * MB);
  }
  console.log(`worst overshoot over maxmemory: ${worst} bytes`);
  const end = await info();
  expect(Number(end.get("evicted_keys"))).toBeGreaterThan(10_000);
  // Margin: the last write's value plus the client buffers since the last cron tick (a burst).
  expect(worst).toBeLessThan(size + 1 * MB);
  expect(Number(end.get("used_memory_peak"))).toBeLessThan(16 * MB + size + 1 * MB);
  expect(Number(end.get("used_memory"))).toBeGreaterThan(8 * MB);
  // Lower the limit: the cron evicts down to it with no further writes.
  expect(await c.call("config", "set", "maxmemory", "4mb")).toBe("OK");
  const deadline = Date.now() + 5000;
  let used = Number.POSITIVE_INFINITY;
  while (Date.now() < deadline) {
    used = Number((await info()).get("used_memory"));
    if (used <= 4 * MB) break;
    await Bun.sleep(50);
  }
  expect(used).toBeLessThanOrEqual(4 * MB);
  c.close();
}, 60_000);

test("volatile-lru with no TTL keys: OOM error, and INFO shows what was refused", async () => {
  const srv = await startImds(["--maxmemory", "2mb", "--maxmemory-policy", "volatile-lru"]);
  running.push(srv);
  const c = await RespConn.open(srv.port);
  const value = "x".repeat(10_000);
  let oom = "";
  for (let i = 0; i < 1000 && oom === ""; i++) {
    const r = await c.call("set", `k${i}`, value);
    if (r !== "OK") oom = (r as { message: string }).message;
  }
  expect(oom).toBe("OOM command not allowed when used memory > 'maxmemory'.");
  // A key with a TTL can be evicted to make room; reads and DEL work regardless.
  expect(await c.call("get", "k0")).toBe(value);
  expect(await c.call("expire", "k0", 1000)).toBe(1);
  expect(await c.call("set", "fresh", "v")).toBe("OK");
  expect(await c.call("exists", "k0")).toBe(0);
  c.close();
}, 30_000);
