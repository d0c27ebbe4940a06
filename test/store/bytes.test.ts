import { describe, expect, test } from "bun:test";
import { OutBuf } from "../../src/protocol/outbuf.ts";
import {
  bytesEqual,
  COPY_LOOP_MAX,
  compareBytes,
  copyBytes,
  hashBytes,
  setHashSeed,
} from "../../src/store/bytes.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("bytes", () => {
  test("hash is unsigned, offset-independent and seed-dependent", () => {
    setHashSeed(1);
    const a = enc("hello world!");
    const b = enc("xxhello world!");
    const h = hashBytes(a, 0, a.length);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 32);
    expect(hashBytes(b, 2, a.length)).toBe(h);
    for (let len = 0; len < 8; len++) {
      // every tail length hashes differently from its neighbours
      expect(hashBytes(a, 0, len)).not.toBe(hashBytes(a, 0, len + 1));
    }
    setHashSeed(2);
    expect(hashBytes(a, 0, a.length)).not.toBe(h);
  });

  test("hash spreads sequential keys over buckets", () => {
    setHashSeed(12345);
    const buckets = new Int32Array(256);
    const k = new Uint8Array(16);
    const view = new DataView(k.buffer);
    for (let i = 0; i < 65536; i++) {
      view.setUint32(12, i);
      buckets[hashBytes(k, 0, 16) & 255]!++;
    }
    for (const c of buckets) {
      expect(c).toBeGreaterThan(256 - 80);
      expect(c).toBeLessThan(256 + 80);
    }
  });

  test("equal and compare follow memcmp then length", () => {
    const a = enc("abc");
    const b = enc("abd");
    expect(bytesEqual(a, 0, b, 0, 2)).toBe(true);
    expect(bytesEqual(a, 0, b, 0, 3)).toBe(false);
    expect(compareBytes(a, 0, 3, b, 0, 3)).toBeLessThan(0);
    expect(compareBytes(b, 0, 3, a, 0, 3)).toBeGreaterThan(0);
    expect(compareBytes(a, 0, 2, a, 0, 3)).toBeLessThan(0);
    expect(compareBytes(a, 0, 3, a, 0, 3)).toBe(0);
    const hi = new Uint8Array([0xff]);
    const lo = new Uint8Array([0x00, 0x00]);
    expect(compareBytes(hi, 0, 1, lo, 0, 2)).toBeGreaterThan(0); // unsigned bytes
  });

  test("copyBytes handles overlap and other buffers", () => {
    const buf = new Uint8Array(200);
    for (let i = 0; i < 200; i++) buf[i] = i;
    copyBytes(buf, 0, buf, 10, 100);
    for (let i = 0; i < 100; i++) expect(buf[10 + i]).toBe(i);
    const dst = new Uint8Array(300);
    copyBytes(buf, 10, dst, 5, 150);
    for (let i = 0; i < 150; i++) expect(dst[5 + i]).toBe(buf[10 + i]!);
    const small = new Uint8Array(8);
    copyBytes(buf, 10, small, 1, 7);
    expect([...small]).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);
  });

  test("copyBytes and OutBuf.bytes: every length around the loop/native threshold, overlapping views", () => {
    for (const len of [
      1,
      COPY_LOOP_MAX - 1,
      COPY_LOOP_MAX,
      COPY_LOOP_MAX + 1,
      64,
      65,
      1024,
      70000,
    ]) {
      const model = (n: number) => Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);
      // Two views of one buffer, dst after src (needs a backward copy) and before it.
      for (const shift of [5, -5]) {
        const base = new Uint8Array(len + 20);
        base.set(model(len), 10);
        const src = base.subarray(10);
        const dst = base.subarray(10 + shift);
        copyBytes(src, 0, dst, 0, len);
        const got = [...base.subarray(10 + shift, 10 + shift + len)];
        expect(got).toEqual(model(len));
      }
      const out = new OutBuf();
      out.byte(42);
      const from = new Uint8Array(len + 3);
      from.set(model(len), 3);
      out.bytes(from, 3, len);
      expect([...out.buf.subarray(1, 1 + len)]).toEqual(model(len));
      expect(out.pending).toBe(len + 1);
    }
  });

  test("copies make no view: copying out of many small arrays does not grow the heap", () => {
    // A subarray or .buffer of a small typed array gives it an ArrayBuffer object (~100-200 B).
    const keep: Uint8Array[] = [];
    for (let i = 0; i < 20000; i++) keep.push(new Uint8Array(40).fill(i & 255));
    const dst = new Uint8Array(64);
    const out = new OutBuf();
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    for (const s of keep) {
      copyBytes(s, 0, dst, 0, 40);
      out.bytes(s, 0, 40);
      out.consumed(40);
    }
    Bun.gc(true);
    expect((process.memoryUsage().heapUsed - before) / keep.length).toBeLessThan(20);
    expect(dst[0]).toBe(keep[keep.length - 1]![0]!);
  });
});
