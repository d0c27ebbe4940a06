// Hashes and sets as keys (what the differential test cannot pin down: big values, encodings at
// their bounds, COPY independence, TTLs across RENAME/COPY/MOVE, memory accounting, eviction),
// run in-process through the real command table.

import { describe, expect, test } from "bun:test";
import { MODE_RESP2, MODE_RESP3 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { parseReply } from "../helpers/resp.ts";

const inproc = (opts: Record<string, string> = {}) =>
  new InProc(MODE_RESP2, { "v1-max-args": String(1 << 20), ...opts });

function value(h: InProc, cmd: string | string[]): unknown {
  const r = h.text(cmd);
  return parseReply(Buffer.from(r, "latin1"), 0, true)![0];
}

function fillHash(h: InProc, key: string, n: number, vlen = 5): void {
  const parts = ["HSET", key];
  for (let i = 0; i < n; i++) parts.push(`f${i}`, String(i).padStart(vlen, "v"));
  h.text(parts);
}

function fillSet(h: InProc, key: string, n: number, prefix = ""): void {
  const parts = ["SADD", key];
  for (let i = 0; i < n; i++) parts.push(`${prefix}${i}`);
  h.text(parts);
}

function usedMemory(h: InProc): number {
  const info = String(value(h, "INFO memory"));
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

describe("hash and set keys", () => {
  test("TYPE, WRONGTYPE both ways, DEL/UNLINK", () => {
    const h = inproc();
    h.text("HSET h f v");
    h.text("SADD s m");
    h.text("SET str x");
    expect(h.text("TYPE h")).toBe("+hash\r\n");
    expect(h.text("TYPE s")).toBe("+set\r\n");
    const wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for (const cmd of [
      "HGET s f",
      "HSET str f v",
      "SADD h m",
      "SMEMBERS str",
      "GET h",
      "ZADD s 1 a",
    ]) {
      expect(h.text(cmd)).toBe(wrong);
    }
    expect(h.text("DEL h")).toBe(":1\r\n");
    expect(h.text("UNLINK s")).toBe(":1\r\n");
    expect(h.text("EXISTS h s")).toBe(":0\r\n");
  });

  test("encodings switch exactly where Redis 7.0's defaults say (512 entries / 64 bytes / intset 512)", () => {
    const h = inproc();
    fillHash(h, "h", 512);
    expect(h.text("OBJECT ENCODING h")).toBe("$8\r\nlistpack\r\n");
    h.text("HSET h f512 v");
    expect(h.text("OBJECT ENCODING h")).toBe("$9\r\nhashtable\r\n");
    h.text(["HSET", "hv", "f", "x".repeat(64)]);
    expect(h.text("OBJECT ENCODING hv")).toBe("$8\r\nlistpack\r\n");
    h.text(["HSET", "hv", "g", "x".repeat(65)]);
    expect(h.text("OBJECT ENCODING hv")).toBe("$9\r\nhashtable\r\n");
    fillSet(h, "s", 512);
    expect(h.text("OBJECT ENCODING s")).toBe("$6\r\nintset\r\n");
    h.text("SADD s 512");
    expect(h.text("OBJECT ENCODING s")).toBe("$9\r\nhashtable\r\n");
    h.text("SADD t 1 2 x");
    expect(h.text("OBJECT ENCODING t")).toBe("$9\r\nhashtable\r\n");
    // the options are honoured at runtime
    h.text("CONFIG SET hash-max-listpack-entries 2");
    h.text("CONFIG SET set-max-intset-entries 2");
    h.text("HSET small a 1 b 2 c 3");
    expect(h.text("OBJECT ENCODING small")).toBe("$9\r\nhashtable\r\n");
    h.text("SADD smallset 1 2 3");
    expect(h.text("OBJECT ENCODING smallset")).toBe("$9\r\nhashtable\r\n");
    // a big hash and set work past the small encodings
    fillHash(h, "big", 5000);
    expect(h.text("HLEN big")).toBe(":5000\r\n");
    expect(h.text("HGET big f4321")).toBe("$5\r\nv4321\r\n");
    expect((value(h, "HGETALL big") as string[]).length).toBe(10000);
    fillSet(h, "bigset", 5000, "m");
    expect(h.text("SCARD bigset")).toBe(":5000\r\n");
    expect(h.text("SISMEMBER bigset m4999")).toBe(":1\r\n");
  });

  test("COPY makes an independent copy (listpack, hashtable, intset, hashtable set) with its TTL", () => {
    const h = inproc();
    h.text("HSET hs a 1 b 2");
    fillHash(h, "hb", 600);
    h.text("SADD si 1 2 3");
    fillSet(h, "sb", 600, "m");
    for (const k of ["hs", "hb", "si", "sb"]) h.text(`PEXPIRE ${k} 100000`);
    for (const k of ["hs", "hb", "si", "sb"]) {
      expect(h.text(`COPY ${k} ${k}:c`)).toBe(":1\r\n");
      expect(h.text(`OBJECT ENCODING ${k}:c`)).toBe(h.text(`OBJECT ENCODING ${k}`));
      const ttl = Number(String(h.text(`PTTL ${k}:c`)).slice(1));
      expect(ttl).toBeGreaterThan(90000);
    }
    h.text("HSET hs:c a changed");
    h.text("HDEL hb:c f0");
    h.text("SREM si:c 1");
    h.text("SADD sb:c extra");
    expect(h.text("HGET hs a")).toBe("$1\r\n1\r\n");
    expect(h.text("HEXISTS hb f0")).toBe(":1\r\n");
    expect(h.text("SISMEMBER si 1")).toBe(":1\r\n");
    expect(h.text("SISMEMBER sb extra")).toBe(":0\r\n");
    expect(h.text("HLEN hb:c")).toBe(":599\r\n");
    expect(h.text("SCARD sb:c")).toBe(":601\r\n");
    expect(h.server.keyspace.objectBytes).toBe(h.server.keyspace.recountObjectBytes());
  });

  test("RENAME and MOVE keep value and TTL; SCAN TYPE finds hashes and sets", () => {
    const h = inproc();
    fillHash(h, "h", 600);
    h.text("SADD s a b");
    h.text("PEXPIRE h 100000");
    h.text("PEXPIRE s 100000");
    expect(h.text("RENAME h h2")).toBe("+OK\r\n");
    expect(h.text("HLEN h2")).toBe(":600\r\n");
    expect(Number(h.text("PTTL h2").slice(1))).toBeGreaterThan(90000);
    expect(h.text("MOVE s 1")).toBe(":1\r\n");
    h.text("SELECT 1");
    expect(h.text("SCARD s")).toBe(":2\r\n");
    expect(Number(h.text("PTTL s").slice(1))).toBeGreaterThan(90000);
    h.text("SELECT 0");
    h.text("SADD s2 x");
    h.text("SET str v");
    expect(value(h, "SCAN 0 TYPE hash COUNT 100")).toEqual(["0", ["h2"]]);
    expect(value(h, "SCAN 0 TYPE set COUNT 100")).toEqual(["0", ["s2"]]);
    const info = String(value(h, "INFO keyspace"));
    expect(info).toContain("db0:keys=3,expires=1");
    expect(info).toContain("db1:keys=1,expires=1");
  });

  test("expiry: a hash or set with a TTL goes away (lazy expiry on access)", () => {
    const h = inproc();
    const t0 = Date.now();
    h.at(t0);
    h.text("HSET session:1 user alice role admin");
    h.text("SADD tags:1 a b c");
    h.text("PEXPIRE session:1 1000");
    h.text("PEXPIRE tags:1 1000");
    h.at(t0 + 999);
    expect(h.text("HGET session:1 user")).toBe("$5\r\nalice\r\n");
    h.at(t0 + 1001);
    expect(h.text("HGETALL session:1")).toBe("*0\r\n");
    expect(h.text("HGETALL session:1", MODE_RESP3)).toBe("%0\r\n");
    expect(h.text("SMEMBERS tags:1")).toBe("*0\r\n");
    expect(h.text("SMEMBERS tags:1", MODE_RESP3)).toBe("~0\r\n");
    expect(h.text("EXISTS session:1 tags:1")).toBe(":0\r\n");
  });

  test("used_memory follows growth and returns after DEL; objectBytes stays exact", () => {
    const h = inproc();
    const base = usedMemory(h);
    fillHash(h, "h", 20000, 20);
    fillSet(h, "s", 20000, "member:");
    fillSet(h, "i", 20000);
    for (let i = 0; i < 2000; i++) h.text(["HSET", `sess:${i}`, "a", "1", "b", "2"]);
    const grown = usedMemory(h);
    expect(grown - base).toBeGreaterThan(20000 * 20);
    const ks = h.server.keyspace;
    expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    for (let i = 0; i < 10000; i++) h.text(["HDEL", "h", `f${i}`]);
    h.text("SPOP s 5000");
    h.text("SREM i 1 2 3");
    expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    h.text("DEL h s i");
    for (let i = 0; i < 2000; i++) h.text(["DEL", `sess:${i}`]);
    expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    expect(ks.objectBytes).toBe(0);
    // the arena keeps freed blocks for reuse, so allow its slack
    expect(usedMemory(h) - base).toBeLessThan((grown - base) / 4);
  });

  test("maxmemory: hashes and sets count, and eviction removes them", () => {
    const h = inproc({ maxmemory: "3mb", "maxmemory-policy": "allkeys-random" });
    const hset = ["HSET", "h"];
    for (let j = 0; j < 700; j++) hset.push(`field:${j}`, "v".repeat(20));
    const sadd = ["SADD", "s", ...Array.from({ length: 700 }, (_, j) => `m${j}`)];
    let oom = 0;
    for (let i = 0; i < 150; i++) {
      hset[1] = `h${i}`;
      sadd[1] = `s${i}`;
      if (h.text(hset).startsWith("-OOM")) oom++;
      h.text(sadd);
    }
    expect(oom).toBe(0);
    const info = String(value(h, "INFO stats"));
    expect(Number(/evicted_keys:(\d+)/.exec(info)![1])).toBeGreaterThan(0);
    expect(usedMemory(h)).toBeLessThan(4 * 1024 * 1024);
    const ks = h.server.keyspace;
    expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    // with noeviction the writes are refused instead
    const n = inproc({ maxmemory: "3mb", "maxmemory-policy": "noeviction" });
    let refused = 0;
    for (let i = 0; i < 200 && refused === 0; i++) {
      sadd[1] = `s${i}`;
      if (n.text(sadd).startsWith("-OOM")) refused++;
    }
    expect(refused).toBe(1);
  }, 30000);

  test("commands that empty a key delete it", () => {
    const h = inproc();
    const cases: [string, string][] = [
      ["HSET k a 1 b 2", "HDEL k a b"],
      ["SADD k 1 2", "SREM k 1 2"],
      ["SADD k 1 2", "SPOP k 5"],
      ["SADD k 1", "SPOP k"],
      ["SADD k 1", "SMOVE k other 1"],
      ["SADD k 1", "SINTERSTORE k k nokey"],
    ];
    for (const [fill, empty] of cases) {
      h.text("FLUSHALL");
      h.text(fill);
      h.text(empty);
      expect(h.text("EXISTS k")).toBe(":0\r\n");
    }
  });

  test("set algebra: a destination that is also an input; STORE replaces any type and drops the TTL", () => {
    const h = inproc();
    h.text("SADD a 1 2 3 x");
    h.text("SADD b 2 3 4");
    expect(h.text("SINTERSTORE a a b")).toBe(":2\r\n");
    expect(value(h, "SMEMBERS a")).toEqual(["2", "3"]);
    expect(h.text("OBJECT ENCODING a")).toBe("$6\r\nintset\r\n");
    h.text("SET s str");
    h.text("PEXPIRE s 100000");
    expect(h.text("SUNIONSTORE s a b")).toBe(":3\r\n");
    expect(h.text("TYPE s")).toBe("+set\r\n");
    expect(h.text("PTTL s")).toBe(":-1\r\n");
    expect(h.text("SDIFFSTORE s a b")).toBe(":0\r\n");
    expect(h.text("EXISTS s")).toBe(":0\r\n");
    expect(h.text("SINTERCARD 2 a b LIMIT 1")).toBe(":1\r\n");
    // ZUNION & co. read plain sets with score 1
    expect(value(h, "ZUNION 2 a b WITHSCORES")).toEqual(["4", "1", "2", "2", "3", "2"]);
  });

  test("HSCAN and SSCAN over hashtables: a full cursor walk returns every element, MATCH filters", () => {
    const h = inproc();
    fillHash(h, "h", 3000);
    fillSet(h, "s", 3000, "m");
    for (const [cmd, key, prefix, step] of [
      ["HSCAN", "h", "f", 2],
      ["SSCAN", "s", "m", 1],
    ] as const) {
      const seen = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const [next, items] = value(h, `${cmd} ${key} ${cursor} COUNT 100`) as [string, string[]];
        for (let i = 0; i < items.length; i += step) seen.add(items[i]!);
        // each field's own value (fillHash: the index padded with "v" to 5 bytes)
        if (step === 2) {
          for (let i = 0; i < items.length; i += 2) {
            expect(items[i + 1]).toBe(items[i]!.slice(1).padStart(5, "v"));
          }
        }
        cursor = next;
        calls++;
      } while (cursor !== "0" && calls < 1000);
      expect(cursor).toBe("0");
      expect(calls).toBeGreaterThan(5);
      expect(seen.size).toBe(3000);
      for (let i = 0; i < 3000; i++) expect(seen.has(`${prefix}${i}`)).toBe(true);
      const [, only] = value(h, `${cmd} ${key} 0 COUNT 100000 MATCH ${prefix}12?`) as [
        string,
        string[],
      ];
      expect(only.filter((_x, i) => i % step === 0).sort()).toEqual(
        Array.from({ length: 10 }, (_x, i) => `${prefix}12${i}`),
      );
    }
  });
});
