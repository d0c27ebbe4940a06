// Application flows on hashes and sets, written as one writes them for Redis, through ioredis
// and node-redis (RESP2 and RESP3) against the real imds process: a session store (HSET +
// EXPIRE + HGETALL, sliding expiry, counters) and tagging (SADD / SINTER / SMEMBERS).

import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { createClient } from "redis";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

/** What the flows need from a client; each library is adapted to it below. */
interface Store {
  hset(key: string, obj: Record<string, string>): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
  hincrby(key: string, field: string, by: number): Promise<number>;
  hdel(key: string, field: string): Promise<number>;
  expire(key: string, s: number): Promise<number>;
  pexpire(key: string, ms: number): Promise<number>;
  ttl(key: string): Promise<number>;
  sadd(key: string, members: string[]): Promise<number>;
  srem(key: string, members: string[]): Promise<number>;
  smembers(key: string): Promise<string[]>;
  sinter(keys: string[]): Promise<string[]>;
  sinterstore(dst: string, keys: string[]): Promise<number>;
  sismember(key: string, m: string): Promise<number | boolean>;
  scard(key: string): Promise<number>;
  flush(): Promise<unknown>;
  close(): Promise<unknown>;
}

async function sessionFlow(s: Store): Promise<void> {
  await s.flush();
  const key = "session:5f2b";
  expect(await s.hset(key, { user: "alice", role: "admin", csrf: "x1y2", views: "0" })).toBe(4);
  expect(await s.expire(key, 1800)).toBe(1);
  expect(await s.hgetall(key)).toEqual({ user: "alice", role: "admin", csrf: "x1y2", views: "0" });
  // each request: count a view, slide the expiry
  for (let i = 1; i <= 5; i++) {
    expect(await s.hincrby(key, "views", 1)).toBe(i);
    expect(await s.expire(key, 1800)).toBe(1);
  }
  const ttl = await s.ttl(key);
  expect(ttl).toBeGreaterThan(1790);
  expect(ttl).toBeLessThanOrEqual(1800);
  // rotate the CSRF token, log out a field
  expect(await s.hset(key, { csrf: "z9" })).toBe(0);
  expect(await s.hdel(key, "role")).toBe(1);
  expect(await s.hgetall(key)).toEqual({ user: "alice", csrf: "z9", views: "5" });
  // the session times out
  expect(await s.pexpire(key, 50)).toBe(1);
  await Bun.sleep(120);
  expect(await s.hgetall(key)).toEqual({});
  expect(await s.ttl(key)).toBe(-2);
}

async function taggingFlow(s: Store): Promise<void> {
  await s.flush();
  const posts: Record<string, string[]> = {
    "1": ["redis", "bun", "typescript"],
    "2": ["redis", "databases"],
    "3": ["bun", "typescript", "redis"],
    "4": ["typescript"],
  };
  for (const [id, tags] of Object.entries(posts)) {
    expect(await s.sadd(`post:${id}:tags`, tags)).toBe(tags.length);
    for (const t of tags) expect(await s.sadd(`tag:${t}`, [id])).toBe(1);
  }
  expect((await s.smembers("tag:redis")).sort()).toEqual(["1", "2", "3"]);
  expect((await s.sinter(["tag:redis", "tag:bun"])).sort()).toEqual(["1", "3"]);
  expect((await s.sinter(["tag:redis", "tag:bun", "tag:typescript"])).sort()).toEqual(["1", "3"]);
  expect(await s.sinter(["tag:redis", "tag:none"])).toEqual([]);
  expect(await s.sinterstore("hot", ["tag:typescript", "tag:bun"])).toBe(2);
  expect(Number(await s.sismember("hot", "3"))).toBe(1);
  expect(Number(await s.sismember("hot", "4"))).toBe(0);
  // untag post 3
  expect(await s.srem("post:3:tags", ["redis"])).toBe(1);
  expect(await s.srem("tag:redis", ["3"])).toBe(1);
  expect((await s.sinter(["tag:redis", "tag:bun"])).sort()).toEqual(["1"]);
  expect(await s.scard("tag:databases")).toBe(1);
  expect(await s.srem("tag:databases", ["2"])).toBe(1);
  expect(await s.smembers("tag:databases")).toEqual([]);
}

function ioredisStore(r: Redis): Store {
  return {
    hset: (k, o) => r.hset(k, o),
    hgetall: (k) => r.hgetall(k),
    hincrby: (k, f, by) => r.hincrby(k, f, by),
    hdel: (k, f) => r.hdel(k, f),
    expire: (k, s) => r.expire(k, s),
    pexpire: (k, ms) => r.pexpire(k, ms),
    ttl: (k) => r.ttl(k),
    sadd: (k, m) => r.sadd(k, ...m),
    srem: (k, m) => r.srem(k, ...m),
    smembers: (k) => r.smembers(k),
    sinter: (ks) => r.sinter(...ks),
    sinterstore: (d, ks) => r.sinterstore(d, ...ks),
    sismember: (k, m) => r.sismember(k, m),
    scard: (k) => r.scard(k),
    flush: () => r.flushdb(),
    close: () => r.quit(),
  };
}

function nodeClient(RESP: 2 | 3) {
  return createClient({
    socket: { host: "127.0.0.1", port: srv.port, reconnectStrategy: false },
    RESP,
    database: 5,
  });
}

function nodeRedisStore(c: ReturnType<typeof nodeClient>): Store {
  return {
    hset: (k, o) => c.hSet(k, o),
    hgetall: async (k) => ({ ...(await c.hGetAll(k)) }) as Record<string, string>,
    hincrby: (k, f, by) => c.hIncrBy(k, f, by),
    hdel: (k, f) => c.hDel(k, f),
    expire: (k, s) => c.expire(k, s),
    pexpire: (k, ms) => c.pExpire(k, ms),
    ttl: (k) => c.ttl(k),
    sadd: (k, m) => c.sAdd(k, m),
    srem: (k, m) => c.sRem(k, m),
    smembers: async (k) => [...((await c.sMembers(k)) as Iterable<string>)],
    sinter: async (ks) => [...((await c.sInter(ks)) as Iterable<string>)],
    sinterstore: (d, ks) => c.sInterStore(d, ks),
    sismember: (k, m) => c.sIsMember(k, m),
    scard: (k) => c.sCard(k),
    flush: () => c.flushDb(),
    close: () => c.quit(),
  };
}

for (const protocol of [2, 3] as const) {
  test(`ioredis RESP${protocol}: session store and tagging`, async () => {
    const r = new Redis({
      host: "127.0.0.1",
      port: srv.port,
      protocol,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      db: 4,
    });
    await r.connect();
    const s = ioredisStore(r);
    try {
      await sessionFlow(s);
      await taggingFlow(s);
    } finally {
      await s.close();
    }
  });

  test(`node-redis RESP${protocol}: session store and tagging`, async () => {
    const c = nodeClient(protocol);
    const errors: Error[] = [];
    c.on("error", (e: Error) => errors.push(e));
    await c.connect();
    const s = nodeRedisStore(c);
    try {
      await sessionFlow(s);
      await taggingFlow(s);
    } finally {
      await s.close();
    }
    expect(errors).toEqual([]);
  });
}
