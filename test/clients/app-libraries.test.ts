// The libraries applications put on Redis for locks, rate limits, sessions, socket fan-out and
// simple queues, each driven as its README shows, against imds and, in the same run, against
// redis-server; both must give the same outcome:
// - redlock (EVAL scripts): a lock held refuses a second locker, extends, releases;
// - rate-limiter-flexible (Lua, PTTL/PEXPIRE): points consumed, refused past the limit,
//   blockDuration, get/delete;
// - @socket.io/redis-adapter (PUBLISH/PSUBSCRIBE, SPUBLISH/SSUBSCRIBE, PUBSUB NUMSUB): a room
//   broadcast from one socket.io server reaches the clients of another, fetchSockets across
//   servers, over ioredis and node-redis;
// - connect-redis (express sessions: SET EX, GET, EXPIRE, SCAN + MGET, DEL);
// - bee-queue (MULTI, Lua, BRPOPLPUSH, delayed jobs through a sorted set).
// Bounded in jobs and time.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AddressInfo } from "node:net";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import Queue from "bee-queue";
import { RedisStore } from "connect-redis";
import Redis from "ioredis";
import { RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";
import { createClient } from "redis";
import Redlock from "redlock";
import { Server as IoServer } from "socket.io";
import { io as ioClient } from "socket.io-client";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const skipRedis = redisMissing("the application-library comparison with redis-server");

let imds: Running;
let redis: Running | undefined;
beforeAll(async () => {
  imds = await startImds();
  if (!skipRedis) redis = await startRedis();
});
afterAll(async () => {
  await imds?.stop();
  await redis?.stop();
});

/** Run `flow` against imds and (when installed) redis-server; the outcomes must be equal. */
async function bothAgree<T>(flow: (port: number) => Promise<T>): Promise<T> {
  const mine = await flow(imds.port);
  if (redis !== undefined) expect(mine).toEqual(await flow(redis.port));
  return mine;
}

async function redlockFlow(port: number) {
  const r = new Redis({ port, maxRetriesPerRequest: 1 });
  try {
    const redlock = new Redlock([r], { retryCount: 3, retryDelay: 50 });
    const lock = await redlock.acquire(["res:a"], 2000);
    let second = "acquired";
    try {
      await new Redlock([r], { retryCount: 1, retryDelay: 50 }).acquire(["res:a"], 2000);
    } catch {
      second = "refused";
    }
    const ttlHeld = await r.pttl("res:a");
    const extended = await lock.extend(5000);
    const ttlExtended = await r.pttl("res:a");
    await extended.release();
    const afterRelease = await r.exists("res:a");
    const again = await redlock.acquire(["res:a"], 1000);
    await again.release();
    return {
      second,
      held: ttlHeld > 0 && ttlHeld <= 2000,
      extended: ttlExtended > 2000 && ttlExtended <= 5000,
      afterRelease,
    };
  } finally {
    r.disconnect();
  }
}

async function rateLimitFlow(port: number) {
  const r = new Redis({ port, maxRetriesPerRequest: 1 });
  try {
    const prefix = `rl${port}`;
    const rl = new RateLimiterRedis({ storeClient: r, points: 3, duration: 5, keyPrefix: prefix });
    const seen: (number | string)[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        seen.push((await rl.consume("user1")).remainingPoints);
      } catch (e) {
        if (e instanceof Error) throw e; // a store error, not a refusal
        seen.push("refused");
      }
    }
    const got = await rl.get("user1");
    await rl.delete("user1");
    const afterDelete = await rl.get("user1");
    const blocking = new RateLimiterRedis({
      storeClient: r,
      points: 1,
      duration: 5,
      blockDuration: 10,
      keyPrefix: `${prefix}b`,
    });
    await blocking.consume("u");
    let blockedMs = 0;
    try {
      await blocking.consume("u");
    } catch (e) {
      blockedMs = (e as RateLimiterRes).msBeforeNext;
    }
    return {
      seen,
      consumed: got?.consumedPoints,
      afterDelete,
      blockedForTen: blockedMs > 9000 && blockedMs <= 10000,
    };
  } finally {
    r.disconnect();
  }
}

type AdapterKind = "ioredis" | "node-redis" | "node-redis sharded";

