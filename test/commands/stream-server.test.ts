// Streams over the wire, against the real server process with real clients (ioredis): an event
// log written as one would for Redis, consumer groups with several connections (two consumers
// sharing a group; a crashed consumer's entries taken over with XAUTOCLAIM), and streams as
// keys (TYPE, OBJECT ENCODING, COPY, RENAME, MOVE, SCAN TYPE, expiry, used_memory, INFO).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Running, startImds } from "../helpers/servers.ts";

let imds: Running;
const clients: Redis[] = [];

function client(): Redis {
  const r = new Redis({ port: imds.port, host: "127.0.0.1", lazyConnect: false });
  clients.push(r);
  return r;
}

beforeAll(async () => {
  imds = await startImds();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await imds.stop();
});

/** An append-only event log as an application writes it for Redis. */
class EventLog {
  constructor(
    private readonly r: Redis,
    private readonly key: string,
  ) {}
  append(type: string, payload: object): Promise<string | null> {
    return this.r.xadd(
      this.key,
      "MAXLEN",
      "~",
      "1000",
      "*",
      "type",
      type,
      "data",
      JSON.stringify(payload),
    );
  }
  async since(id: string, n = 100): Promise<{ id: string; type: string; data: unknown }[]> {
    const rows = await this.r.xrange(this.key, `(${id}`, "+", "COUNT", n);
    return rows.map(([rid, f]) => ({ id: rid, type: f[1]!, data: JSON.parse(f[3]!) }));
  }
}

describe("event log through ioredis", () => {
  test("append, read back in order, page with exclusive ranges, trim", async () => {
    const r = client();
    await r.del("events");
    const log = new EventLog(r, "events");
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) ids.push((await log.append(i % 2 ? "click" : "view", { i }))!);
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1]!.split("-").map(BigInt), ids[i]!.split("-").map(BigInt)];
      expect(a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!)).toBe(true);
    }
    expect(await r.xlen("events")).toBe(250);
    // page through the log 100 at a time
    let last = "0-0";
    const seen: number[] = [];
    for (;;) {
      const page = await log.since(last, 100);
      if (page.length === 0) break;
      for (const e of page) seen.push((e.data as { i: number }).i);
      last = page[page.length - 1]!.id;
    }
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i));
    const rev = await r.xrevrange("events", "+", "-", "COUNT", 2);
    expect(rev.map((e) => e[0])).toEqual([ids[249]!, ids[248]!]);
    // exact trim to 10, then XREAD from the start
    expect(await r.xtrim("events", "MAXLEN", 10)).toBe(240);
    const read = (await r.xread("COUNT", 5, "STREAMS", "events", "0")) as [
      string,
      [string, string[]][],
    ][];
    expect(read[0]![0]).toBe("events");
    expect(read[0]![1].map((e) => e[0])).toEqual(ids.slice(240, 245));
    expect(await r.xread("STREAMS", "events", "$")).toBeNull();
    // BLOCK with data available answers at once
    const now = (await r.xread("BLOCK", 1000, "STREAMS", "events", ids[248]!)) as unknown[];
    expect(now.length).toBe(1);
    // ...and without data it waits until the timeout: a null reply
    const t0 = Date.now();
    expect(await r.xread("BLOCK", 50, "STREAMS", "events", "$")).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
  });
});

