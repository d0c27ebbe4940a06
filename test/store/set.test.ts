// Set storage (src/store/set.ts): seeded random model tests against a Set across intset ->
// hashtable conversions (by count and by a non-integer member), string2ll edge cases, intset
// width upgrades and order, SRANDMEMBER/SPOP distributions and counts, SSCAN, COPY, memory.

import { describe, expect, test } from "bun:test";
import { ByteDict, Handles } from "../../src/store/bytedict.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import {
  ByteRef,
  cloneSetObject,
  isCanonicalInt64,
  SET_LIMITS_DEFAULT,
  type SetLimits,
  setAdd,
  setCreate,
  setEncoding,
  setFirst,
  setHas,
  setMember,
  setNext,
  setObjectEncoding,
  setPop,
  setRandom,
  setRandomHandles,
  setRemove,
  setScan,
  setSize,
} from "../../src/store/set.ts";
import type { Table } from "../../src/store/table.ts";
import { Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function newKs(): Keyspace {
  return new Keyspace(1, { checked: true });
}

function add(
  ks: Keyspace,
  t: Table,
  e: number,
  m: Uint8Array,
  lim: SetLimits = SET_LIMITS_DEFAULT,
) {
  return setAdd(ks, t, e, m, 0, m.length, lim);
}

function members(t: Table, e: number): string[] {
  const out: string[] = [];
  const r = new ByteRef();
  for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
    setMember(t, e, h, r);
    out.push(dec.decode(r.bytes()));
  }
  return out;
}

/** Redis's string2ll, by BigInt, as the reference. */
function refCanonical(s: string): boolean {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length >= 21) return false;
  const v = BigInt(s);
  return v >= I64_MIN && v <= I64_MAX;
}

describe("canonical integers (string2ll)", () => {
  test("edge cases", () => {
    const yes = [
      "0",
      "1",
      "-1",
      "9223372036854775807",
      "-9223372036854775808",
      "32767",
      "-32768",
      "2147483648",
    ];
    const no = [
      "",
      "-",
      "-0",
      "007",
      "00",
      "+1",
      " 1",
      "1 ",
      "1.0",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551616",
      "99999999999999999999",
      "1e3",
      "0x10",
      "１",
    ];
    for (const s of yes) expect([s, isCanonicalInt64(b(s), 0, b(s).length)]).toEqual([s, true]);
    for (const s of no) expect([s, isCanonicalInt64(b(s), 0, b(s).length)]).toEqual([s, false]);
  });

  test("random strings agree with a BigInt reference; members round-trip in ascending order", () => {
    const rng = new Prng(3);
    const ks = newKs();
    const t = ks.db(0);
    const lim = { maxIntsetEntries: 1 << 20 };
    const e = setCreate(t, b("s"), 0, 1, true);
    const want = new Set<bigint>();
    for (let i = 0; i < 4000; i++) {
      let s: string;
      const k = rng.int(5);
      if (k === 0) s = String(rng.int(70000) - 35000);
      else if (k === 1)
        s = String((BigInt(rng.u32()) << 32n) | BigInt(rng.u32())); // up to 2^64
      else if (k === 2) s = `-${(BigInt(rng.u32()) << 31n) | BigInt(rng.u32())}`;
      else if (k === 3)
        s = String(
          [I64_MIN, I64_MAX, I64_MIN + 1n, I64_MAX - 1n, 2n ** 31n, -(2n ** 31n), 2n ** 53n + 1n][
            rng.int(7)
          ],
        );
      else s = ["007", "+5", "-0", " 1", "12a", ""][rng.int(6)]!;
      const m = b(s);
      const canon = refCanonical(s);
      expect([s, isCanonicalInt64(m, 0, m.length)]).toEqual([s, canon]);
      if (!canon) continue;
      expect(add(ks, t, e, m, lim)).toBe(!want.has(BigInt(s)));
      want.add(BigInt(s));
      expect(setHas(t, e, m, 0, m.length)).toBe(true);
    }
    expect(setEncoding(t, e)).toBe("intset");
    const sorted = [...want].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map(String);
    expect(members(t, e)).toEqual(sorted);
    expect(setSize(t, e)).toBe(want.size);
  });

  test("width upgrades 16 -> 32 -> 64 bits keep the order, below and above", () => {
    const ks = newKs();
    const t = ks.db(0);
    const e = setCreate(t, b("s"), 0, 1, true);
    const vals = ["5", "-3", "40000", "-40000", "9223372036854775807", "-9223372036854775808", "0"];
    for (const v of vals) add(ks, t, e, b(v));
    expect(members(t, e)).toEqual([
      "-9223372036854775808",
      "-40000",
      "-3",
      "0",
      "5",
      "40000",
      "9223372036854775807",
    ]);
    expect(t.valLen[e]).toBe(1 + 7 * 8);
    for (const v of vals) expect(setRemove(ks, t, e, b(v), 0, b(v).length)).toBe(true);
    expect(setSize(t, e)).toBe(0);
    expect(t.valLen[e]).toBe(1); // width kept, never downgraded
    expect(setHas(t, e, b("99999999999"), 0, 11)).toBe(false);
  });
});

