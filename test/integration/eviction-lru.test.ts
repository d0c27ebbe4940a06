// LRU quality in the style of Redis's: fill to maxmemory, touch a hot set, overfill by half the
// capacity, count how much of the hot set survived. imds and redis-server run side by side with
// the same settings (allkeys-lru, maxmemory-samples 5); imds must do at least about as well.

import { afterAll, expect, test } from "bun:test";
import { RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const skip = redisMissing("the LRU quality comparison (test/integration/eviction-lru.test.ts)");
const running: Running[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

const FLAGS = [
  "--maxmemory",
  "8mb",
  "--maxmemory-policy",
  "allkeys-lru",
  "--maxmemory-samples",
  "5",
];
const VALUE = "x".repeat(1000);
const BATCH = 500;

async function exists(c: RespConn, keys: string[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < keys.length; i += BATCH) {
    const r = await c.values(keys.slice(i, i + BATCH).map((k) => ["exists", k]));
    for (const x of r) out.push(x === 1);
  }
  return out;
}

/** Returns the share of the hot set that survived an overfill of half the capacity. */
async function hotSurvival(port: number): Promise<{ survived: number; capacity: number }> {
  const c = await RespConn.open(port);
  // Fill until eviction starts (one of the first keys is gone), bounded.
  let n = 0;
  for (let round = 0; round < 100; round++) {
    const cmds: string[][] = [];
    for (let i = 0; i < BATCH; i++) cmds.push(["set", `k${n++}`, VALUE]);
    await c.values(cmds);
    const first = await exists(c, ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"]);
    if (first.includes(false)) break;
  }
  const all = Array.from({ length: n }, (_, i) => `k${i}`);
  const flags = await exists(c, all);
  const present = all.filter((_, i) => flags[i]);
  const capacity = present.length;
  // Redis's LRU clock has 1 s resolution: let a second pass between phases on both servers.
  await Bun.sleep(1100);
  const hot = present.filter((_, i) => i % 10 === 0);
  for (let i = 0; i < hot.length; i += BATCH) {
    await c.values(hot.slice(i, i + BATCH).map((k) => ["get", k]));
  }
  await Bun.sleep(1100);
  const fresh: string[][] = [];
  for (let i = 0; i < capacity / 2; i++) fresh.push(["set", `new${i}`, VALUE]);
  for (let i = 0; i < fresh.length; i += BATCH) await c.values(fresh.slice(i, i + BATCH));
  const after = await exists(c, hot);
  c.close();
  return { survived: after.filter(Boolean).length / hot.length, capacity };
}

test.skipIf(skip)(
  "allkeys-lru keeps the hot set at least as well as redis-server",
  async () => {
    const [imds, redis] = await Promise.all([startImds(FLAGS), startRedis(FLAGS)]);
    running.push(imds, redis);
    const [a, b] = await Promise.all([hotSurvival(imds.port), hotSurvival(redis.port)]);
    console.log(
      `LRU hot-set survival: imds ${(a.survived * 100).toFixed(1)}% (capacity ${a.capacity} keys), ` +
        `redis ${(b.survived * 100).toFixed(1)}% (capacity ${b.capacity} keys)`,
    );
    expect(a.capacity).toBeGreaterThan(2000);
    expect(a.survived).toBeGreaterThan(0.9);
    expect(a.survived).toBeGreaterThanOrEqual(b.survived - 0.05);
  },
  60_000,
);
