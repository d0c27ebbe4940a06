// used_memory accounting: the cached parts (table bytes, arena free-list overhead) always equal
// a fresh recount, and freeing keys lowers the number eviction compares.

import { expect, test } from "bun:test";
import { Keyspace } from "../../src/store/keyspace.ts";
import { bytesToHuman, clientBufferBytes } from "../../src/store/memory.ts";
import { Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();

test("cached table bytes and arena overhead match a recount under random writes", () => {
  const r = new Prng(7);
  const ks = new Keyspace(4);
  const fresh = () => {
    let n = 0;
    for (const t of ks.dbs) n += t.memoryBytes();
    return n;
  };
  const freeLists = () => {
    let n = 0;
    // biome-ignore lint/suspicious/noExplicitAny: test reaches the private stacks to recount
    for (const l of (ks.arena as any).freeLists as Float64Array[][])
      for (const chunk of l) n += chunk.byteLength;
    return n;
  };
  for (let step = 0; step < 60; step++) {
    for (let i = 0; i < 800; i++) {
      const d = r.int(4);
      const t = ks.db(d);
      const k = enc.encode(`k${r.int(step < 30 ? 20000 : 500)}`);
      if (r.int(3) > 0) {
        const v = new Uint8Array(r.int(50) === 0 ? 70000 : r.int(300));
        t.upsertString(k, 0, k.length, v, 0, v.length);
      } else {
        const e = ks.lookupWrite(d, k, 0, k.length);
        if (e >= 0) ks.removeEntry(t, e);
      }
    }
    if (step === 45) ks.swapDb(0, 3);
    expect(ks.tableBytes()).toBe(fresh());
    expect(ks.arena.overheadBytes).toBe(freeLists());
    expect(ks.usedBytes()).toBe(ks.arena.liveBytes + freeLists() + fresh());
  }
  ks.flushAll();
  expect(ks.tableBytes()).toBe(fresh());
  expect(ks.arena.overheadBytes).toBe(freeLists());
});

test("removing keys lowers used bytes by their blocks; large values give their page back", () => {
  const ks = new Keyspace(1);
  const t = ks.db(0);
  const big = new Uint8Array(1 << 20);
  const k = enc.encode("big");
  t.upsertString(k, 0, 3, big, 0, big.length);
  const used = ks.usedBytes();
  const reserved = ks.arena.reservedBytes;
  ks.removeEntry(t, t.find(k, 0, 3));
  expect(used - ks.usedBytes()).toBeGreaterThanOrEqual(big.length);
  expect(reserved - ks.arena.reservedBytes).toBe(big.length + 3);
});

test("objectBytes follows objects through every way in and out of a table", () => {
  const ks = new Keyspace(2);
  const obj = (n: number) => ({
    size: n,
    memoryBytes() {
      return this.size;
    },
  });
  const k = (s: string) => enc.encode(s);
  const t0 = ks.db(0);
  const t1 = ks.db(1);
  const add = (t: typeof t0, key: string, n: number) => {
    const b = k(key);
    const e = t.add(b, 0, b.length, 2, 0);
    t.setObj(e, obj(n));
    return e;
  };
  const e1 = add(t0, "a", 1000);
  add(t0, "b", 2000);
  add(t1, "c", 300);
  expect(ks.objectBytes).toBe(3300);
  // growth in place, reported by the type code
  const o = t0.getObj(e1) as { size: number };
  const before = o.size;
  o.size = 1500;
  ks.objectBytesChanged(o.size - before);
  expect(ks.objectBytes).toBe(3800);
  // replaced object
  t0.setObj(e1, obj(700));
  expect(ks.objectBytes).toBe(3000);
  // overwritten by a string value (SET over a zset)
  const b = k("b");
  t0.upsertString(b, 0, 1, b, 0, 1);
  expect(ks.objectBytes).toBe(1000);
  // moved between databases: no change
  const m = t0.moveTo(e1, t1);
  expect(ks.objectBytes).toBe(1000);
  // DEL through the table directly
  t1.remove(m);
  expect(ks.objectBytes).toBe(300);
  // FLUSHDB
  add(t1, "d", 50);
  t1.clear();
  expect(ks.objectBytes).toBe(0);
  expect(ks.recountObjectBytes()).toBe(0);
  add(t0, "e", 10);
  ks.flushAll();
  expect(ks.objectBytes).toBe(0);
});

test("bytesToHuman like Redis; client buffers summed", () => {
  expect(bytesToHuman(0)).toBe("0B");
  expect(bytesToHuman(1023)).toBe("1023B");
  expect(bytesToHuman(1024)).toBe("1.00K");
  expect(bytesToHuman(1536)).toBe("1.50K");
  expect(bytesToHuman(100 * 1024 * 1024)).toBe("100.00M");
  expect(bytesToHuman(3 * 1024 ** 3)).toBe("3.00G");
  expect(
    clientBufferBytes([
      { out: { capacity: 100 }, queryBufferBytes: 5 },
      { out: { capacity: 16384 }, queryBufferBytes: 0 },
    ]),
  ).toBe(16489);
});
