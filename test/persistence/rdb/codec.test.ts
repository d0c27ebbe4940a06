// Unit tests of the RDB building blocks: CRC-64/Jones, LZF, listpack, ziplist, zipmap, intset.

import { describe, expect, test } from "bun:test";
import { Crc64, crc64 } from "../../../src/persistence/rdb/crc64.ts";
import { encodeIntset, intsetEntries } from "../../../src/persistence/rdb/intset.ts";
import { ListpackWriter, listpackEntries } from "../../../src/persistence/rdb/listpack.ts";
import { LzfCompressor, lzfDecompress } from "../../../src/persistence/rdb/lzf.ts";
import { ziplistEntries } from "../../../src/persistence/rdb/ziplist.ts";
import { zipmapEntries } from "../../../src/persistence/rdb/zipmap.ts";
import { Prng } from "../../helpers/prng.ts";
import { b, latin1 } from "./helpers.ts";

describe("crc64", () => {
  test("Redis's check value and its test vector", () => {
    expect(crc64(0n, b("123456789"))).toBe(0xe9c6d914c4b8d9can);
    // (the CRC of real Redis payloads and files is checked in dump-redis and file-redis tests)
    expect(crc64(0n, new Uint8Array(0))).toBe(0n);
  });

  test("slicing-by-8 equals the bytewise loop, any length and any split", () => {
    const r = new Prng(7);
    for (let n = 0; n < 200; n++) {
      const d = r.bytes(n * 3 + r.int(9));
      const ref = new Crc64().updateBytewise(d).value();
      expect(new Crc64().update(d).value()).toBe(ref);
      const cut = r.int(d.length + 1);
      expect(new Crc64().update(d, 0, cut).update(d, cut).value()).toBe(ref);
      expect(crc64(crc64(0n, d.subarray(0, cut)), d.subarray(cut))).toBe(ref);
    }
  });

  test("throughput bound (generous): 16 MiB in under 2 s", () => {
    const d = new Prng(1).bytes(1 << 20);
    const t = performance.now();
    const c = new Crc64();
    for (let i = 0; i < 16; i++) c.update(d);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe("lzf", () => {
  const lzf = new LzfCompressor();
  // liblzf's worst case: one control byte per 32 literals
  const roundTrip = (d: Uint8Array, limit = d.length + (d.length >> 5) + 16) => {
    const out = new Uint8Array(limit);
    const n = lzf.compress(d, out, limit);
    if (n === 0) return 0;
    expect(lzfDecompress(out.subarray(0, n), d.length)).toEqual(d);
    return n;
  };

  test("round trips random, repetitive and mixed data", () => {
    const r = new Prng(3);
    for (let i = 0; i < 300; i++) {
      const n = 1 + r.int(3000);
      const kind = i % 3;
      const d = kind === 0 ? r.bytes(n) : new Uint8Array(n);
      if (kind === 1) for (let k = 0; k < n; k++) d[k] = 97 + (k % (1 + (i % 13)));
      if (kind === 2) for (let k = 0; k < n; k++) d[k] = r.int(4) === 0 ? r.int(256) : 65;
      expect(roundTrip(d)).toBeGreaterThan(0);
    }
  });

  test("edge cases: 1-3 bytes, max match length, max offset, long literal runs", () => {
    for (const d of [b("a"), b("ab"), b("abc"), b("aaaa")]) expect(roundTrip(d)).toBeGreaterThan(0);
    const same = new Uint8Array(100_000).fill(7); // matches capped at 264 bytes each
    const n = roundTrip(same);
    expect(n).toBeLessThan((100_000 / 264) * 3 + 10);
    const r = new Prng(9);
    const block = r.bytes(8191);
    const far = new Uint8Array(8191 * 2 + 100); // a repeat exactly at the 8 KiB window edge
    far.set(block, 0);
    far.set(block, 8191);
    expect(roundTrip(far)).toBeLessThan(far.length);
  });

  test("a bounded output: 0 when it does not fit (incompressible within len-4)", () => {
    const d = new Prng(5).bytes(1000);
    const out = new Uint8Array(996);
    expect(lzf.compress(d, out, 996)).toBe(0);
    expect(lzf.compress(new Uint8Array(0), out)).toBe(0);
    // compressible data fits in len-4 and never writes past the limit
    const rep = new Uint8Array(1000).fill(1);
    const small = new Uint8Array(20);
    expect(lzf.compress(rep, small, 20)).toBeGreaterThan(0);
    expect(lzf.compress(rep, small, 3)).toBe(0);
  });

  test("a range of a bigger buffer compresses exactly as a copy of it (no view needed)", () => {
    // two compressors fed the same sequence: the hash table's state evolves the same way, so
    // the only difference would be the range's offset leaking into positions
    const r = new Prng(11);
    const whole = new LzfCompressor();
    const ranged = new LzfCompressor();
    for (let i = 0; i < 200; i++) {
      const n = 3 + r.int(600);
      const d = new Uint8Array(n);
      for (let k = 0; k < n; k++) d[k] = r.int(3) === 0 ? r.int(256) : 97 + (k % (1 + (i % 7)));
      const pad = r.int(40);
      const big = r.bytes(pad + n + r.int(40)); // junk on both sides of the range
      big.set(d, pad);
      const limit = n + (n >> 5) + 16;
      const o1 = new Uint8Array(limit);
      const o2 = new Uint8Array(limit);
      const n1 = whole.compress(d, o1, limit);
      const n2 = ranged.compress(big, o2, limit, pad, n);
      expect(n2).toBe(n1);
      expect(o2.subarray(0, n2)).toEqual(o1.subarray(0, n1));
      if (n1 > 0) expect(lzfDecompress(o2.subarray(0, n2), n)).toEqual(d);
    }
  });

  test("malformed input is refused, never over-allocated", () => {
    expect(() => lzfDecompress(new Uint8Array([5, 1, 2]), 6)).toThrow(/literal run past/);
    expect(() => lzfDecompress(new Uint8Array([0, 1, 0x20, 5]), 4)).toThrow(/before the start/);
    expect(() => lzfDecompress(new Uint8Array([1, 1, 2]), 1)).toThrow(/overflow/);
    expect(() => lzfDecompress(new Uint8Array([0, 1]), 5)).toThrow(/expected 5/);
    expect(() => lzfDecompress(new Uint8Array([0, 1, 0xe0]), 5)).toThrow(/truncated/);
  });
});

describe("listpack", () => {
  test("integers at every encoding boundary and strings at every length class", () => {
    const ints = [
      0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608, 8388608,
      2147483647, -2147483648, 2147483648, 9007199254740991, -9007199254740991,
    ];
    const big = ["9223372036854775807", "-9223372036854775808", "9007199254740993"];
    const strs = [
      "",
      "x",
      "a".repeat(63),
      "b".repeat(64),
      "c".repeat(4095),
      "d".repeat(4096),
      "e".repeat(70000),
      "007",
      "-0",
      "+1",
      "1.5",
      " 1",
      "99999999999999999999",
    ];
    const all = [...ints.map(String), ...big, ...strs];
    const w = new ListpackWriter();
    for (const s of all) w.append(b(s));
    const lp = w.finish();
    expect(listpackEntries(lp).map(latin1)).toEqual(all);
    // canonical integers took integer encodings: the 19 numbers + 3 int64 need far less than text
    const w2 = new ListpackWriter();
    for (const s of ints.map(String)) w2.appendString(b(s));
    expect(w2.finish().length).toBeGreaterThan(lp.length - strs.join("").length - 60);
  });

  test("malformed listpacks are refused", () => {
    const lp = (() => {
      const w = new ListpackWriter();
      w.append(b("hello"));
      w.append(b("12"));
      return w.finish();
    })();
    const badTotal = lp.slice();
    badTotal[0]! += 1;
    expect(() => listpackEntries(badTotal)).toThrow(/header says/);
    const badCount = lp.slice();
    badCount[4] = 3;
    expect(() => listpackEntries(badCount)).toThrow(/3 entries/);
    const noEnd = lp.slice();
    noEnd[noEnd.length - 1] = 0;
    expect(() => listpackEntries(noEnd)).toThrow(/end byte/);
    const longStr = lp.slice();
    longStr[6] = 0x80 | 60; // a 60-byte string in a 17-byte listpack
    expect(() => listpackEntries(longStr)).toThrow(/past the end/);
  });
});

/** A reference ziplist builder, from the ziplist.c format description (Redis 7.0 writes none). */
function ziplist(items: (string | number)[]): Uint8Array {
  const parts: number[] = [];
  let prev = 0;
  for (const it of items) {
    const e: number[] = [];
    if (typeof it === "number") {
      if (it >= 0 && it <= 12) e.push(0xf1 + it);
      else if (it >= -128 && it <= 127) e.push(0xfe, it & 0xff);
      else if (it >= -32768 && it <= 32767) e.push(0xc0, it & 0xff, (it >> 8) & 0xff);
      else if (it >= -8388608 && it <= 8388607)
        e.push(0xf0, it & 0xff, (it >> 8) & 0xff, (it >> 16) & 0xff);
      else if (it >= -2147483648 && it <= 2147483647)
        e.push(0xd0, ...[0, 1, 2, 3].map((k) => (it >> (8 * k)) & 0xff));
      else {
        const v = BigInt.asUintN(64, BigInt(it));
        e.push(0xe0, ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => Number((v >> BigInt(8 * k)) & 0xffn)));
      }
    } else {
      const s = [...b(it)];
      if (s.length < 64) e.push(s.length);
      else if (s.length < 16384) e.push(0x40 | (s.length >> 8), s.length & 0xff);
      else
        e.push(
          0x80,
          (s.length >>> 24) & 0xff,
          (s.length >> 16) & 0xff,
          (s.length >> 8) & 0xff,
          s.length & 0xff,
        );
      e.push(...s);
    }
    const pl =
      prev < 254
        ? [prev]
        : [0xfe, prev & 0xff, (prev >> 8) & 0xff, (prev >> 16) & 0xff, prev >>> 24];
    const entry = [...pl, ...e];
    parts.push(...entry);
    prev = entry.length;
  }
  const total = 10 + parts.length + 1;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, total, true);
  new DataView(out.buffer).setUint16(8, items.length, true);
  out.set(parts, 10);
  out[total - 1] = 0xff;
  return out;
}

describe("ziplist (read only)", () => {
  test("every entry encoding, including 5-byte prevlen", () => {
    const items: (string | number)[] = [
      0,
      12,
      13,
      -1,
      127,
      -128,
      300,
      -30000,
      100000,
      -8000000,
      2000000000,
      -2000000000,
      5000000000,
      -5000000000,
      "",
      "abc",
      "x".repeat(300),
      "y".repeat(20000),
    ];
    expect(ziplistEntries(ziplist(items)).map(latin1)).toEqual(items.map(String));
  });

  test("malformed ziplists are refused", () => {
    const z = ziplist(["a", 5]);
    const bad = z.slice();
    bad[8] = 9;
    expect(() => ziplistEntries(bad)).toThrow(/9 entries/);
    const enc = z.slice();
    enc[11] = 0x85; // string kind 2 with a wrong low bits
    expect(() => ziplistEntries(enc)).toThrow(/bad string encoding/);
  });
});

describe("zipmap (read only)", () => {
  test("pairs with free bytes and a long length", () => {
    const long = "v".repeat(300);
    const bytes = [
      2,
      1,
      ...b("a"),
      2,
      3,
      ...b("xy"),
      0,
      0,
      0,
      1,
      ...b("b"),
      254,
      44,
      1,
      0,
      0,
      0,
      ...b(long),
      0xff,
    ];
    const got = zipmapEntries(new Uint8Array(bytes)).map(([k, v]) => [latin1(k), latin1(v)]);
    expect(got).toEqual([
      ["a", "xy"],
      ["b", long],
    ]);
    expect(() => zipmapEntries(new Uint8Array([1, 1, 97]))).toThrow(/past the end/);
  });
});

describe("intset", () => {
  test("widths 2, 4, 8 and sorted output", () => {
    for (const [members, width] of [
      [["3", "-1", "2"], 2],
      [["70000", "1"], 4],
      [["-9223372036854775808", "5"], 8],
    ] as const) {
      const blob = encodeIntset(members.map(b))!;
      expect(blob[0]).toBe(width);
      const sorted = [...members].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
      expect(intsetEntries(blob).map(latin1)).toEqual(sorted);
    }
    expect(encodeIntset([b("1"), b("x")])).toBeNull();
    expect(encodeIntset([b("01")])).toBeNull();
    expect(() => encodeIntset([b("1"), b("1")])).toThrow(/duplicate/);
    const blob = encodeIntset([b("1"), b("2")])!;
    blob[8] = 9; // not ascending any more
    expect(() => intsetEntries(blob)).toThrow(/ascending/);
    expect(() => intsetEntries(blob.subarray(0, 11))).toThrow(/do not fill/);
  });
});
