// The snapshot's allocation-free path for small aggregates (snapshot-write.ts writeCompact)
// must write exactly the bytes of the general path (the writer's iterators and encoders) for
// every value it takes: random small hashes, intsets (every width, also wider than needed after
// removals), listpack zsets (integer, fractional, negative, huge scores) and lists (around the
// quicklist node limits of several list-max-listpack-size values), with and without a key.

import { describe, expect, test } from "bun:test";
import { RdbWriter } from "../../src/persistence/rdb/index.ts";
import {
  EntryWriterState,
  INCREMENTAL_MIN_ELEMENTS,
  IncrementalValue,
  writeEntry,
  writeEntryGeneral,
} from "../../src/persistence/snapshot-write.ts";
import { hashCreate, hashSet } from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { List } from "../../src/store/list.ts";
import { setAdd, setCreate, setRemove } from "../../src/store/set.ts";
import { type Table, TYPE_LIST, TYPE_ZSET } from "../../src/store/table.ts";
import { ZSet } from "../../src/store/zset.ts";
import { Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const HL = { maxListpackEntries: 128, maxListpackValue: 64 };
const SL = { maxIntsetEntries: 512 };

function element(p: Prng): string {
  switch (p.u32() % 8) {
    case 0:
      return String((p.u32() % 256) - 128);
    case 1:
      return String(p.u32() - 2147483648);
    case 2:
      return String(BigInt(p.u32()) * 4294967296n + BigInt(p.u32())); // int64-ish
    case 3:
      return "9223372036854775807";
    case 4:
      return "x".repeat(p.u32() % 70);
    case 5:
      return `0${p.u32() % 100}`; // not canonical
    case 6:
      return "-0";
    default:
      return `e${p.u32() % 1000}`;
  }
}

function score(p: Prng): number {
  switch (p.u32() % 6) {
    case 0:
      return (p.u32() % 2000) - 1000;
    case 1:
      return (p.u32() - 2147483648) / 7;
    case 2:
      return 2 ** 53 + (p.u32() % 3) * 2;
    case 3:
      return 1e300 * (p.u32() % 2 ? 1 : -1);
    case 4:
      return Number.POSITIVE_INFINITY;
    default:
      return 0;
  }
}

let checked = 0;

function same(t: Table, e: number, listFill: number): void {
  const limits = { listMaxListpackSize: listFill };
  for (const withKey of [true, false]) {
    for (const compression of [true, false]) {
      const a = new RdbWriter({ compression, limits });
      const g = new RdbWriter({ compression, limits });
      const meta = { expireMs: 1700000000000, idleSec: -1, freq: -1 };
      writeEntry(a, new EntryWriterState(), t, e, withKey, withKey ? meta : undefined);
      writeEntryGeneral(g, new EntryWriterState(), t, e, withKey, withKey ? meta : undefined);
      const x = a.takeBytes();
      const y = g.takeBytes();
      if (Buffer.compare(x, y) !== 0) expect(x).toEqual(y);
      checked++;
    }
  }
}

describe("writeCompact writes the general path's bytes", () => {
  test("hashes, intsets, zsets, lists (200 random values each)", () => {
    const ks = new Keyspace(1);
    const t = ks.db(0);
    const p = new Prng(18);
    for (let i = 0; i < 200; i++) {
      const hk = b(`h${i}`);
      const he = hashCreate(t, hk, 0, hk.length);
      const n = 1 + (p.u32() % 20);
      for (let j = 0; j < n; j++) {
        const f = b(`${element(p)}:${j}`);
        const v = b(element(p));
        hashSet(ks, t, he, f, 0, f.length, v, 0, v.length, HL);
      }
      same(t, he, -2);

      const sk = b(`s${i}`);
      const se = setCreate(t, sk, 0, sk.length, true);
      const width = [1, 100000, 2 ** 40][i % 3]!;
      const members: string[] = [];
      for (let j = 0; j < 1 + (p.u32() % 30); j++) {
        const m = String(((p.u32() % 2 ? 1 : -1) * (p.u32() % 1000) * width) | 0 || j);
        const big = i % 3 === 2 ? String(BigInt(p.u32() % 1000) * 2n ** 40n - 5n) : m;
        const mb = b(big);
        setAdd(ks, t, se, mb, 0, mb.length, SL);
        members.push(big);
      }
      if (i % 4 === 0) {
        // drop the wide members: the store keeps its width, the file must not
        for (const m of members) {
          if (Math.abs(Number(m)) > 30000) {
            const mb = b(m);
            setRemove(ks, t, se, mb, 0, mb.length);
          }
        }
        setAdd(ks, t, se, b("7"), 0, 1, SL);
      }
      same(t, se, -2);

      const zk = b(`z${i}`);
      const z = new ZSet();
      for (let j = 0; j < 1 + (p.u32() % 30); j++) {
        const m = b(`${element(p)}${j}`);
        if (z.find(m, 0, m.length) < 0) z.insert(m, 0, m.length, score(p));
      }
      const ze = t.add(zk, 0, zk.length, TYPE_ZSET, 0);
      t.setObj(ze, z);
      same(t, ze, -2);

      const lk = b(`l${i}`);
      const l = new List();
      const ln = 1 + (p.u32() % (i % 5 === 0 ? 400 : 20));
      for (let j = 0; j < ln; j++) {
        const it = b(i % 7 === 0 ? "y".repeat(p.u32() % 300) : element(p));
        l.pushRight(it, 0, it.length);
      }
      const le = t.add(lk, 0, lk.length, TYPE_LIST, 0);
      t.setObj(le, l);
      for (const fill of [-2, -1, 1, 5, 128]) same(t, le, fill);
    }
    expect(checked).toBe(200 * 8 * 4);
  }, 60_000);
});

describe("a big value written across slices (IncrementalValue) writes the one-go bytes", () => {
  test("lists (node cuts of five fills, plain nodes), hashtable hash, set, skiplist zset", () => {
    const ks = new Keyspace(1);
    const t = ks.db(0);
    const p = new Prng(19);
    const n = INCREMENTAL_MIN_ELEMENTS + 3001;
    const entries: number[] = [];
    const l = new List();
    for (let j = 0; j < n; j++) {
      const it = b(j % 97 === 0 ? "y".repeat(p.u32() % 9000) : element(p));
      l.pushRight(it, 0, it.length);
    }
    const lk = b("biglist");
    const le = t.add(lk, 0, lk.length, TYPE_LIST, 0);
    t.setObj(le, l);
    entries.push(le);
    const hk = b("bighash");
    const he = hashCreate(t, hk, 0, hk.length);
    const sk = b("bigset");
    const se = setCreate(t, sk, 0, sk.length, false);
    const z = new ZSet();
    for (let j = 0; j < n; j++) {
      const m = b(`${element(p)}:${j}`);
      hashSet(ks, t, he, m, 0, m.length, m, 0, m.length, HL);
      setAdd(ks, t, se, m, 0, m.length, SL);
      z.insert(m, 0, m.length, score(p));
    }
    const zk = b("bigzset");
    const ze = t.add(zk, 0, zk.length, TYPE_ZSET, 0);
    t.setObj(ze, z);
    entries.push(he, se, ze);
    let compared = 0;
    for (const e of entries) {
      for (const fill of [-2, -5, 1, 7, 128]) {
        // listPackedThreshold 4096: the long items become plain nodes
        const limits = { listMaxListpackSize: fill, listPackedThreshold: 4096 };
        const meta = { expireMs: 1700000000000, idleSec: 3, freq: -1 };
        const a = new RdbWriter({ limits });
        const g = new RdbWriter({ limits });
        const st = new EntryWriterState();
        const v = IncrementalValue.begin(a, t, e, true, { ...meta });
        expect(v).not.toBeNull();
        let steps = 0;
        while (!v!.step(a, st, 100)) steps++;
        expect(steps).toBeGreaterThan(10);
        writeEntryGeneral(g, new EntryWriterState(), t, e, true, { ...meta });
        const x = a.takeBytes();
        const y = g.takeBytes();
        expect(Buffer.compare(x, y)).toBe(0);
        compared++;
      }
    }
    expect(compared).toBe(20);
  }, 60_000);
});

describe("the snapshot writer makes no JS object per entry", () => {
  // A view per string or blob was ~80 bytes of JS heap garbage: 390K of them in a 1M-key
  // BGSAVE, left to pile up to JSC's eden budget (+20 MB of RSS during the save,
  // docs/BENCHMARKS.md). Counted with heapStats (it counts cells not yet collected; a GC in
  // between could only lower the count).
  test("small aggregates, intsets, compressible and long strings: Uint8Arrays made << entries", () => {
    const { heapStats } = require("bun:jsc") as typeof import("bun:jsc");
    const ks = new Keyspace(1);
    const t = ks.db(0);
    const entries: number[] = [];
    const N = 4000;
    for (let i = 0; i < N; i++) {
      const hk = b(`h:${i}`);
      const he = hashCreate(t, hk, 0, hk.length);
      for (const [f, v] of [
        ["name", `n${i}`],
        ["age", String(i % 90)],
        ["city", "xxxxxxxxxx"],
      ]) {
        const fb = b(f!);
        const vb = b(v!);
        hashSet(ks, t, he, fb, 0, fb.length, vb, 0, vb.length, HL);
      }
      const sk = b(`set:${i}`);
      const se = setCreate(t, sk, 0, sk.length, true);
      for (const m of ["1", "2", "3", String(i), String(i + 100000)]) {
        const mb = b(m);
        setAdd(ks, t, se, mb, 0, mb.length, SL);
      }
      const zk = b(`z:${i}`);
      const z = new ZSet();
      for (const [m, s] of [
        ["a", 1],
        ["b", 2.5],
        ["ccccccccccccccccccccccccc", i],
      ] as const) {
        const mb = b(m);
        z.insert(mb, 0, mb.length, s);
      }
      const ze = t.add(zk, 0, zk.length, TYPE_ZSET, 0);
      t.setObj(ze, z);
      const lk = b(`l:${i}`);
      const l = new List();
      for (const it of ["a", "b", `e${i}`]) {
        const ib = b(it);
        l.pushRight(ib, 0, ib.length);
      }
      const le = t.add(lk, 0, lk.length, TYPE_LIST, 0);
      t.setObj(le, l);
      // a compressible 40-byte string, a 100-byte one and a 200-byte incompressible one
      const pr = new Prng(i);
      for (const [k, v] of [
        [`s:${i}`, `value:${i}:`.padEnd(40, "v")],
        [`m:${i}`, "w".repeat(100)],
        [`r:${i}`, Buffer.from(pr.bytes(150)).toString("base64")],
      ] as const) {
        const kb = b(k);
        const vb = b(v);
        entries.push(t.upsertString(kb, 0, kb.length, vb, 0, vb.length));
      }
      entries.push(he, se, ze, le);
    }
    for (const compression of [true, false]) {
      let bytes = 0;
      const w = new RdbWriter({ compression, sink: (c) => (bytes += c.length), chunkBytes: 65536 });
      const st = new EntryWriterState();
      const meta = { expireMs: -1, idleSec: -1, freq: -1 };
      for (const e of entries) writeEntry(w, st, t, e, true, meta); // warm: scratch grown once
      const before = heapStats().objectTypeCounts.Uint8Array ?? 0;
      for (const e of entries) writeEntry(w, st, t, e, true, meta);
      const made = (heapStats().objectTypeCounts.Uint8Array ?? 0) - before;
      // one view per 64 KiB chunk handed to the sink (and a little slack)
      expect(made).toBeLessThan(bytes / 65536 + 50);
      expect(bytes).toBeGreaterThan(entries.length * 10);
    }
  });
});
