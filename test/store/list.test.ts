// List (src/store/list.ts): seeded random operations against a JS array of byte strings,
// across node sizes that force splits and merges, with checkInvariants() after every step.

import { describe, expect, test } from "bun:test";
import { List } from "../../src/store/list.ts";
import { clampRange } from "../helpers/list-model.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

function rng(seed: number) {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function eq(a: Uint8Array, c: Uint8Array): boolean {
  if (a.length !== c.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== c[i]) return false;
  return true;
}

function toArray(l: List): Uint8Array[] {
  const out: Uint8Array[] = [];
  l.range(0, -1, false, (buf, off, len) => out.push(buf.slice(off, off + len)));
  return out;
}

function toArrayBack(l: List): Uint8Array[] {
  const out: Uint8Array[] = [];
  l.range(0, -1, true, (buf, off, len) => out.push(buf.slice(off, off + len)));
  return out.reverse();
}

function hex(a: Uint8Array[]): string[] {
  return a.map((x) => Buffer.from(x).toString("hex"));
}

/** LPOS as its documentation reads: all matches within MAXLEN in scan order, then skip and cut. */
function lposRef(arr: Uint8Array[], el: Uint8Array, rank: number, count: number, maxlen: number) {
  const order = arr.map((_, i) => (rank > 0 ? i : arr.length - 1 - i));
  const scanned = maxlen === 0 ? order : order.slice(0, maxlen);
  const matches = scanned.filter((i) => eq(arr[i]!, el));
  return matches.slice(Math.abs(rank) - 1, Math.abs(rank) - 1 + count);
}

interface Config {
  name: string;
  fill: number;
  nodeBytes: number;
  /** Length of an occasional big element (past the node limit). */
  big: number;
}

const configs: Config[] = [
  { name: "fill 4 elements", fill: 4, nodeBytes: 0, big: 300 },
  { name: "fill 1 element", fill: 1, nodeBytes: 0, big: 300 },
  { name: "fill 0 (one per node)", fill: 0, nodeBytes: 0, big: 300 },
  { name: "128-byte nodes", fill: -2, nodeBytes: 128, big: 200 },
  { name: "default (8 KB nodes)", fill: -2, nodeBytes: 0, big: 9000 },
  { name: "fill -1 (4 KB nodes)", fill: -1, nodeBytes: 0, big: 5000 },
];

function modelRun(cfg: Config, seed: number, steps: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const l = new List(cfg.fill, 0, cfg.nodeBytes);
  let ref: Uint8Array[] = [];
  const element = (): Uint8Array => {
    const x = r();
    let len: number;
    if (x < 0.05) len = 0;
    else if (x < 0.75) len = 1 + int(3);
    else if (x < 0.95)
      len = 100 + int(200); // multi-byte boundaries
    else len = cfg.big + int(100);
    const e = new Uint8Array(len);
    // Few distinct short values, so LREM/LPOS/LINSERT find matches; binary bytes included.
    const v = int(4);
    for (let i = 0; i < len; i++) e[i] = len <= 4 ? [0, 255, 97, 10][(v + i) % 4]! : int(256);
    return e;
  };
  const pick = (): Uint8Array => (ref.length > 0 && r() < 0.7 ? ref[int(ref.length)]! : element());
  let maxLen = 0;
  for (let step = 0; step < steps; step++) {
    if (step % 200 === 0) {
      // A burst of pushes, so the list regularly spans many nodes.
      for (let i = 0; i < 150; i++) {
        const e = element();
        if (i & 1) {
          l.pushRight(e, 0, e.length);
          ref.push(e);
        } else {
          l.pushLeft(e, 0, e.length);
          ref.unshift(e);
        }
      }
    }
    const op = int(100);
    const n = ref.length;
    // Keep the list bounded: pushes dominate while short, deletes when long.
    const grow = n < 300;
    if (op < (grow ? 30 : 10)) {
      const e = element();
      if (r() < 0.5) {
        l.pushLeft(e, 0, e.length);
        ref.unshift(e);
      } else {
        // From an offset inside a bigger buffer.
        const big = new Uint8Array(e.length + 7);
        big.set(e, 3);
        l.pushRight(big, 3, e.length);
        ref.push(e);
      }
    } else if (op < 45) {
      const left = r() < 0.5;
      const len = left ? l.peekLeft() : l.peekRight();
      if (n === 0) expect(len).toBe(-1);
      else {
        const got = l.cbuf.slice(l.coff, l.coff + len);
        expect(hex([got])).toEqual(hex([left ? ref[0]! : ref[n - 1]!]));
        if (left) {
          l.dropLeft();
          ref.shift();
        } else {
          l.dropRight();
          ref.pop();
        }
      }
    } else if (op < 52) {
      const i = int(n + 4) - 2 - (r() < 0.5 ? n : 0);
      const len = l.at(i);
      const j = i < 0 ? i + n : i;
      if (j < 0 || j >= n) expect(len).toBe(-1);
      else expect(hex([l.cbuf.slice(l.coff, l.coff + len)])).toEqual(hex([ref[j]!]));
    } else if (op < 60) {
      const i = int(n + 2) - (r() < 0.3 ? n : 0);
      const e = element();
      const ok = l.set(i, e, 0, e.length);
      const j = i < 0 ? i + n : i;
      expect(ok).toBe(j >= 0 && j < n);
      if (ok) ref[j] = e;
    } else if (op < 68) {
      const i = int(n + 1);
      const e = element();
      l.insertAt(i, e, 0, e.length);
      ref.splice(i, 0, e);
    } else if (op < 73) {
      const pivot = pick();
      const e = element();
      const after = r() < 0.5;
      const got = l.insertByPivot(after, pivot, 0, pivot.length, e, 0, e.length);
      const at = ref.findIndex((x) => eq(x, pivot));
      if (at < 0) expect(got).toBe(-1);
      else {
        ref.splice(after ? at + 1 : at, 0, e);
        expect(got).toBe(ref.length);
      }
    } else if (op < 80) {
      const e = pick();
      const count = int(7) - 3;
      const got = l.removeMatching(count, e, 0, e.length);
      let want = 0;
      if (count >= 0) {
        const next: Uint8Array[] = [];
        for (const x of ref) {
          if ((count === 0 || want < count) && eq(x, e)) want++;
          else next.push(x);
        }
        ref = next;
      } else {
        const next: Uint8Array[] = [];
        for (let i = ref.length - 1; i >= 0; i--) {
          if (want < -count && eq(ref[i]!, e)) want++;
          else next.push(ref[i]!);
        }
        ref = next.reverse();
      }
      expect(got).toBe(want);
    } else if (op < 83) {
      // LTRIM, usually keeping most of the list.
      const start = int(5) - 2;
      const stop = r() < 0.2 ? int(n + 2) - n - 1 : -1 - int(3);
      l.trim(start, stop);
      const c = clampRange(n, start, stop);
      ref = c === null ? [] : ref.slice(c[0], c[1]);
    } else if (op < 86) {
      if (n > 0) {
        const from = int(n);
        const count = int(Math.min(n - from, 40) + 1);
        l.deleteRange(from, count);
        ref.splice(from, count);
      }
    } else if (op < 91) {
      const start = int(n + 4) - 2 - (r() < 0.3 ? n : 0);
      const stop = int(n + 4) - 2 - (r() < 0.3 ? n : 0);
      const reverse = r() < 0.5;
      const got: Uint8Array[] = [];
      const m = l.range(start, stop, reverse, (buf, off, len) =>
        got.push(buf.slice(off, off + len)),
      );
      const c = clampRange(n, start, stop);
      const want = c === null ? [] : ref.slice(c[0], c[1]);
      if (reverse) want.reverse();
      expect(m).toBe(want.length);
      expect(hex(got)).toEqual(hex(want));
    } else if (op < 96) {
      const e = pick();
      const rank = (int(3) + 1) * (r() < 0.5 ? -1 : 1);
      const count = r() < 0.3 ? Number.POSITIVE_INFINITY : int(4) + 1;
      const maxlen = r() < 0.5 ? 0 : int(n + 2);
      const got: number[] = [];
      const m = l.positions(e, 0, e.length, rank, count, maxlen, (i) => got.push(i));
      expect(got).toEqual(lposRef(ref, e, rank, count, maxlen));
      expect(m).toBe(got.length);
    } else if (op < 98) {
      const fromLeft = r() < 0.5;
      const toLeft = r() < 0.5;
      l.rotate(fromLeft, toLeft);
      if (n > 1 && fromLeft !== toLeft) {
        if (fromLeft) ref.push(ref.shift()!);
        else ref.unshift(ref.pop()!);
      }
    } else {
      const c = l.clone();
      c.checkInvariants();
      expect(hex(toArray(c))).toEqual(hex(ref));
      // The copy shares nothing: changing it leaves the original alone.
      const e = b("clone-only");
      c.pushLeft(e, 0, e.length);
      c.set(-1, e, 0, e.length);
      expect(l.length).toBe(ref.length);
    }
    l.checkInvariants();
    expect(l.length).toBe(ref.length);
    if (step % 50 === 0 || ref.length < 5) {
      expect(hex(toArray(l))).toEqual(hex(ref));
      expect(hex(toArrayBack(l))).toEqual(hex(ref));
    }
    maxLen = Math.max(maxLen, ref.length);
  }
  expect(hex(toArray(l))).toEqual(hex(ref));
  return { maxLen, nodes: l.nodeCount };
}

describe("List model test", () => {
  for (const cfg of configs) {
    test(cfg.name, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const { maxLen } = modelRun(cfg, seed * 7919 + cfg.fill, 1500);
        expect(maxLen).toBeGreaterThan(150);
      }
    });
  }
});

