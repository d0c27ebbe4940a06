// Hash storage (src/store/hash.ts, bytedict.ts): seeded random model tests against a Map across
// listpack -> hashtable conversions (by count and by length), edge cases, random-pick
// distributions, HSCAN's guarantee, COPY (clone) and memory accounting.

import { describe, expect, test } from "bun:test";
import { ByteDict, Handles } from "../../src/store/bytedict.ts";
import {
  ByteRef,
  cloneHashObject,
  HASH_LIMITS_DEFAULT,
  type HashLimits,
  hashCreate,
  hashDelete,
  hashEncoding,
  hashExists,
  hashField,
  hashFirst,
  hashGet,
  hashLength,
  hashNext,
  hashObjectEncoding,
  hashRandom,
  hashRandomHandles,
  hashScan,
  hashSet,
  hashStrlen,
  hashTryConversion,
  hashValue,
} from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import type { Table } from "../../src/store/table.ts";
import { hex, Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

function newKs(): Keyspace {
  return new Keyspace(1, { checked: true });
}

function set(
  ks: Keyspace,
  t: Table,
  e: number,
  f: Uint8Array,
  v: Uint8Array,
  lim: HashLimits = HASH_LIMITS_DEFAULT,
) {
  return hashSet(ks, t, e, f, 0, f.length, v, 0, v.length, lim);
}

function get(t: Table, e: number, f: Uint8Array): Uint8Array | null {
  const r = new ByteRef();
  return hashGet(t, e, f, 0, f.length, r) ? r.bytes() : null;
}

/** Every (field, value) in iteration order, as hex pairs. */
function entries(t: Table, e: number): [string, string][] {
  const out: [string, string][] = [];
  const rf = new ByteRef();
  const rv = new ByteRef();
  for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) {
    hashField(t, e, h, rf);
    hashValue(t, e, h, rv);
    out.push([hex(rf.bytes()), hex(rv.bytes())]);
  }
  return out;
}

function checkAll(
  ks: Keyspace,
  t: Table,
  e: number,
  model: Map<string, Uint8Array>,
  listpack: boolean,
) {
  expect(hashLength(t, e)).toBe(model.size);
  expect(hashEncoding(t, e)).toBe(listpack ? "listpack" : "hashtable");
  const got = entries(t, e);
  const want = [...model].map(([k, v]) => [k, hex(v)] as [string, string]);
  if (listpack)
    expect(got).toEqual(want); // insertion order, as Redis's listpack
  else expect(got.sort()).toEqual(want.sort());
  const d = t.getObj(e) as ByteDict | undefined;
  d?.checkInvariants();
  t.checkInvariants();
  expect(ks.objectBytes).toBe(ks.recountObjectBytes());
}

function randField(rng: Prng): Uint8Array {
  switch (rng.int(4)) {
    case 0:
      return new Uint8Array(0);
    case 1:
      return rng.bytes(rng.int(4)); // binary, few distinct: many hits
    default:
      return b(`f${rng.int(40)}`);
  }
}

function modelRun(seed: number, lim: HashLimits, ops: number, maxVal: number) {
  const rng = new Prng(seed);
  const ks = newKs();
  const t = ks.db(0);
  const key = b("h");
  let e = -1;
  let model = new Map<string, Uint8Array>();
  let listpack = true;
  let conversions = 0;
  const fields = new Map<string, Uint8Array>();
  for (let i = 0; i < ops; i++) {
    if (e < 0) {
      e = hashCreate(t, key, 0, key.length);
      model = new Map();
      listpack = true;
    }
    const f = randField(rng);
    const fk = hex(f);
    fields.set(fk, f);
    const op = rng.int(10);
    if (op < 6) {
      const vlen = rng.int(10) === 0 ? rng.int(maxVal + 1) : rng.int(8);
      const v = rng.bytes(vlen);
      const wasNew = !model.has(fk);
      expect(set(ks, t, e, f, v, lim)).toBe(wasNew);
      // Model of Redis's rule: leaves the listpack for good past either limit.
      if (wasNew) model.set(fk, v);
      else model.set(fk, v); // Map keeps the position of a replaced key, as lpReplace
      if (
        listpack &&
        (model.size > lim.maxListpackEntries ||
          f.length > lim.maxListpackValue ||
          vlen > lim.maxListpackValue)
      ) {
        listpack = false;
        conversions++;
      }
    } else if (op < 8) {
      expect(hashDelete(ks, t, e, f, 0, f.length)).toBe(model.delete(fk));
      if (model.size === 0) {
        expect(hashLength(t, e)).toBe(0);
        ks.removeEntry(t, e);
        e = -1;
        continue;
      }
    } else {
      const want = model.get(fk);
      expect(hashExists(t, e, f, 0, f.length)).toBe(want !== undefined);
      const g = get(t, e, f);
      expect(g === null ? null : hex(g)).toBe(want === undefined ? null : hex(want));
      expect(hashStrlen(t, e, f, 0, f.length)).toBe(want === undefined ? -1 : want.length);
    }
    if (i % 37 === 0) checkAll(ks, t, e, model, listpack);
  }
  if (e >= 0) checkAll(ks, t, e, model, listpack);
  return conversions;
}