function modelRun(seed: number, lim: SetLimits, ops: number): number {
  const rng = new Prng(seed);
  const ks = newKs();
  const t = ks.db(0);
  let e = -1;
  let model = new Set<string>();
  let intset = true;
  let conversions = 0;
  const pick = (): string => {
    const k = rng.int(12);
    if (k < 8) return String(rng.int(200) - 100);
    if (k === 8)
      return ["9223372036854775807", "-9223372036854775808", "70000", "-70000", "3000000000"][
        rng.int(5)
      ]!;
    if (k === 9) return ["007", "+1", " 1", "-0", ""][rng.int(5)]!;
    return `m${rng.int(50)}`;
  };
  for (let i = 0; i < ops; i++) {
    const s = pick();
    const m = b(s);
    if (e < 0) {
      // Redis's setTypeCreate: the first member decides the encoding.
      intset = isCanonicalInt64(m, 0, m.length);
      e = setCreate(t, b("s"), 0, 1, intset);
      model = new Set();
    }
    const op = rng.int(10);
    if (op < 6) {
      expect(add(ks, t, e, m, lim)).toBe(!model.has(s));
      model.add(s);
      if (intset && (!refCanonical(s) || model.size > lim.maxIntsetEntries)) {
        intset = false;
        conversions++;
      }
    } else if (op < 8) {
      expect(setRemove(ks, t, e, m, 0, m.length)).toBe(model.delete(s));
      if (model.size === 0) {
        ks.removeEntry(t, e);
        e = -1;
        continue;
      }
    } else {
      expect(setHas(t, e, m, 0, m.length)).toBe(model.has(s));
    }
    if (i % 29 === 0 || i === ops - 1) {
      expect(setSize(t, e)).toBe(model.size);
      expect(setEncoding(t, e)).toBe(intset ? "intset" : "hashtable");
      const got = members(t, e);
      if (intset) expect(got).toEqual([...model].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)));
      else expect(got.sort()).toEqual([...model].sort());
      (t.getObj(e) as ByteDict | undefined)?.checkInvariants();
      t.checkInvariants();
      expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    }
  }
  return conversions;
}

