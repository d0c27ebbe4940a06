// Scripts the way applications use them, through ioredis: defineCommand (EVALSHA first, EVAL on
// NOSCRIPT) for a fixed-window rate limiter shared by several connections and for a lock
// (SET NX PX to take it, compare-and-delete / compare-and-extend scripts), plus a library
// called with FCALL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

const RATE_LIMIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then return 0 end
return 1`;
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

interface Scripted extends Redis {
  rateLimit(key: string, windowMs: number, limit: number): Promise<number>;
  unlock(key: string, token: string): Promise<number>;
  extend(key: string, token: string, ms: number): Promise<number>;
}

function client(protocol: 2 | 3 = 2): Scripted {
  const r = new Redis({
    host: "127.0.0.1",
    port: srv.port,
    protocol,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  }) as Scripted;
  r.defineCommand("rateLimit", { numberOfKeys: 1, lua: RATE_LIMIT });
  r.defineCommand("unlock", { numberOfKeys: 1, lua: UNLOCK });
  r.defineCommand("extend", { numberOfKeys: 1, lua: EXTEND });
  return r;
}

test("rate limiter: several connections share one window; EVALSHA after SCRIPT FLUSH falls back", async () => {
  const clients = [client(2), client(3), client(2)];
  try {
    await clients[0]!.del("rl:user1");
    const calls: Promise<number>[] = [];
    for (let i = 0; i < 60; i++) calls.push(clients[i % 3]!.rateLimit("rl:user1", 60000, 25));
    const results = await Promise.all(calls);
    expect(results.filter((x) => x === 1).length).toBe(25);
    expect(results.filter((x) => x === 0).length).toBe(35);
    expect(await clients[0]!.get("rl:user1")).toBe("60");
    const pttl = await clients[1]!.pttl("rl:user1");
    expect(pttl).toBeGreaterThan(50000);
    expect(pttl).toBeLessThanOrEqual(60000);
    // The cache is gone: ioredis gets NOSCRIPT and resends the body with EVAL.
    await clients[0]!.script("FLUSH");
    expect(await clients[2]!.rateLimit("rl:user2", 60000, 1)).toBe(1);
    expect(await clients[2]!.rateLimit("rl:user2", 60000, 1)).toBe(0);
    const info = (await clients[0]!.info("commandstats")) as string;
    expect(info).toMatch(/cmdstat_evalsha:calls=\d+/);
    expect(info).toMatch(/cmdstat_incr:calls=6\d/); // the INCRs run inside the scripts count
  } finally {
    for (const c of clients) c.disconnect();
  }
});

test("lock: SET NX PX to take it, compare-and-delete to release, compare-and-extend", async () => {
  const a = client(3);
  const b = client(2);
  try {
    await a.del("lock:res");
    expect(await a.set("lock:res", "token-a", "PX", 10000, "NX")).toBe("OK");
    expect(await b.set("lock:res", "token-b", "PX", 10000, "NX")).toBeNull();
    expect(await b.unlock("lock:res", "token-b")).toBe(0); // not the owner
    expect(await b.extend("lock:res", "token-b", 50000)).toBe(0);
    expect(await a.extend("lock:res", "token-a", 50000)).toBe(1);
    expect(await a.pttl("lock:res")).toBeGreaterThan(10000);
    expect(await a.unlock("lock:res", "token-a")).toBe(1);
    expect(await a.unlock("lock:res", "token-a")).toBe(0);
    expect(await b.set("lock:res", "token-b", "PX", 10000, "NX")).toBe("OK");
    expect(await b.get("lock:res")).toBe("token-b");
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

test("FCALL of a library, errors as ioredis ReplyError", async () => {
  const r = client(3);
  try {
    const lib = `#!lua name=counters
redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`;
    expect(await r.function("LOAD", "REPLACE", lib)).toBe("counters");
    await r.del("fc");
    expect(await r.fcall("bump", 1, "fc", 5)).toBe(5);
    expect(await r.fcall_ro("peek", 1, "fc")).toBe("5");
    await expect(r.fcall_ro("bump", 1, "fc", 1)).rejects.toThrow(
      "Can not execute a script with write flag using *_ro command.",
    );
    await expect(r.eval("return redis.call('INCR', KEYS[1])", 1, "fc:missing:x")).resolves.toBe(1);
    await expect(r.eval("return redis.call('nosuch')", 0)).rejects.toThrow(
      "Unknown Redis command called from script",
    );
  } finally {
    r.disconnect();
  }
});