describe("List edge cases", () => {
  test("empty list: peeks, index, drops, range, trim", () => {
    const l = new List();
    expect(l.peekLeft()).toBe(-1);
    expect(l.peekRight()).toBe(-1);
    expect(l.at(0)).toBe(-1);
    expect(l.at(-1)).toBe(-1);
    l.dropLeft();
    l.dropRight();
    expect(l.range(0, -1, false, () => {})).toBe(0);
    l.trim(0, -1);
    expect(l.set(0, b("x"), 0, 1)).toBe(false);
    expect(l.encoding).toBe("quicklist");
    l.checkInvariants();
  });

  test("zero-length and binary elements", () => {
    const l = new List(4);
    const bin = new Uint8Array([0, 255, 128, 127, 0, 10, 13]);
    l.pushRight(bin, 0, 0);
    l.pushRight(bin, 0, bin.length);
    l.pushLeft(bin, 3, 0);
    l.pushRight(bin, 0, 0);
    l.checkInvariants();
    expect(hex(toArray(l))).toEqual(["", "", Buffer.from(bin).toString("hex"), ""]);
    expect(l.positions(bin, 0, 0, 1, Number.POSITIVE_INFINITY, 0, () => {})).toBe(3);
    expect(l.removeMatching(0, bin, 0, 0)).toBe(3);
    expect(hex(toArray(l))).toEqual([Buffer.from(bin).toString("hex")]);
    l.checkInvariants();
  });

  test("negative indexes", () => {
    const l = new List(4);
    for (let i = 0; i < 10; i++) l.pushRight(b(`e${i}`), 0, 2);
    const get = (i: number) => {
      const n = l.at(i);
      return n < 0 ? null : new TextDecoder().decode(l.cbuf.subarray(l.coff, l.coff + n));
    };
    expect(get(-1)).toBe("e9");
    expect(get(-10)).toBe("e0");
    expect(get(-11)).toBeNull();
    expect(get(10)).toBeNull();
    expect(l.set(-2, b("X"), 0, 1)).toBe(true);
    expect(get(8)).toBe("X");
    l.checkInvariants();
  });

  test("big elements get their own node, at both ends and in the middle", () => {
    const l = new List(); // 8 KB nodes
    const big = new Uint8Array(100_000);
    for (let i = 0; i < big.length; i++) big[i] = i * 31;
    const small = b("s");
    for (let i = 0; i < 100; i++) l.pushRight(small, 0, 1);
    l.pushRight(big, 0, big.length);
    l.pushLeft(big, 0, big.length);
    l.insertAt(50, big, 0, big.length);
    l.checkInvariants();
    expect(l.length).toBe(103);
    for (const i of [0, 50, 102]) {
      expect(l.at(i)).toBe(big.length);
      expect(eq(l.cbuf.slice(l.coff, l.coff + big.length), big)).toBe(true);
    }
    // Replacing a big element by a small one gives its buffer back.
    const before = l.memoryBytes();
    l.set(50, small, 0, 1);
    l.checkInvariants();
    expect(l.memoryBytes()).toBeLessThan(before - 90_000);
    // A big element past the node size, under 128-byte nodes too.
    const t = new List(-2, 0, 128);
    for (let i = 0; i < 20; i++) t.pushRight(big, 0, 129 + i);
    expect(t.nodeCount).toBe(20);
    t.checkInvariants();
  });

  test("trim to empty and to everything", () => {
    const l = new List(4);
    for (let i = 0; i < 50; i++) l.pushRight(b(`${i}`), 0, `${i}`.length);
    l.trim(0, -1);
    expect(l.length).toBe(50);
    l.trim(5, 100);
    expect(l.length).toBe(45);
    l.trim(-3, -1);
    expect(toArray(l).map((x) => new TextDecoder().decode(x))).toEqual(["47", "48", "49"]);
    l.trim(2, 1);
    expect(l.length).toBe(0);
    expect(l.nodeCount).toBe(0);
    l.checkInvariants();
    l.pushLeft(b("again"), 0, 5);
    expect(l.length).toBe(1);
    l.checkInvariants();
  });

  test("LPOS rank/count/maxlen combinations against the reference", () => {
    const l = new List(4);
    const vals = ["a", "b", "a", "c", "a", "b", "a", "a", "c", "a"];
    for (const v of vals) l.pushRight(b(v), 0, 1);
    const ref = vals.map(b);
    for (const el of ["a", "b", "c", "z"]) {
      for (const rank of [1, 2, 3, 7, -1, -2, -5, -9]) {
        for (const count of [1, 2, 3, Number.POSITIVE_INFINITY]) {
          for (const maxlen of [0, 1, 3, 5, 10, 11]) {
            const got: number[] = [];
            l.positions(b(el), 0, 1, rank, count, maxlen, (i) => got.push(i));
            expect(got).toEqual(lposRef(ref, b(el), rank, count, maxlen));
          }
        }
      }
    }
    // Spot checks against Redis's documented examples (LPOS mylist c RANK -1 etc.).
    const one = (rank: number, count: number, maxlen: number) => {
      const got: number[] = [];
      l.positions(b("a"), 0, 1, rank, count, maxlen, (i) => got.push(i));
      return got;
    };
    expect(one(1, 1, 0)).toEqual([0]);
    expect(one(-1, 1, 0)).toEqual([9]);
    expect(one(2, Number.POSITIVE_INFINITY, 0)).toEqual([2, 4, 6, 7, 9]);
    expect(one(-2, 2, 0)).toEqual([7, 6]);
    expect(one(1, Number.POSITIVE_INFINITY, 3)).toEqual([0, 2]);
    expect(() => one(0, 1, 0)).toThrow();
  });

  test("rotate on a one-node list (LMOVE on the same key)", () => {
    const l = new List();
    for (const v of ["a", "bb", "ccc"]) l.pushRight(b(v), 0, v.length);
    l.rotate(false, true); // RPOPLPUSH k k
    expect(toArray(l).map((x) => new TextDecoder().decode(x))).toEqual(["ccc", "a", "bb"]);
    l.rotate(true, false);
    expect(toArray(l).map((x) => new TextDecoder().decode(x))).toEqual(["a", "bb", "ccc"]);
    l.rotate(true, true);
    expect(toArray(l).map((x) => new TextDecoder().decode(x))).toEqual(["a", "bb", "ccc"]);
    l.checkInvariants();
  });

  test("fill is clamped like quicklistSetFill; compress depth is stored", () => {
    expect(new List(-100).fill).toBe(-5);
    expect(new List(100_000).fill).toBe(32767);
    expect(new List(-2, 3).compressDepth).toBe(3);
  });

  test("memory stays bounded after deletes in the middle (nodes merge)", () => {
    const l = new List(-2, 0, 256);
    const r = rng(99);
    const e = new Uint8Array(10);
    for (let i = 0; i < 20_000; i++) {
      e[0] = i % 10;
      l.pushRight(e, 0, e.length);
    }
    const full = l.stats();
    // Remove 90% of the elements from the middle: all but the values 0.
    for (let v = 1; v < 10; v++) {
      e[0] = v;
      l.removeMatching(0, e, 0, e.length);
    }
    l.checkInvariants();
    expect(l.length).toBe(2000);
    const st = l.stats();
    // Each node is more than half full on average: 2000 * 11 bytes into 256-byte nodes.
    expect(st.nodes).toBeLessThanOrEqual(Math.ceil((2000 * 11 * 2) / 256) + 2);
    expect(st.bufferBytes).toBeLessThan(full.bufferBytes / 4);
    // Random middle deletes keep the same bound.
    while (l.length > 500) l.deleteRange(1 + Math.floor(r() * (l.length - 2)), 1);
    l.checkInvariants();
    expect(l.stats().nodes).toBeLessThanOrEqual(Math.ceil((500 * 11 * 2) / 256) + 2);
  });

  test("clone shares no buffers", () => {
    const l = new List(4);
    for (let i = 0; i < 100; i++) l.pushRight(b(`v${i}`), 0, `v${i}`.length);
    const c = l.clone();
    c.set(0, b("changed"), 0, 7);
    c.dropRight();
    expect(l.at(0)).toBe(2);
    expect(l.length).toBe(100);
    expect(c.length).toBe(99);
    c.checkInvariants();
    expect(l.memoryBytes()).toBeGreaterThan(0);
  });

  test("element length bound", () => {
    const l = new List();
    expect(() => l.pushRight(new Uint8Array(1), 0, -1)).toThrow(RangeError);
    expect(() => l.pushLeft(new Uint8Array(1), 0, 0x7fffffff)).toThrow(RangeError);
  });
});