describe("set model", () => {
  test("small intset limit: conversions by count and by non-integers", () => {
    let conv = 0;
    for (let seed = 1; seed <= 12; seed++) conv += modelRun(seed, { maxIntsetEntries: 16 }, 1500);
    expect(conv).toBeGreaterThan(5);
  });

  test("default limit (512)", () => {
    for (let seed = 50; seed <= 53; seed++) modelRun(seed, SET_LIMITS_DEFAULT, 3000);
  });

  test("tiny dict segments (64 B): members across segments and compaction", () => {
    const old = ByteDict.segmentShift;
    ByteDict.segmentShift = 6;
    try {
      for (let seed = 300; seed <= 305; seed++) modelRun(seed, { maxIntsetEntries: 16 }, 2000);
    } finally {
      ByteDict.segmentShift = old;
    }
  });

  test("conversion by count at exactly 512; never back", () => {
    const ks = newKs();
    const t = ks.db(0);
    const e = setCreate(t, b("s"), 0, 1, true);
    for (let i = 0; i < 512; i++) add(ks, t, e, b(String(i)));
    expect(setEncoding(t, e)).toBe("intset");
    expect(add(ks, t, e, b("0"))).toBe(false);
    expect(setEncoding(t, e)).toBe("intset");
    expect(add(ks, t, e, b("512"))).toBe(true);
    expect(setEncoding(t, e)).toBe("hashtable");
    for (let i = 0; i < 500; i++) setRemove(ks, t, e, b(String(i)), 0, String(i).length);
    expect(setEncoding(t, e)).toBe("hashtable");
    expect(members(t, e).sort()).toEqual(
      [
        "500",
        "501",
        "502",
        "503",
        "504",
        "505",
        "506",
        "507",
        "508",
        "509",
        "510",
        "511",
        "512",
      ].sort(),
    );
  });

  test("binary members and the empty member in a hashtable set", () => {
    const ks = newKs();
    const t = ks.db(0);
    const e = setCreate(t, b("s"), 0, 1, false);
    const ms = [
      new Uint8Array(0),
      new Uint8Array([0]),
      new Uint8Array([0, 0]),
      new Uint8Array([255, 0, 1]),
    ];
    for (const m of ms) expect(add(ks, t, e, m)).toBe(true);
    for (const m of ms) expect(add(ks, t, e, m)).toBe(false);
    for (const m of ms) expect(setHas(t, e, m, 0, m.length)).toBe(true);
    expect(setHas(t, e, new Uint8Array([0, 0, 0]), 0, 3)).toBe(false);
    expect(setSize(t, e)).toBe(4);
  });

  test("COPY: value bytes + cloned object share nothing", () => {
    for (const intset of [true, false]) {
      const ks = newKs();
      const t = ks.db(0);
      const e = setCreate(t, b("src"), 0, 3, intset);
      for (let i = 0; i < 20; i++) add(ks, t, e, b(intset ? String(i) : `m${i}`));
      const ne = t.add(b("dst"), 0, 3, t.type[e]!, t.valLen[e]!);
      t.page(ne).set(
        t.page(e).subarray(t.valueOffset(e), t.valueOffset(e) + t.valLen[e]!),
        t.valueOffset(ne),
      );
      const c = cloneSetObject(t.getObj(e));
      if (c !== undefined) t.setObj(ne, c);
      expect(setObjectEncoding(t.getObj(ne))).toBe(intset ? "intset" : "hashtable");
      const m0 = b(intset ? "0" : "m0");
      setRemove(ks, t, e, m0, 0, m0.length);
      expect(setHas(t, ne, m0, 0, m0.length)).toBe(true);
      expect(setSize(t, ne)).toBe(20);
      expect(ks.objectBytes).toBe(ks.recountObjectBytes());
    }
  });

  test("SSCAN: intset whole with cursor 0; hashtable never misses a stable member", () => {
    const ks = newKs();
    const t = ks.db(0);
    const out = new Handles();
    const e = setCreate(t, b("i"), 0, 1, true);
    for (let i = 0; i < 100; i++) add(ks, t, e, b(String(i)));
    expect(setScan(t, e, 0, 5, out)).toBe(0);
    expect(out.n).toBe(100);
    const rng = new Prng(9);
    const e2 = setCreate(t, b("h"), 0, 1, false);
    for (let i = 0; i < 1000; i++) add(ks, t, e2, b(`stable${i}`));
    const seen = new Set<string>();
    const r = new ByteRef();
    let cursor = 0;
    let calls = 0;
    do {
      cursor = setScan(t, e2, cursor, 10, out);
      for (let i = 0; i < out.n; i++) {
        setMember(t, e2, out.ids[i]!, r);
        seen.add(dec.decode(r.bytes()));
      }
      for (let k = 0; k < 20; k++) {
        const m = b(`churn${rng.int(3000)}`);
        if (rng.int(2) === 0) add(ks, t, e2, m);
        else setRemove(ks, t, e2, m, 0, m.length);
      }
    } while (cursor !== 0 && ++calls < 10000);
    expect(cursor).toBe(0);
    for (let i = 0; i < 1000; i++) expect(seen.has(`stable${i}`)).toBe(true);
  });
});