describe("hash model", () => {
  test("small limits: many conversions by count and by length", () => {
    let conv = 0;
    for (let seed = 1; seed <= 12; seed++) {
      conv += modelRun(seed, { maxListpackEntries: 8, maxListpackValue: 6 }, 1500, 40);
    }
    expect(conv).toBeGreaterThan(10);
  });

  test("default limits (128 entries / 64 bytes), long values", () => {
    let conv = 0;
    for (let seed = 100; seed <= 104; seed++)
      conv += modelRun(seed, HASH_LIMITS_DEFAULT, 4000, 300);
    expect(conv).toBeGreaterThan(0);
  });

  test("tiny dict segments (64 B): records across segments, values over a segment, compaction", () => {
    const old = ByteDict.segmentShift;
    ByteDict.segmentShift = 6;
    try {
      for (let seed = 200; seed <= 205; seed++)
        modelRun(seed, { maxListpackEntries: 8, maxListpackValue: 6 }, 2000, 300);
    } finally {
      ByteDict.segmentShift = old;
    }
  });

  test("conversion by count at exactly the bound; never back", () => {
    const ks = newKs();
    const t = ks.db(0);
    const e = hashCreate(t, b("k"), 0, 1);
    for (let i = 0; i < 128; i++) set(ks, t, e, b(`field:${i}`), b(`v${i}`));
    expect(hashEncoding(t, e)).toBe("listpack");
    set(ks, t, e, b("field:0"), b("replaced")); // an update does not count
    expect(hashEncoding(t, e)).toBe("listpack");
    set(ks, t, e, b("field:128"), b("x"));
    expect(hashEncoding(t, e)).toBe("hashtable");
    for (let i = 1; i <= 120; i++) {
      const f = b(`field:${i}`);
      expect(hashDelete(ks, t, e, f, 0, f.length)).toBe(true);
    }
    expect(hashLength(t, e)).toBe(9);
    expect(hashEncoding(t, e)).toBe("hashtable");
    expect(get(t, e, b("field:0"))).toEqual(b("replaced"));
  });

  test("conversion by length at exactly the bound (64 ok, 65 converts), field or value", () => {
    const ks = newKs();
    const t = ks.db(0);
    const e = hashCreate(t, b("a"), 0, 1);
    set(ks, t, e, b("x".repeat(64)), b("y".repeat(64)));
    expect(hashEncoding(t, e)).toBe("listpack");
    set(ks, t, e, b("f"), b("y".repeat(65)));
    expect(hashEncoding(t, e)).toBe("hashtable");
    const e2 = hashCreate(t, b("b"), 0, 1);
    set(ks, t, e2, b("x".repeat(65)), b(""));
    expect(hashEncoding(t, e2)).toBe("hashtable");
    const e3 = hashCreate(t, b("c"), 0, 1);
    set(ks, t, e3, b("f"), b("v"));
    hashTryConversion(ks, t, e3, 64, HASH_LIMITS_DEFAULT);
    expect(hashEncoding(t, e3)).toBe("listpack");
    hashTryConversion(ks, t, e3, 65, HASH_LIMITS_DEFAULT);
    expect(hashEncoding(t, e3)).toBe("hashtable");
    expect(get(t, e3, b("f"))).toEqual(b("v"));
  });

  test("edge bytes: empty field and value, NULs, 0xff, values across varint sizes", () => {
    const ks = newKs();
    const t = ks.db(0);
    const lim = { maxListpackEntries: 128, maxListpackValue: 100000 };
    const e = hashCreate(t, b("k"), 0, 1);
    const nul = new Uint8Array([0, 0, 255, 0]);
    expect(set(ks, t, e, new Uint8Array(0), new Uint8Array(0), lim)).toBe(true);
    expect(set(ks, t, e, nul, nul, lim)).toBe(true);
    expect(get(t, e, new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(get(t, e, nul)).toEqual(nul);
    expect(get(t, e, new Uint8Array([0, 0, 255]))).toBeNull();
    // Replacing a value across varint sizes (1 -> 2 -> 3 bytes and back) keeps the order.
    const model = new Map<string, Uint8Array>([
      [hex(new Uint8Array(0)), new Uint8Array(0)],
      [hex(nul), nul],
    ]);
    for (const len of [127, 128, 16383, 16384, 20000, 5, 0, 300]) {
      const v = new Uint8Array(len).fill(len & 255);
      expect(set(ks, t, e, nul, v, lim)).toBe(false);
      model.set(hex(nul), v);
      set(ks, t, e, b("tail"), b("t"), lim);
      model.set(hex(b("tail")), b("t"));
      checkAll(ks, t, e, model, true);
    }
  });

  test("record heads at every length boundary (short head 7/15, 127-byte fields, varints)", () => {
    const ks = newKs();
    const t = ks.db(0);
    const lim = { maxListpackEntries: 1000, maxListpackValue: 100000 };
    const e = hashCreate(t, b("k"), 0, 1);
    const model = new Map<string, Uint8Array>();
    const lens = [0, 1, 7, 8, 15, 16, 126, 127, 128, 254, 255, 16510, 16511, 20000];
    for (const fl of lens) {
      for (const vl of lens) {
        const f = new Uint8Array(fl).fill(fl % 251);
        const v = new Uint8Array(vl).fill(vl % 253);
        set(ks, t, e, f, v, lim);
        model.set(hex(f), v);
      }
      checkAll(ks, t, e, model, true);
    }
    for (const fl of lens) {
      const f = new Uint8Array(fl).fill(fl % 251);
      expect(hashStrlen(t, e, f, 0, fl)).toBe(lens[lens.length - 1]!);
      expect(hashDelete(ks, t, e, f, 0, fl)).toBe(true);
      model.delete(hex(f));
      if (model.size > 0) checkAll(ks, t, e, model, true);
    }
  });

  test("COPY: the clone (value bytes + cloned object) shares nothing", () => {
    for (const big of [false, true]) {
      const ks = newKs();
      const t = ks.db(0);
      const e = hashCreate(t, b("src"), 0, 3);
      const n = big ? 300 : 5;
      for (let i = 0; i < n; i++) set(ks, t, e, b(`f${i}`), b(`v${i}`));
      // What keys.ts duplicate() does: copy the value bytes, clone the object.
      const ne = t.add(b("dst"), 0, 3, t.type[e]!, t.valLen[e]!);
      t.page(ne).set(
        t.page(e).subarray(t.valueOffset(e), t.valueOffset(e) + t.valLen[e]!),
        t.valueOffset(ne),
      );
      const c = cloneHashObject(t.getObj(e));
      if (c !== undefined) t.setObj(ne, c);
      expect(hashObjectEncoding(t.getObj(ne))).toBe(big ? "hashtable" : "listpack");
      set(ks, t, e, b("f0"), b("changed"));
      hashDelete(ks, t, e, b("f1"), 0, 2);
      expect(get(t, ne, b("f0"))).toEqual(b("v0"));
      expect(get(t, ne, b("f1"))).toEqual(b("v1"));
      expect(hashLength(t, ne)).toBe(n);
      expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    }
  });
});

describe("HSCAN", () => {
  test("listpack: everything, cursor 0", () => {
    const ks = newKs();
    const t = ks.db(0);
    const e = hashCreate(t, b("k"), 0, 1);
    for (let i = 0; i < 10; i++) set(ks, t, e, b(`f${i}`), b("v"));
    const out = new Handles();
    expect(hashScan(t, e, 0, 1, out)).toBe(0);
    expect(out.n).toBe(10);
  });

  test("hashtable: every field present for the whole scan is returned, despite churn", () => {
    const rng = new Prng(7);
    const ks = newKs();
    const t = ks.db(0);
    const e = hashCreate(t, b("k"), 0, 1);
    for (let i = 0; i < 2000; i++) set(ks, t, e, b(`stable${i}`), b("v"));
    const out = new Handles();
    const ref = new ByteRef();
    const seen = new Set<string>();
    let cursor = 0;
    let calls = 0;
    let churn = 0;
    do {
      cursor = hashScan(t, e, cursor, 10, out);
      for (let i = 0; i < out.n; i++) {
        hashField(t, e, out.ids[i]!, ref);
        seen.add(new TextDecoder().decode(ref.bytes()));
      }
      // Churn between calls: add and delete other fields, enough to grow and shrink the index.
      for (let k = 0; k < 30; k++) {
        const f = b(`churn${rng.int(5000)}`);
        if (rng.int(2) === 0) set(ks, t, e, f, b("x"));
        else hashDelete(ks, t, e, f, 0, f.length);
        churn++;
      }
      calls++;
    } while (cursor !== 0 && calls < 10000);
    expect(cursor).toBe(0);
    expect(churn).toBeGreaterThan(1000);
    for (let i = 0; i < 2000; i++) expect(seen.has(`stable${i}`)).toBe(true);
  });
});

describe("HRANDFIELD", () => {
  function build(n: number): { ks: Keyspace; t: Table; e: number } {
    const ks = newKs();
    const t = ks.db(0);
    const e = hashCreate(t, b("k"), 0, 1);
    for (let i = 0; i < n; i++) set(ks, t, e, b(`f${i}`), b(`v${i}`));
    return { ks, t, e };
  }
  function fieldIndex(t: Table, e: number, h: number, ref: ByteRef): number {
    hashField(t, e, h, ref);
    return Number(new TextDecoder().decode(ref.bytes()).slice(1));
  }

  for (const n of [10, 300]) {
    test(`uniform single picks and repetition picks (${n} fields)`, () => {
      const { ks, t, e } = build(n);
      const ref = new ByteRef();
      const draws = 200 * n;
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < draws; i++) counts[fieldIndex(t, e, hashRandom(ks, t, e), ref)]!++;
      const out = new Handles();
      hashRandomHandles(ks, t, e, -draws, out);
      expect(out.n).toBe(draws);
      for (let i = 0; i < out.n; i++) counts[fieldIndex(t, e, out.ids[i]!, ref)]!++;
      // chi-square with n-1 degrees of freedom; mean n-1, sd sqrt(2(n-1)): a generous bound.
      const exp = (2 * draws) / n;
      let chi = 0;
      for (const c of counts) chi += (c - exp) ** 2 / exp;
      expect(chi).toBeLessThan(n - 1 + 6 * Math.sqrt(2 * (n - 1)));
    });

    test(`distinct picks: a uniform subset of the asked size (${n} fields)`, () => {
      const { ks, t, e } = build(n);
      const ref = new ByteRef();
      const out = new Handles();
      for (const count of [1, 3, Math.floor(n / 4), Math.floor(n / 2), n - 1]) {
        const incl = new Array<number>(n).fill(0);
        const rounds = Math.ceil((100 * n) / count);
        for (let r = 0; r < rounds; r++) {
          hashRandomHandles(ks, t, e, count, out);
          expect(out.n).toBe(count);
          const s = new Set<number>();
          for (let i = 0; i < out.n; i++) s.add(fieldIndex(t, e, out.ids[i]!, ref));
          expect(s.size).toBe(count);
          for (const x of s) incl[x]!++;
        }
        const exp = (rounds * count) / n;
        for (const c of incl) expect(Math.abs(c - exp)).toBeLessThan(6 * Math.sqrt(exp) + 2);
      }
      hashRandomHandles(ks, t, e, n + 5, out);
      expect(out.n).toBe(n); // count >= size: the whole hash
      hashRandomHandles(ks, t, e, 0, out);
      expect(out.n).toBe(0);
    });
  }
});

describe("memory accounting", () => {
  test("used_memory follows a hashtable hash's growth and its deletion", () => {
    const ks = newKs();
    const t = ks.db(0);
    const used0 = ks.usedBytes();
    const e = hashCreate(t, b("k"), 0, 1);
    for (let i = 0; i < 5000; i++) set(ks, t, e, b(`field:${i}`), b(`value:${i}`));
    expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    const d = t.getObj(e) as ByteDict;
    expect(ks.objectBytes).toBe(d.memoryBytes());
    expect(ks.usedBytes() - used0).toBeGreaterThan(5000 * 20);
    ks.removeEntry(t, e);
    expect(ks.objectBytes).toBe(0);
  });
});

describe("small-hash footprint", () => {
  test("a session-shaped hash is its key's row and block: no JS object, ~136 B used", () => {
    const N = 20_000;
    const ks = new Keyspace(1);
    const t = ks.db(0);
    Bun.gc(true);
    const heap0 = process.memoryUsage().heapUsed;
    const used0 = ks.usedBytes();
    for (let i = 0; i < N; i++) {
      const k = b(`session:${i}`);
      const e = hashCreate(t, k, 0, k.length);
      set(ks, t, e, b("user"), b(`u${i}`));
      set(ks, t, e, b("ip"), b(`10.0.${(i >> 8) & 255}.${i & 255}`));
      set(ks, t, e, b("ts"), b(String(1700000000 + i)));
      set(ks, t, e, b("agent"), b("Mozilla/5.0"));
      set(ks, t, e, b("flags"), b(String(i % 8)));
      expect(t.getObj(e)).toBeUndefined();
    }
    Bun.gc(true);
    const usedPer = (ks.usedBytes() - used0) / N;
    const heapPer = (process.memoryUsage().heapUsed - heap0) / N;
    // Measured ~136 B/hash at 1M (redis-server 7.0: ~152 used_memory); generous bounds.
    expect(usedPer).toBeLessThan(200);
    expect(heapPer).toBeLessThan(260);
    const e = t.find(b("session:77"), 0, 10);
    expect(get(t, e, b("ts"))).toEqual(b("1700000077"));
    expect(hashLength(t, e)).toBe(5);
  });
});
