// List (src/store/list.ts): seeded random operations against a JS array of byte strings,
// across node sizes that force splits and merges, with checkInvariants() after every step.

import { describe, expect, test } from "bun:test";
import { List } from "../../src/store/list.ts";

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

/** LRANGE/LTRIM index clamping as in t_list.c: [from, to) or null when empty. */
function clampRange(n: number, start: number, stop: number): [number, number] | null {
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return null;
  if (stop >= n) stop = n - 1;
  return [start, stop + 1];
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