describe("consumer groups with several clients", () => {
  test("two consumers share a group: each entry goes to exactly one, XACK clears the PEL", async () => {
    const admin = client();
    const [w1, w2] = [client(), client()];
    await admin.del("jobs");
    await admin.xgroup("CREATE", "jobs", "workers", "$", "MKSTREAM");
    for (let i = 0; i < 40; i++) await admin.xadd("jobs", `${i + 1}-0`, "job", String(i));
    const got = new Map<string, string>();
    // alternate reads by the two workers, 3 at a time
    for (let round = 0; round < 20; round++) {
      for (const [name, w] of [
        ["w1", w1],
        ["w2", w2],
      ] as const) {
        const res = (await w.xreadgroup(
          "GROUP",
          "workers",
          name,
          "COUNT",
          3,
          "STREAMS",
          "jobs",
          ">",
        )) as [string, [string, string[]][]][] | null;
        for (const [id] of res?.[0]?.[1] ?? []) {
          expect(got.has(id)).toBe(false);
          got.set(id, name);
        }
      }
    }
    expect(got.size).toBe(40);
    const summary = (await admin.xpending("jobs", "workers")) as [
      number,
      string,
      string,
      [string, string][],
    ];
    expect(summary[0]).toBe(40);
    expect(summary[1]).toBe("1-0");
    expect(summary[2]).toBe("40-0");
    const perConsumer = Object.fromEntries(summary[3]);
    expect(Number(perConsumer.w1) + Number(perConsumer.w2)).toBe(40);
    // each worker acks its own
    for (const [id, name] of got) {
      expect(await (name === "w1" ? w1 : w2).xack("jobs", "workers", id)).toBe(1);
    }
    expect(((await admin.xpending("jobs", "workers")) as unknown[])[0]).toBe(0);
    const groups = (await admin.xinfo("GROUPS", "jobs")) as unknown[][];
    expect(groups[0]).toEqual([
      "name",
      "workers",
      "consumers",
      2,
      "pending",
      0,
      "last-delivered-id",
      "40-0",
      "entries-read",
      40,
      "lag",
      0,
    ]);
  });

  test("a crashed consumer's entries are claimed by another with XAUTOCLAIM", async () => {
    const admin = client();
    const crashing = client();
    const rescuer = client();
    await admin.del("orders");
    await admin.xgroup("CREATE", "orders", "g", "0", "MKSTREAM");
    for (let i = 1; i <= 10; i++) await admin.xadd("orders", `${i}-1`, "n", String(i));
    await crashing.xreadgroup("GROUP", "g", "dead", "COUNT", 6, "STREAMS", "orders", ">");
    crashing.disconnect(); // it never acks
    // one of its entries is deleted meanwhile: XAUTOCLAIM reports it (7.0's third element)
    await admin.xdel("orders", "3-1");
    await Bun.sleep(30);
    const [cursor, claimed, deleted] = (await rescuer.xautoclaim(
      "orders",
      "g",
      "alive",
      20,
      "0",
      "COUNT",
      4,
    )) as [string, [string, string[]][], string[]];
    expect(deleted).toEqual(["3-1"]);
    expect(claimed.map((e) => e[0])).toEqual(["1-1", "2-1", "4-1"]);
    expect(cursor).toBe("5-1");
    const rest = (await rescuer.xautoclaim("orders", "g", "alive", 20, cursor, "JUSTID")) as [
      string,
      string[],
      string[],
    ];
    expect(rest).toEqual(["0-0", ["5-1", "6-1"], []]);
    // the rescuer now owns everything pending; the dead consumer has nothing
    const ext = (await admin.xpending("orders", "g", "-", "+", 10)) as [
      string,
      string,
      number,
      number,
    ][];
    expect(ext.map((e) => [e[0], e[1], e[3]])).toEqual([
      ["1-1", "alive", 2],
      ["2-1", "alive", 2],
      ["4-1", "alive", 2],
      ["5-1", "alive", 1],
      ["6-1", "alive", 1],
    ]);
    const cons = (await admin.xinfo("CONSUMERS", "orders", "g")) as unknown[][];
    expect(cons.map((c) => [c[1], c[3]])).toEqual([
      ["alive", 5],
      ["dead", 0],
    ]);
    expect(await admin.xgroup("DELCONSUMER", "orders", "g", "dead")).toBe(0);
    // BLOCK: history is served at once; new entries are waited for
    const hist = (await rescuer.xreadgroup(
      "GROUP",
      "g",
      "alive",
      "COUNT",
      1,
      "BLOCK",
      50,
      "STREAMS",
      "orders",
      "0",
    )) as [string, [string, string[]][]][];
    expect(hist[0]![1].map((e) => e[0])).toEqual(["1-1"]);
    await expect(
      rescuer.call("XREADGROUP", "GROUP", "g", "alive", "BLOCK", 50, "STREAMS", "orders", "$"),
    ).rejects.toThrow("The $ ID is meaningless");
    // the rest of the stream is still new for the group
    const more = (await rescuer.xreadgroup("GROUP", "g", "alive", "STREAMS", "orders", ">")) as [
      string,
      [string, string[]][],
    ][];
    expect(more[0]![1].map((e) => e[0])).toEqual(["7-1", "8-1", "9-1", "10-1"]);
    expect(
      await rescuer.call(
        "XREADGROUP",
        "GROUP",
        "g",
        "alive",
        "BLOCK",
        50,
        "STREAMS",
        "orders",
        ">",
      ),
    ).toBeNull();
  });
});

