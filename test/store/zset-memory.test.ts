// Footprint of SMALL (listpack-encoded) sorted sets, and growth from their tiny initial
// capacities through the small -> large conversion and back, against a plain model.

import { describe, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { compareBytes } from "../../src/store/bytes.ts";
import { ZSet } from "../../src/store/zset.ts";
import { InProc } from "../helpers/inproc.ts";
import { hex, Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();

describe("small sorted set footprint", () => {
  test("ZSet.memoryBytes of 3 short members", () => {
    const z = new ZSet();
    for (let i = 1; i <= 3; i++) z.insert(enc.encode(`member0${i}`), 0, 8, i);
    expect(z.listpack).toBe(true);
    // Object + two typed arrays (~224) + 8 doubles (64) + a 24-byte arena. Was 288 counted
    // for ~760 bytes really held (four typed arrays, a free list, a 64-byte arena).
    expect(z.memoryBytes()).toBeLessThanOrEqual(340);
  });

  test("used_memory and JS heap per 3-member set through ZADD", () => {
    const SETS = 20_000;
    const h = new InProc(MODE_RESP2);
    const ks = h.server.keyspace;
    Bun.gc(true);
    const heap0 = process.memoryUsage().heapUsed;
    const used0 = ks.usedBytes();
    for (let i = 0; i < SETS; i++) {
      expect(h.exec("ZADD", `zs:${i}`, 1, "member01", 2, "member02", 3, "member03")).toEqual(
        enc.encode(":3\r\n"),
      );
    }
    Bun.gc(true);
    const heapPer = (process.memoryUsage().heapUsed - heap0) / SETS;
    const usedPer = (ks.usedBytes() - used0) / SETS;
    // Measured: used_memory ~408 B and heap ~416 B per set (key entry included); before the
    // compact layout the heap cost was ~860 B. Generous bounds, so only a regression fails.
    expect(usedPer).toBeLessThan(480);
    expect(heapPer).toBeLessThan(650);
    // The accounting stays honest: it does not claim far less than the heap really holds.
    expect(usedPer).toBeGreaterThan(heapPer * 0.6);
    expect(h.call("OBJECT", "ENCODING", "zs:7")).toBe("listpack");
    expect(h.call("ZRANGE", "zs:7", 0, -1, "WITHSCORES")).toEqual([
      "member01",
      "1",
      "member02",
      "2",
      "member03",
      "3",
    ]);
  });

  test("reading small sets does not grow them (no ArrayBuffer materialized by replies)", () => {
    const SETS = 10_000;
    const big = "y".repeat(64); // the largest small-set member: the edge of the reply copy loop
    const h = new InProc(MODE_RESP2);
    for (let i = 0; i < SETS; i++) h.exec("ZADD", `zs:${i}`, 1, "member01", 2, big);
    h.exec("ZRANGEBYLEX", "zs:0", "-", "+"); // compile the paths before the baseline
    Bun.gc(true);
    const heap0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < SETS; i++) {
      h.exec("ZRANGEBYLEX", `zs:${i}`, "-", "+");
      h.exec("ZRANDMEMBER", `zs:${i}`, -2);
    }
    Bun.gc(true);
    // A reply that took a subarray of a set's arena added ~110 B per set for good.
    expect((process.memoryUsage().heapUsed - heap0) / SETS).toBeLessThan(50);
    expect(h.call("ZRANGE", "zs:9", 0, -1)).toEqual(["member01", big]);
  });
});

interface Item {
  m: Uint8Array;
  s: number;
}

function sorted(items: Map<string, Item>): Item[] {
  return [...items.values()].sort((a, b) =>
    a.s !== b.s ? a.s - b.s : compareBytes(a.m, 0, a.m.length, b.m, 0, b.m.length),
  );
}

function expectSame(z: ZSet, model: Map<string, Item>): void {
  z.checkInvariants();
  const want = sorted(model);
  expect(z.size).toBe(want.length);
  z.seek(0);
  for (const it of want) {
    const id = z.nextId();
    expect(hex(z.memberBytes(id))).toBe(hex(it.m));
    expect(z.score[id]).toBe(it.s);
  }
  for (const it of want) expect(z.find(it.m, 0, it.m.length)).toBeGreaterThanOrEqual(0);
}

describe("growth from tiny capacities", () => {
  test("1 -> 129 members converts to large, contents kept at every step; back via convertIfSmall", () => {
    const r = new Prng(11);
    const z = new ZSet(4, 4);
    const model = new Map<string, Item>();
    for (let i = 0; i < 129; i++) {
      const m = enc.encode(`m${i}-${"x".repeat(r.int(50))}`);
      const s = r.int(20) - 10;
      z.insert(m, 0, m.length, s);
      model.set(hex(m), { m, s });
      expect(z.listpack).toBe(i < 128);
      expectSame(z, model);
    }
    // Clone of a large set, then shrink and convert back (stored results of set operations).
    const c = z.clone();
    for (const it of [...model.values()].slice(0, 100)) {
      z.delete(z.find(it.m, 0, it.m.length));
      model.delete(hex(it.m));
    }
    z.convertIfSmall();
    expect(z.listpack).toBe(true);
    expectSame(z, model);
    // A small clone is independent of its original.
    const d = z.clone();
    const first = [...model.values()][0]!;
    z.setScore(z.find(first.m, 0, first.m.length), 1000);
    expect(d.score[d.find(first.m, 0, first.m.length)]).toBe(first.s);
    model.set(hex(first.m), { m: first.m, s: 1000 });
    expectSame(z, model);
    expect(c.size).toBe(129);
    c.checkInvariants();
  });

  test("a 65-byte member converts a small set; a 64-byte one does not", () => {
    const z = new ZSet();
    const a = new Uint8Array(64).fill(97);
    z.insert(a, 0, 64, 1);
    expect(z.listpack).toBe(true);
    const b = new Uint8Array(65).fill(98);
    z.insert(b, 0, 65, 2);
    expect(z.listpack).toBe(false);
    z.checkInvariants();
    expect(hex(z.memberBytes(z.idAt(0)))).toBe(hex(a));
    expect(hex(z.memberBytes(z.idAt(1)))).toBe(hex(b));
  });

  test("small-set arena compaction under churn keeps members (refs rewritten)", () => {
    const r = new Prng(12);
    const z = new ZSet();
    const model = new Map<string, Item>();
    for (let step = 0; step < 3000; step++) {
      const m = enc.encode(`k${r.int(90)}`.padEnd(64, "."));
      const key = hex(m);
      const id = z.find(m, 0, m.length);
      if (id >= 0 && r.int(2) === 0) {
        z.delete(id);
        model.delete(key);
      } else if (id >= 0) {
        const s = r.int(100);
        z.setScore(id, s);
        model.set(key, { m, s });
      } else {
        const s = r.int(100);
        z.insert(m, 0, m.length, s);
        model.set(key, { m, s });
      }
      if (step % 97 === 0) expectSame(z, model);
    }
    expect(z.listpack).toBe(true);
    expectSame(z, model);
    // Churn past the compaction threshold never grows the arena without bound.
    expect(z.memoryBytes()).toBeLessThan(20_000);
  });
});
