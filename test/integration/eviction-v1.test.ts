// Eviction on the real server over the original protocol: a pipelined flood of large writes,
// ten times maxmemory, never leaves more data than the limit; noeviction answers OOM.

import { afterAll, expect, test } from "bun:test";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { RawConn } from "../helpers/raw.ts";
import { type Running, startImds } from "../helpers/servers.ts";

const running: Running[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

const LIMIT = 8 * 1024 * 1024;

test("allkeys-lru: a pipelined flood of 10x maxmemory keeps the data under the limit", async () => {
  const srv = await startImds(["--maxmemory", String(LIMIT), "--maxmemory-policy", "allkeys-lru"]);
  running.push(srv);
  const c = await RawConn.open(srv.port);
  const size = 100_000;
  const value = new Uint8Array(size).fill(120);
  const n = Math.ceil((10 * LIMIT) / size);
  // One burst per 16 requests (1.6 MB), replies read after each burst. The input buffer a burst
  // fills counts toward used_memory too (as in Redis), so bursts stay well under the limit.
  const batch = 16;
  for (let i = 0; i < n; i += batch) {
    const parts: Uint8Array[] = [];
    const m = Math.min(batch, n - i);
    for (let j = 0; j < m; j++) parts.push(encodeV1Request(["set", `key:${i + j}`, value]));
    await c.send(Buffer.concat(parts));
    for (let j = 0; j < m; j++) {
      const r = await c.readV1();
      expect(r.status).toBe(0);
    }
  }
  let alive = 0;
  for (let i = 0; i < n; i++) {
    await c.send(encodeV1Request(["get", `key:${i}`]));
    const r = await c.readV1();
    if (r.status === 0) {
      expect(r.payload.length).toBe(size);
      alive++;
    }
  }
  c.close();
  // Eviction runs before each write, so the last write may overshoot by its own value
  // (docs/EXPIRY.md, "Margin").
  expect(alive * size).toBeLessThanOrEqual(LIMIT + size);
  expect(alive * size).toBeGreaterThan(LIMIT / 4); // it evicts what it must, not everything
  // The most recent writes survive under LRU.
  expect(alive).toBeGreaterThan(10);
}, 60_000);

test("noeviction: writes past the limit get Redis's OOM error; reads and DEL still work", async () => {
  const srv = await startImds(["--maxmemory", String(LIMIT), "--maxmemory-policy", "noeviction"]);
  running.push(srv);
  const c = await RawConn.open(srv.port);
  const value = new Uint8Array(100_000);
  let oom = 0;
  let i = 0;
  for (; i < 200 && oom === 0; i++) {
    await c.send(encodeV1Request(["set", `k${i}`, value]));
    const r = await c.readV1();
    if (r.status === 2) {
      expect(new TextDecoder().decode(r.payload)).toBe(
        "OOM command not allowed when used memory > 'maxmemory'.",
      );
      oom++;
    }
  }
  expect(oom).toBe(1);
  expect(i).toBeGreaterThan(50);
  await c.send(encodeV1Request(["get", "k0"]));
  expect((await c.readV1()).status).toBe(0);
  await c.send(encodeV1Request(["del", "k0"]));
  expect((await c.readV1()).status).toBe(0);
  await c.send(encodeV1Request(["set", "k0", "small"]));
  expect((await c.readV1()).status).toBe(0);
  c.close();
}, 60_000);