describe("streams as keys", () => {
  test("TYPE, OBJECT ENCODING, COPY, RENAME, MOVE, SCAN TYPE, EXPIRE, WRONGTYPE", async () => {
    const r = client();
    await r.flushall();
    await r.xadd("s", "1-1", "a", "1");
    await r.xgroup("CREATE", "s", "g", "0");
    expect(await r.type("s")).toBe("stream");
    expect(await r.object("ENCODING", "s")).toBe("stream");
    expect(await r.copy("s", "s2")).toBe(1);
    await r.xadd("s2", "2-1", "b", "2"); // the copy shares nothing with the original
    expect(await r.xlen("s")).toBe(1);
    expect(await r.xlen("s2")).toBe(2);
    expect(((await r.xinfo("GROUPS", "s2")) as unknown[][])[0]![1]).toBe("g");
    await r.rename("s2", "s3");
    expect(await r.type("s3")).toBe("stream");
    expect(await r.move("s3", 1)).toBe(1);
    await r.set("str", "x");
    expect(await r.scan("0", "TYPE", "stream")).toEqual(["0", ["s"]]);
    await expect(r.xadd("str", "1-1", "a", "b")).rejects.toThrow("WRONGTYPE");
    await expect(r.get("s")).rejects.toThrow("WRONGTYPE");
    // streams stay when emptied (unlike other types)
    await r.xdel("s", "1-1");
    expect(await r.exists("s")).toBe(1);
    expect(await r.xlen("s")).toBe(0);
    await r.pexpire("s", 20);
    await Bun.sleep(60);
    expect(await r.exists("s")).toBe(0);
    expect(await r.info("keyspace")).toContain("db0:keys=1,");
  });

  test("used_memory follows a stream's growth and its deletion", async () => {
    const r = client();
    await r.flushall();
    const mem = async () => Number(/used_memory:(\d+)/.exec(await r.info("memory"))![1]);
    const cycle = async () => {
      const p = r.pipeline();
      for (let i = 1; i <= 12000; i++) p.xadd("big", `${i}-0`, "field", `value-${i}`);
      p.xgroup("CREATE", "big", "g", "0");
      p.xreadgroup("GROUP", "g", "c", "COUNT", 5000, "STREAMS", "big", ">");
      p.xdel("big", "1-0", "2-0", "3-0");
      p.xtrim("big", "MAXLEN", "~", 6000);
      await p.exec();
      const grown = await mem();
      await r.del("big");
      return grown;
    };
    // Connection buffers and tables grow by doublings along the way, so the check is that a
    // stream's own bytes come and go: three cycles leave no stream-sized residue.
    const g1 = await cycle();
    const after1 = await mem();
    await cycle();
    const g3 = await cycle();
    const after3 = await mem();
    const streamBytes = g1 - after1;
    expect(streamBytes).toBeGreaterThan(6000 * 5);
    expect(streamBytes).toBeLessThan(12000 * 200);
    expect(Math.abs(g3 - after3 - streamBytes)).toBeLessThan(streamBytes / 4);
    // (a leak would leave two streams' worth after the two further cycles)
    expect(after3 - after1).toBeLessThan(streamBytes);
  }, 60_000);
});
