// Pipelined reads go through Client.prefetchKeys (argument 1 of up to 32 requests prefetched
// before any executes). It must only read: the same pipelines, each sent as one write, get
// byte-identical replies from imds and redis-server, including batches where argument 1 is not
// a key, where SELECT changes the database mid-batch, where a hot key repeats, where keys are
// new, deleted, with a TTL or too long to prefetch, and where the keyspace grows past a rehash.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Arg, RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const skip = redisMissing("pipeline prefetch differential tests");

let imds: Running;
let redis: Running;
beforeAll(async () => {
  if (skip) return;
  [imds, redis] = await Promise.all([startImds(["--save", ""]), startRedis()]);
});
afterAll(async () => {
  await Promise.all([imds?.stop(), redis?.stop()]);
});

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** One random pipeline of 1-40 requests (more than the 32 prefetched). */
function batch(r: () => number): Arg[][] {
  const out: Arg[][] = [];
  const n = 1 + Math.floor(r() * 40);
  const key = () => `key:${Math.floor(r() * 3000)}`;
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.3) out.push(["SET", key(), `v${Math.floor(r() * 1000)}`]);
    else if (x < 0.55) out.push(["GET", key()]);
    else if (x < 0.62) out.push(["DEL", key()]);
    else if (x < 0.68) out.push(["HSET", "hot", `f${Math.floor(r() * 50)}`, "x"]);
    else if (x < 0.72) out.push(["INCR", `n:${Math.floor(r() * 20)}`]);
    else if (x < 0.75) out.push(["SELECT", String(Math.floor(r() * 2))]);
    else if (x < 0.78) out.push(["SET", key(), "e", "PX", "100000"]);
    else if (x < 0.8) out.push(["GET", "k".repeat(200 + Math.floor(r() * 120))]);
    else if (x < 0.82) out.push(["SET", "k".repeat(200 + Math.floor(r() * 120)), "long"]);
    else if (x < 0.84) out.push(["CONFIG", "GET", "maxmemory"]);
    else if (x < 0.86) out.push(["PING"]);
    else if (x < 0.88) out.push(["EXISTS", key(), key(), key()]);
    else if (x < 0.9)
      out.push(["GET", "hot"]); // WRONGTYPE
    else out.push(["GET", key()]);
  }
  return out;
}

test.skipIf(skip)(
  "random pipelines: byte-identical replies to redis-server's",
  async () => {
    const a = await RespConn.open(imds.port);
    const b = await RespConn.open(redis.port);
    try {
      const r = rng(20261202);
      for (let i = 0; i < 300; i++) {
        const cmds = batch(r);
        const [x, y] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
        const dx = new TextDecoder().decode(Buffer.concat(x.map((z) => z.bytes)));
        const dy = new TextDecoder().decode(Buffer.concat(y.map((z) => z.bytes)));
        if (dx !== dy) {
          // Name the first differing request.
          for (let k = 0; k < cmds.length; k++) {
            expect({ i, k, cmd: cmds[k], reply: new TextDecoder().decode(x[k]!.bytes) }).toEqual({
              i,
              k,
              cmd: cmds[k],
              reply: new TextDecoder().decode(y[k]!.bytes),
            });
          }
        }
        expect(dx).toBe(dy);
      }
      // The keyspace grew through rehashes while pipelines were running: both hold the same keys.
      const [sx, sy] = await Promise.all([a.call("DBSIZE"), b.call("DBSIZE")]);
      expect(sx).toBe(sy);
      expect(Number(sx)).toBeGreaterThan(500);
    } finally {
      a.close();
      b.close();
    }
  },
  60_000,
);
