// Generic key commands: what the differential test cannot see (SCAN's guarantee under growth and
// shrink, TTL and object carried by RENAME/COPY, clone hooks, OBJECT clocks, expired keys).

import { afterEach, describe, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { cloneObject } from "../../src/store/objects.ts";
import { TYPE_HASH } from "../../src/store/table.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import type { RespError } from "../helpers/resp.ts";

const enc = new TextEncoder();

function entry(p: InProc, key: string, db = 0): number {
  const k = enc.encode(key);
  return p.server.keyspace.db(db).find(k, 0, k.length);
}

describe("SCAN", () => {
  test("returns every key present for the whole scan while the table grows and shrinks", () => {
    const r = new Prng(7);
    for (let round = 0; round < 5; round++) {
      const p = new InProc(MODE_RESP2);
      const stable: string[] = [];
      for (let i = 0; i < 300; i++) {
        stable.push(`s${i}`);
        p.call("SET", `s${i}`, "v");
      }
      let churn = 0;
      const seen = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const reply = p.call("SCAN", cursor, "COUNT", String(1 + r.int(20))) as [string, string[]];
        cursor = reply[0];
        for (const k of reply[1]) seen.add(k);
        // between calls: grow a lot, then delete most of what was added (forces rehash both ways)
        const grow = r.int(400);
        for (let i = 0; i < grow; i++) p.call("SET", `c${churn++}`, "x");
        for (let i = 0; i < churn; i++) if (r.int(4) !== 0) p.call("DEL", `c${i}`);
        expect(++calls).toBeLessThan(10_000);
      } while (cursor !== "0");
      for (const k of stable) expect(seen.has(k)).toBe(true);
      p.server.keyspace.db(0).checkInvariants();
    }
  });

  test("cursor syntax, COUNT bounds and TYPE/MATCH filters", () => {
    const p = new InProc(MODE_RESP2);
    p.call("MSET", "a1", "1", "a2", "2", "b1", "3");
    const err = (...a: string[]) => (p.call(...a) as RespError).message;
    expect(err("SCAN", "x")).toBe("ERR invalid cursor");
    expect(err("SCAN", " 0")).toBe("ERR invalid cursor");
    expect(err("SCAN", "18446744073709551616")).toBe("ERR invalid cursor");
    expect(err("SCAN", "0", "COUNT", "0")).toBe("ERR syntax error");
    expect(err("SCAN", "0", "COUNT", "x")).toBe("ERR value is not an integer or out of range");
    expect(p.call("SCAN", "18446744073709551615")).toEqual(["0", []]);
    expect(p.call("SCAN", "+0", "MATCH", "a*", "COUNT", "100")).toEqual(["0", ["a1", "a2"]]);
    expect(p.call("SCAN", "0", "TYPE", "STRING", "MATCH", "b?")).toEqual(["0", ["b1"]]);
    expect(p.call("SCAN", "0", "TYPE", "zset")).toEqual(["0", []]);
    // COUNT bounds the work of one call: 3 keys at COUNT 1 need at least 3 calls
    let cursor = "0";
    let calls = 0;
    do {
      const [c, keys] = p.call("SCAN", cursor, "COUNT", "1") as [string, string[]];
      expect(keys.length).toBeLessThanOrEqual(1);
      cursor = c;
      calls++;
    } while (cursor !== "0");
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});

describe("RENAME and COPY carry the value, the TTL and the object", () => {
  afterEach(() => cloneObject.delete(TYPE_HASH));

  test("strings with TTL, across databases", () => {
    const p = new InProc(MODE_RESP2);
    p.call("SET", "a", "hello", "PXAT", "4000000000000");
    expect(p.call("RENAME", "a", "b")).toBe("OK");
    const t = p.server.keyspace.db(0);
    expect(t.expireAt[entry(p, "b")]).toBe(4000000000000);
    expect(entry(p, "a")).toBe(-1);
    expect(p.call("COPY", "b", "c", "DB", "3")).toBe(1);
    expect(p.server.keyspace.db(3).expireAt[entry(p, "c", 3)]).toBe(4000000000000);
    expect(p.call("COPY", "b", "c", "DB", "3")).toBe(0);
    p.call("SET", "b", "other", "KEEPTTL");
    expect(p.call("COPY", "b", "c", "DB", "3", "REPLACE")).toBe(1);
    const t3 = p.server.keyspace.db(3);
    const e = entry(p, "c", 3);
    expect(new TextDecoder().decode(t3.valueBytes(e))).toBe("other");
    expect((p.call("COPY", "b", "c", "DB", "16") as RespError).message).toBe(
      "ERR DB index is out of range",
    );
    expect((p.call("RENAME", "nope", "x") as RespError).message).toBe("ERR no such key");
    expect(p.call("RENAME", "b", "b")).toBe("OK");
    expect(p.call("RENAMENX", "b", "b")).toBe(0);
  });

  test("non-string keys: RENAME moves the object, COPY clones it through the type's hook", () => {
    const p = new InProc(MODE_RESP2);
    const t = p.server.keyspace.db(0);
    const k = enc.encode("h");
    const e = t.add(k, 0, k.length, TYPE_HASH, 0);
    const obj = { fields: ["f", "v"] };
    t.setObj(e, obj);
    expect(p.call("TYPE", "h")).toBe("hash");
    // no hook registered: COPY fails loudly instead of sharing a mutable object
    expect((p.call("COPY", "h", "h2") as RespError).message).toContain("no clone hook");
    expect(p.call("EXISTS", "h2")).toBe(0);
    cloneObject.set(TYPE_HASH, (o) => ({ fields: [...(o as typeof obj).fields] }));
    expect(p.call("COPY", "h", "h2")).toBe(1);
    const copy = t.getObj(entry(p, "h2")) as typeof obj;
    expect(copy).toEqual(obj);
    expect(copy).not.toBe(obj);
    expect(p.call("RENAME", "h", "h3")).toBe("OK");
    expect(t.getObj(entry(p, "h3"))).toBe(obj);
    expect(p.call("TYPE", "h3")).toBe("hash");
    expect(p.call("TYPE", "h")).toBe("none");
    t.checkInvariants();
  });
});

describe("OBJECT", () => {
  test("IDLETIME follows accesses; FREQ needs an LFU policy", () => {
    const p = new InProc(MODE_RESP2);
    p.call("SET", "k", "v");
    expect(p.call("OBJECT", "IDLETIME", "k")).toBe(0);
    const t = p.server.keyspace.db(0);
    t.clock[entry(p, "k")]! -= 42_000; // as if last touched 42 s ago (ms clock)
    expect(p.call("OBJECT", "IDLETIME", "k")).toBe(42);
    expect(p.call("OBJECT", "IDLETIME", "k")).toBe(42); // OBJECT itself does not touch
    p.call("GET", "k");
    expect(p.call("OBJECT", "IDLETIME", "k")).toBe(0);
    expect((p.call("OBJECT", "FREQ", "k") as RespError).message).toStartWith(
      "ERR An LFU maxmemory policy is not selected",
    );
    expect(p.call("OBJECT", "IDLETIME", "nope")).toBe(null);
  });

  test("under an LFU policy FREQ starts at 5 and grows with accesses", () => {
    const p = new InProc(MODE_RESP2, (c) => c.set("maxmemory-policy", "allkeys-lfu", true));
    p.call("SET", "k", "v");
    expect(p.call("OBJECT", "FREQ", "k")).toBe(5);
    for (let i = 0; i < 300; i++) p.call("GET", "k");
    const f = p.call("OBJECT", "FREQ", "k") as number;
    expect(f).toBeGreaterThan(5);
    expect(f).toBeLessThan(256);
    expect((p.call("OBJECT", "IDLETIME", "k") as RespError).message).toStartWith(
      "ERR An LFU maxmemory policy is selected",
    );
  });

  test("ENCODING remembers how a string was made, like Redis", () => {
    const p = new InProc(MODE_RESP2);
    p.call("SET", "k", "123");
    p.call("APPEND", "k", ""); // unshared into a raw string, even when nothing is appended
    expect(p.call("OBJECT", "ENCODING", "k")).toBe("raw");
    expect(p.call("OBJECT", "REFCOUNT", "k")).toBe(1);
    p.call("INCR", "k");
    expect(p.call("OBJECT", "ENCODING", "k")).toBe("int");
    p.call("INCRBYFLOAT", "f", "3");
    expect(p.call("OBJECT", "ENCODING", "f")).toBe("embstr");
    p.call("SETRANGE", "s", "0", "12");
    expect(p.call("OBJECT", "ENCODING", "s")).toBe("raw");
    p.call("COPY", "s", "s2");
    p.call("RENAME", "s", "s3");
    expect(p.call("OBJECT", "ENCODING", "s2")).toBe("raw");
    expect(p.call("OBJECT", "ENCODING", "s3")).toBe("raw");
    p.call("SET", "s3", "12");
    expect(p.call("OBJECT", "ENCODING", "s3")).toBe("int");
    p.call("DEL", "s2");
    p.call("SET", "s2", "12"); // a reused entry starts without a marker
    expect(p.call("OBJECT", "ENCODING", "s2")).toBe("int");
    expect(p.call("OBJECT", "REFCOUNT", "s2")).toBe(2147483647); // Redis's shared integer
    p.call("COPY", "s2", "s4"); // a copy is a new object: int, but not shared
    expect(p.call("OBJECT", "ENCODING", "s4")).toBe("int");
    expect(p.call("OBJECT", "REFCOUNT", "s4")).toBe(1);
    p.call("RENAME", "s2", "s5"); // RENAME moves the shared object itself
    expect(p.call("OBJECT", "REFCOUNT", "s5")).toBe(2147483647);
  });

  test("ENCODING and REFCOUNT of strings", () => {
    const p = new InProc(MODE_RESP2);
    p.call("MSET", "i", "123", "j", "123456", "e", "hello", "r", "x".repeat(45));
    expect(p.call("OBJECT", "ENCODING", "i")).toBe("int");
    expect(p.call("OBJECT", "ENCODING", "e")).toBe("embstr");
    expect(p.call("OBJECT", "ENCODING", "r")).toBe("raw");
    expect(p.call("OBJECT", "REFCOUNT", "i")).toBe(2147483647); // shared integer
    expect(p.call("OBJECT", "REFCOUNT", "j")).toBe(1);
    expect((p.call("OBJECT", "ENCODING") as RespError).message).toBe(
      "ERR wrong number of arguments for 'object|encoding' command",
    );
  });
});

test("expired keys are invisible to KEYS, EXISTS, RANDOMKEY and removed by lookups", () => {
  const p = new InProc(MODE_RESP2);
  p.call("SET", "live", "1");
  for (let i = 0; i < 50; i++) p.call("SET", `dead${i}`, "1", "PXAT", "1");
  expect(p.call("KEYS", "*")).toEqual(["live"]);
  for (let i = 0; i < 20; i++) expect(p.call("RANDOMKEY")).toBe("live");
  p.call("DEL", "live");
  expect(p.call("RANDOMKEY")).toBe(null); // ends even when every key is expired
  expect(p.call("EXISTS", "dead1", "dead2")).toBe(0);
});
