// Pub/sub and transactions through real client libraries against imds: a chat through ioredis
// (several subscribers, one publisher, every message in order, RESP2 and RESP3), ioredis
// MULTI/EXEC and WATCH, and node-redis's pub/sub API (subscribe / pSubscribe / sSubscribe /
// unsubscribe with listeners, RESP2 and RESP3) and its multi().exec().

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

const io = (protocol: 2 | 3) =>
  new Redis({
    host: "127.0.0.1",
    port: srv.port,
    protocol,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timeout");
    await Bun.sleep(5);
  }
}

for (const protocol of [2, 3] as const) {
  test(`ioredis RESP${protocol}: a chat room, 4 subscribers, every message in order`, async () => {
    const MESSAGES = 2000;
    const subs = [io(protocol), io(protocol), io(protocol), io(protocol)];
    const pub = io(protocol);
    try {
      const got: string[][] = subs.map(() => []);
      const pgot: string[][] = subs.map(() => []);
      await Promise.all(
        subs.map(async (s, i) => {
          s.on("message", (ch: string, msg: string) => {
            if (ch === "room") got[i]!.push(msg);
          });
          s.on("pmessage", (pat: string, ch: string, msg: string) => {
            if (pat === "ro*" && ch === "room") pgot[i]!.push(msg);
          });
          expect(await s.subscribe("room", "other")).toBe(2);
          if (i % 2 === 0) expect(await s.psubscribe("ro*")).toBe(3);
        }),
      );
      const sent: string[] = [];
      for (let k = 0; k < MESSAGES; k += 100) {
        const p = pub.pipeline();
        for (let j = k; j < k + 100; j++) {
          const m = `user${j % 7}: hello ${j} ${"é".repeat(j % 5)}`;
          sent.push(m);
          p.publish("room", m);
        }
        const res = (await p.exec())!;
        expect(res.every(([e, n]) => e === null && n === 6)).toBe(true); // 4 + 2 patterns
      }
      await until(() => got.every((g) => g.length === MESSAGES));
      await until(() => pgot.filter((_, i) => i % 2 === 0).every((g) => g.length === MESSAGES));
      for (const g of got) expect(g).toEqual(sent);
      expect(pgot[0]).toEqual(sent);
      expect(pgot[1]).toEqual([]);
      expect(await pub.pubsub("NUMSUB", "room")).toEqual(["room", 4]);
      await subs[0]!.unsubscribe("room");
      expect(await pub.pubsub("NUMSUB", "room")).toEqual(["room", 3]);
    } finally {
      for (const s of subs) s.disconnect();
      pub.disconnect();
    }
  });
}

test("ioredis: MULTI/EXEC, errors in place, WATCH conflict", async () => {
  const a = io(2);
  const b = io(2);
  try {
    await a.del("tx", "n");
    const res = await a.multi().set("tx", "1").incr("tx").zadd("tx", 1, "m").get("tx").exec();
    expect(res![0]).toEqual([null, "OK"]);
    expect(res![1]).toEqual([null, 2]);
    expect(String(res![2]![0])).toContain("WRONGTYPE");
    expect(res![3]).toEqual([null, "2"]);
    await a.watch("n");
    await b.set("n", "other");
    expect(await a.multi().set("n", "mine").exec()).toBeNull();
    expect(await a.get("n")).toBe("other");
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

for (const RESP of [2, 3] as const) {
  test(`node-redis RESP${RESP}: subscribe / pSubscribe / sSubscribe listeners, multi`, async () => {
    const mk = () =>
      createClient({
        socket: { host: "127.0.0.1", port: srv.port, reconnectStrategy: false },
        RESP,
      });
    const pub = mk();
    const sub = mk();
    const errors: Error[] = [];
    pub.on("error", (e: Error) => errors.push(e));
    sub.on("error", (e: Error) => errors.push(e));
    await Promise.all([pub.connect(), sub.connect()]);
    try {
      const plain: string[] = [];
      const pattern: string[] = [];
      const shard: string[] = [];
      await sub.subscribe("news", (m, ch) => plain.push(`${ch}:${m}`));
      await sub.pSubscribe("n*", (m, ch) => pattern.push(`${ch}:${m}`));
      await sub.sSubscribe("orders", (m, ch) => shard.push(`${ch}:${m}`));
      expect(await pub.publish("news", "a")).toBe(2);
      expect(await pub.publish("nope", "b")).toBe(1);
      expect(await pub.sPublish("orders", "o1")).toBe(1);
      expect(await pub.pubSubNumPat()).toBe(1);
      expect(await pub.pubSubChannels()).toEqual(["news"]);
      await until(() => plain.length === 1 && pattern.length === 2 && shard.length === 1);
      expect(plain).toEqual(["news:a"]);
      expect(pattern).toEqual(["news:a", "nope:b"]);
      expect(shard).toEqual(["orders:o1"]);
      await sub.unsubscribe("news");
      await sub.pUnsubscribe();
      await sub.sUnsubscribe();
      expect(await pub.publish("news", "c")).toBe(0);
      expect(await pub.pubSubNumSub(["news"])).toEqual({ news: 0 });
      const r = await pub.multi().set("m", "1").incr("m").get("m").exec();
      expect(r as unknown[]).toEqual(["OK", 2, "2"]);
      expect(errors).toEqual([]);
    } finally {
      await Promise.all([pub.quit(), sub.quit()]);
    }
  });
}
