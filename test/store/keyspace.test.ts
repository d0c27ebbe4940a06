import { describe, expect, test } from "bun:test";
import { Keyspace } from "../../src/store/keyspace.ts";
import { TYPE_STRING } from "../../src/store/table.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("keyspace", () => {
  test("16 databases sharing one arena, isolated keys", () => {
    const ks = new Keyspace();
    expect(ks.databases).toBe(16);
    const k = enc("k");
    ks.db(0).upsertString(k, 0, 1, enc("zero"), 0, 4);
    ks.db(15).upsertString(k, 0, 1, enc("fifteen"), 0, 7);
    expect(ks.db(1).find(k, 0, 1)).toBe(-1);
    expect(ks.db(0).arena).toBe(ks.db(15).arena);
    expect(() => ks.db(16)).toThrow();
    expect(() => new Keyspace(0)).toThrow();
    const e = ks.lookupRead(15, k, 0, 1);
    expect(new TextDecoder().decode(ks.db(15).valueBytes(e))).toBe("fifteen");
  });

  test("lookups treat expired keys as absent and remove them", () => {
    const ks = new Keyspace(2);
    ks.now = 1_000_000;
    const t = ks.db(0);
    const k = enc("ttl");
    const p = enc("persist");
    const e = t.upsertString(k, 0, 3, enc("v"), 0, 1);
    t.setExpireAt(e, ks.now + 100);
    t.upsertString(p, 0, 7, enc("v"), 0, 1);
    expect(ks.lookupRead(0, k, 0, 3)).toBe(e);
    expect(ks.lookupWrite(0, k, 0, 3)).toBe(e);
    ks.now += 99;
    expect(ks.lookupRead(0, k, 0, 3)).toBe(e);
    ks.now += 1; // expireAt <= now: gone
    expect(ks.lookupRead(0, k, 0, 3)).toBe(-1);
    expect(t.count).toBe(1);
    expect(t.find(k, 0, 3)).toBe(-1);
    expect(ks.expiredKeys).toBe(1);
    ks.now += 1e9;
    expect(ks.lookupWrite(0, p, 0, 7)).toBeGreaterThanOrEqual(0); // no TTL: never expires
    // lookupWrite also removes
    const e2 = t.upsertString(k, 0, 3, enc("v2"), 0, 2);
    expect(t.expireAt[e2]).toBe(0); // remove cleared the column
    t.setExpireAt(e2, ks.now);
    expect(ks.lookupWrite(0, k, 0, 3)).toBe(-1);
    expect(t.count).toBe(1);
    t.checkInvariants();
  });

  test("swapDb swaps contents, flushAll empties everything", () => {
    const ks = new Keyspace();
    const k = enc("a");
    ks.db(0).upsertString(k, 0, 1, enc("in0"), 0, 3);
    for (let i = 0; i < 1000; i++) {
      const kk = enc(`key${i}`);
      ks.db(3).add(kk, 0, kk.length, TYPE_STRING, 100);
    }
    ks.swapDb(0, 3);
    expect(ks.db(3).find(k, 0, 1)).toBeGreaterThanOrEqual(0);
    expect(ks.db(0).count).toBe(1000);
    const before = ks.memoryBytes();
    expect(before).toBeGreaterThan(1000 * 100);
    ks.flushAll();
    for (let i = 0; i < 16; i++) expect(ks.db(i).count).toBe(0);
    expect(ks.arena.reservedBytes).toBe(0);
    expect(ks.memoryBytes()).toBeLessThan(before);
    ks.db(0).upsertString(k, 0, 1, enc("again"), 0, 5);
    ks.db(0).checkInvariants();
  });
});