describe("SRANDMEMBER and SPOP", () => {
  function build(n: number, intset: boolean) {
    const ks = newKs();
    const t = ks.db(0);
    const e = setCreate(t, b("s"), 0, 1, intset);
    for (let i = 0; i < n; i++) add(ks, t, e, b(intset ? String(i) : `m${i}`));
    return { ks, t, e };
  }
  const idx = (s: string) => Number(s.startsWith("m") ? s.slice(1) : s);

  for (const [n, intset] of [
    [20, true],
    [300, false],
  ] as [number, boolean][]) {
    const label = `${n} members, ${intset ? "intset" : "hashtable"}`;
    test(`uniform single and repeated picks (${label})`, () => {
      const { ks, t, e } = build(n, intset);
      expect(setEncoding(t, e)).toBe(intset ? "intset" : "hashtable");
      const r = new ByteRef();
      const counts = new Array<number>(n).fill(0);
      const draws = 200 * n;
      for (let i = 0; i < draws; i++) {
        setMember(t, e, setRandom(ks, t, e), r);
        counts[idx(dec.decode(r.bytes()))]!++;
      }
      const out = new Handles();
      setRandomHandles(ks, t, e, -draws, out);
      expect(out.n).toBe(draws);
      for (let i = 0; i < out.n; i++) {
        setMember(t, e, out.ids[i]!, r);
        counts[idx(dec.decode(r.bytes()))]!++;
      }
      const exp = (2 * draws) / n;
      let chi = 0;
      for (const c of counts) chi += (c - exp) ** 2 / exp;
      expect(chi).toBeLessThan(n - 1 + 6 * Math.sqrt(2 * (n - 1)));
    });

    test(`distinct picks (${label})`, () => {
      const { ks, t, e } = build(n, intset);
      const r = new ByteRef();
      const out = new Handles();
      for (const count of [1, 2, Math.floor(n / 5), Math.floor(n / 2), n - 1]) {
        const incl = new Array<number>(n).fill(0);
        const rounds = Math.ceil((100 * n) / count);
        for (let k = 0; k < rounds; k++) {
          setRandomHandles(ks, t, e, count, out);
          const s = new Set<number>();
          for (let i = 0; i < out.n; i++) {
            setMember(t, e, out.ids[i]!, r);
            s.add(idx(dec.decode(r.bytes())));
          }
          expect(s.size).toBe(count);
          for (const x of s) incl[x]!++;
        }
        const exp = (rounds * count) / n;
        for (const c of incl) expect(Math.abs(c - exp)).toBeLessThan(6 * Math.sqrt(exp) + 2);
      }
      setRandomHandles(ks, t, e, n * 2, out);
      expect(out.n).toBe(n);
    });

    test(`SPOP count: every case pops distinct members, uniformly (${label})`, () => {
      // count small (pop one by one), count near size (keep few), count >= size (all).
      for (const count of [1, Math.floor(n / 3), n - 2, n, n + 3]) {
        const popped = new Array<number>(n).fill(0);
        const rounds = count >= n ? 2 : Math.min(1500, Math.ceil((60 * n) / count));
        for (let k = 0; k < rounds; k++) {
          const { ks, t, e } = build(n, intset);
          const got: number[] = [];
          const c = setPop(ks, t, e, count, (buf, off, len) =>
            got.push(idx(dec.decode(buf.slice(off, off + len)))),
          );
          expect(c).toBe(Math.min(count, n));
          expect(new Set(got).size).toBe(got.length);
          expect(setSize(t, e)).toBe(n - c);
          for (const x of got) {
            popped[x]!++;
            const m = b(intset ? String(x) : `m${x}`);
            expect(setHas(t, e, m, 0, m.length)).toBe(false);
          }
          (t.getObj(e) as ByteDict | undefined)?.checkInvariants();
          expect(ks.objectBytes).toBe(ks.recountObjectBytes());
        }
        if (count < n) {
          const exp = (rounds * count) / n;
          for (const p of popped) expect(Math.abs(p - exp)).toBeLessThan(6 * Math.sqrt(exp) + 2);
        }
      }
    });
  }
});