async function socketIoFlow(port: number, kind: AdapterKind) {
  const servers: IoServer[] = [];
  const closers: (() => unknown)[] = [];
  for (let i = 0; i < 2; i++) {
    const io = new IoServer();
    if (kind === "ioredis") {
      const pub = new Redis({ port });
      const sub = pub.duplicate();
      closers.push(
        () => pub.disconnect(),
        () => sub.disconnect(),
      );
      io.adapter(createAdapter(pub, sub));
    } else {
      const pub = createClient({ url: `redis://127.0.0.1:${port}` });
      const sub = pub.duplicate();
      await Promise.all([pub.connect(), sub.connect()]);
      closers.push(
        () => pub.quit(),
        () => sub.quit(),
      );
      io.adapter(kind === "node-redis" ? createAdapter(pub, sub) : createShardedAdapter(pub, sub));
    }
    io.on("connection", (socket) => socket.join("room1"));
    io.listen(0);
    servers.push(io);
  }
  const got: string[] = [];
  const clients = [];
  try {
    for (const io of servers) {
      const addr = io.httpServer.address() as AddressInfo;
      const c = ioClient(`http://127.0.0.1:${addr.port}`, { transports: ["websocket"] });
      clients.push(c);
      c.on("news", (m: string) => got.push(m));
      await new Promise((ok) => c.on("connect", () => ok(null)));
    }
    // The adapters subscribe asynchronously: wait until a broadcast arrives everywhere.
    for (let i = 0; i < 50 && got.length < 2; i++) {
      got.length = 0;
      servers[0]!.to("room1").emit("news", "hello");
      await Bun.sleep(100);
    }
    // fetchSockets asks the other server over the adapter's request channel (not sharded).
    const sockets = kind === "node-redis sharded" ? -1 : (await servers[0]!.fetchSockets()).length;
    return { got: got.slice(0, 2), sockets };
  } finally {
    for (const c of clients) c.close();
    for (const io of servers) io.close();
    for (const f of closers) await f();
  }
}

function cb<T>(f: (done: (err: unknown, v?: T) => void) => void): Promise<T | undefined> {
  return new Promise((ok, fail) => f((err, v) => (err ? fail(err) : ok(v))));
}

async function sessionFlow(port: number) {
  const c = createClient({ url: `redis://127.0.0.1:${port}` });
  await c.connect();
  try {
    const store = new RedisStore({ client: c, prefix: "sess:" });
    const cookie = { expires: new Date(Date.now() + 60_000), originalMaxAge: 60_000 } as never;
    await cb((d) => store.set("abc", { cookie, user: "ann" } as never, d));
    await cb((d) => store.set("def", { cookie, user: "bob" } as never, d));
    const s = (await cb((d) => store.get("abc", d))) as { user: string } | undefined;
    const ttl = await c.ttl("sess:abc");
    await cb((d) =>
      store.touch("abc", { cookie: { expires: new Date(Date.now() + 120_000) } } as never, d),
    );
    const touched = await c.ttl("sess:abc");
    const n = await cb<number>((d) => store.length(d));
    const all = ((await cb((d) => store.all(d))) as { user: string }[]).map((x) => x.user).sort();
    await cb((d) => store.destroy("abc", d));
    const after = await cb((d) => store.get("abc", d));
    await cb((d) => store.clear(d));
    return {
      user: s?.user,
      ttl: ttl > 55 && ttl <= 60,
      touched: touched > 115 && touched <= 120,
      n,
      all,
      after: after ?? null,
      left: await c.keys("sess:*"),
    };
  } finally {
    await c.quit();
  }
}

async function beeQueueFlow(port: number) {
  const q = new Queue(`bq${port}`, { redis: { port }, activateDelayedJobs: true });
  try {
    const results: number[] = [];
    q.process(async (job: { data: { x: number } }) => {
      if (job.data.x === 7) throw new Error("seven");
      return job.data.x * 2;
    });
    await q.ready();
    let failed = 0;
    q.on("failed", () => failed++);
    for (let i = 0; i < 20; i++) {
      const job = await q.createJob({ x: i }).save();
      job.on("succeeded", (v: number) => results.push(v));
    }
    const delayed = await q
      .createJob({ x: 100 })
      .delayUntil(Date.now() + 300)
      .save();
    delayed.on("succeeded", (v: number) => results.push(v));
    for (let i = 0; i < 100 && results.length + failed < 21; i++) await Bun.sleep(100);
    const health = await q.checkHealth();
    return { results: results.sort((a, b) => a - b), failed, health };
  } finally {
    await q.close();
  }
}

describe("application libraries give the same outcome on imds and redis-server", () => {
  test("redlock", async () => {
    expect(await bothAgree(redlockFlow)).toEqual({
      second: "refused",
      held: true,
      extended: true,
      afterRelease: 0,
    });
  }, 30000);

  test("rate-limiter-flexible", async () => {
    expect(await bothAgree(rateLimitFlow)).toEqual({
      seen: [2, 1, 0, "refused", "refused"],
      consumed: 5,
      afterDelete: null,
      blockedForTen: true,
    });
  }, 30000);

  for (const kind of ["ioredis", "node-redis", "node-redis sharded"] as const) {
    test(`@socket.io/redis-adapter over ${kind}`, async () => {
      expect(await bothAgree((port) => socketIoFlow(port, kind))).toEqual({
        got: ["hello", "hello"],
        sockets: kind === "node-redis sharded" ? -1 : 2,
      });
    }, 30000);
  }

  test("connect-redis", async () => {
    expect(await bothAgree(sessionFlow)).toEqual({
      user: "ann",
      ttl: true,
      touched: true,
      n: 2,
      all: ["ann", "bob"],
      after: null,
      left: [],
    });
  }, 30000);

  test("bee-queue", async () => {
    const out = await bothAgree(beeQueueFlow);
    expect(out.failed).toBe(1);
    expect(out.results).toEqual(
      [...Array.from({ length: 20 }, (_, i) => i * 2).filter((v) => v !== 14), 200].sort(
        (a, b) => a - b,
      ),
    );
    expect(out.health.delayed).toBe(0);
  }, 40000);
});
