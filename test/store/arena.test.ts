import { describe, expect, test } from "bun:test";
import { Arena, LARGE_BLOCK, PAGE_SIZE } from "../../src/store/arena.ts";
import { Prng } from "../helpers/prng.ts";

describe("arena", () => {
  test("size classes: multiples of 16 to 128, then 4 per power of two", () => {
    const a = new Arena();
    expect(a.capacityFor(0)).toBe(16);
    expect(a.capacityFor(1)).toBe(16);
    expect(a.capacityFor(16)).toBe(16);
    expect(a.capacityFor(17)).toBe(32);
    expect(a.capacityFor(48)).toBe(48);
    expect(a.capacityFor(128)).toBe(128);
    expect(a.capacityFor(129)).toBe(160);
    expect(a.capacityFor(257)).toBe(320);
    expect(a.capacityFor(LARGE_BLOCK)).toBe(LARGE_BLOCK);
    expect(a.capacityFor(LARGE_BLOCK + 1)).toBe(LARGE_BLOCK + 1);
    for (let s = 0; s <= LARGE_BLOCK; s += 7) {
      const c = a.capacityFor(s);
      expect(c).toBeGreaterThanOrEqual(s);
      expect(c % 16).toBe(0);
      if (s > 128) expect(c).toBeLessThan(s * 1.25 + 16);
    }
  });

  test("zero-size allocations work and are distinct", () => {
    const a = new Arena({ checked: true });
    const x = a.alloc(0);
    const y = a.alloc(0);
    expect(x).not.toBe(y);
    a.free(x, a.capacityFor(0));
    a.free(y, a.capacityFor(0));
    expect(a.liveBytes).toBe(0);
  });

  test("a freed block is reused by its class", () => {
    const a = new Arena({ checked: true });
    const x = a.alloc(40);
    a.alloc(40);
    a.free(x, a.capacityFor(40));
    expect(a.alloc(33)).toBe(x); // same class (48)
    const before = a.reservedBytes;
    for (let i = 0; i < 1000; i++) a.free(a.alloc(100), a.capacityFor(100));
    expect(a.reservedBytes).toBe(before);
  });

  test("large blocks get their own page and release it", () => {
    const a = new Arena({ checked: true });
    a.alloc(10);
    const base = a.reservedBytes;
    const big = a.alloc(3 * PAGE_SIZE + 5);
    expect(a.offset(big)).toBe(0);
    expect(a.page(big).length).toBe(3 * PAGE_SIZE + 5);
    expect(a.reservedBytes).toBe(base + 3 * PAGE_SIZE + 5);
    a.page(big)[3 * PAGE_SIZE + 4] = 7;
    a.free(big, a.capacityFor(3 * PAGE_SIZE + 5));
    expect(a.reservedBytes).toBe(base);
    // page id is recycled
    const again = a.alloc(LARGE_BLOCK + 1);
    expect(again).toBe(big);
    a.free(again, LARGE_BLOCK + 1);
    expect(a.reservedBytes).toBe(base);
  });

  test("invalid frees throw", () => {
    const a = new Arena({ checked: true });
    const x = a.alloc(20);
    expect(() => a.free(x, 48)).toThrow();
    a.free(x, 32);
    expect(() => a.free(x, 32)).toThrow();
    expect(() => a.free(99 * PAGE_SIZE, 16)).toThrow();
    const plain = new Arena();
    plain.alloc(20);
    expect(() => plain.free(8, 16)).toThrow(); // misaligned
    expect(() => plain.free(0, 40)).toThrow(); // not a class size
    expect(() => plain.alloc(-1)).toThrow();
  });

  test("random alloc/free keeps every block's content intact", () => {
    const rng = new Prng(7);
    const a = new Arena({ checked: true });
    const live: { addr: number; size: number; cap: number; fill: number }[] = [];
    const check = (b: (typeof live)[number]) => {
      const p = a.page(b.addr);
      const o = a.offset(b.addr);
      expect(o + b.size).toBeLessThanOrEqual(p.length);
      for (let i = 0; i < b.size; i += 1 + (b.size >> 6)) {
        if (p[o + i] !== ((b.fill + i) & 0xff)) throw new Error(`corrupt block ${b.addr}+${i}`);
      }
    };
    for (let op = 0; op < 60_000; op++) {
      if (live.length > 0 && rng.int(100) < 45) {
        const i = rng.int(live.length);
        const b = live[i]!;
        check(b);
        a.free(b.addr, b.cap);
        live[i] = live[live.length - 1]!;
        live.pop();
      } else {
        const r = rng.int(1000);
        const size = r < 900 ? rng.int(200) : r < 995 ? rng.int(LARGE_BLOCK + 1) : rng.int(300_000);
        const addr = a.alloc(size);
        const cap = a.capacityFor(size);
        const fill = rng.int(256);
        const p = a.page(addr);
        const o = a.offset(addr);
        for (let i = 0; i < size; i++) p[o + i] = (fill + i) & 0xff;
        live.push({ addr, size, cap, fill });
      }
    }
    let sum = 0;
    for (const b of live) sum += b.cap;
    expect(a.liveBytes).toBe(sum);
    expect(a.reservedBytes).toBeGreaterThanOrEqual(sum);
    for (const b of live) {
      check(b);
      a.free(b.addr, b.cap);
    }
    expect(a.liveBytes).toBe(0);
    // only small pages remain: large pages were all released
    expect(a.reservedBytes % PAGE_SIZE).toBe(0);
  });

  test("page tails are recycled into smaller classes", () => {
    const a = new Arena();
    // 18 blocks of 56 KiB fill 1008 KiB of a page; the 19th opens page 2 and leaves a 16 KiB tail
    const size = 56 * 1024;
    expect(a.capacityFor(size)).toBe(size);
    for (let i = 0; i < 19; i++) a.alloc(size);
    expect(a.reservedBytes).toBe(2 * PAGE_SIZE);
    const inTail = a.alloc(16 * 1024);
    expect(Math.floor(inTail / PAGE_SIZE)).toBe(0);
    expect(a.offset(inTail)).toBe(18 * size);
  });

  test("reset drops everything", () => {
    const a = new Arena();
    for (let i = 0; i < 100; i++) a.alloc(1000);
    a.alloc(LARGE_BLOCK * 2);
    a.reset();
    expect(a.reservedBytes).toBe(0);
    expect(a.liveBytes).toBe(0);
    const x = a.alloc(10);
    expect(a.page(x).length).toBe(PAGE_SIZE);
  });
});
