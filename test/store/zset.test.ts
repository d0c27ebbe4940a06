// Randomized model test of ZSet (hash index + RankTree) against a plain sorted array.

import { beforeAll, describe, expect, test } from "bun:test";
import { compareBytes, setHashSeed } from "../../src/store/bytes.ts";
import { ZSet } from "../../src/store/zset.ts";
import { hex, Prng } from "../helpers/prng.ts";

beforeAll(() => setHashSeed(0x9e3779b9));

interface Item {
  m: Uint8Array;
  s: number;
}

function cmp(a: Item, b: Item): number {
  if (a.s !== b.s) return a.s < b.s ? -1 : 1;
  return compareBytes(a.m, 0, a.m.length, b.m, 0, b.m.length);
}

/** Reference: a sorted array, with linear-time operations. */
class Model {
  items: Item[] = [];
  scores = new Map<string, number>();
  idx(m: Uint8Array): number {
    const s = this.scores.get(hex(m));
    if (s === undefined) return -1;
    const it = { m, s };
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(this.items[mid]!, it) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(m: Uint8Array, s: number): void {
    const i = this.idx(m);
    if (i >= 0) this.items.splice(i, 1);
    this.scores.set(hex(m), s);
    this.items.splice(this.idx(m), 0, { m, s });
  }
  del(m: Uint8Array): boolean {
    const i = this.idx(m);
    if (i < 0) return false;
    this.items.splice(i, 1);
    this.scores.delete(hex(m));
    return true;
  }
  scoreRank(s: number, excl: boolean): number {
    return this.items.filter((it) => (excl ? it.s <= s : it.s < s)).length;
  }
  lexRank(k: Uint8Array, excl: boolean): number {
    return this.items.filter((it) => {
      const c = compareBytes(it.m, 0, it.m.length, k, 0, k.length);
      return excl ? c <= 0 : c < 0;
    }).length;
  }
}

function members(z: ZSet, from: number, n: number): string[] {
  const out: string[] = [];
  if (n <= 0) return out;
  z.seek(from);
  for (let i = 0; i < n; i++) out.push(hex(z.memberBytes(z.nextId())));
  return out;
}

function membersRev(z: ZSet, from: number, n: number): string[] {
  const out: string[] = [];
  if (n <= 0) return out;
  z.seek(from);
  for (let i = 0; i < n; i++) out.push(hex(z.memberBytes(z.prevId())));
  return out;
}

function runModel(
  seed: number,
  ops: number,
  space: number,
  leafCap: number,
  nodeCap: number,
  lexOnly = false,
) {
  const r = new Prng(seed);
  const z = new ZSet(leafCap, nodeCap);
  const model = new Model();
  const keys: Uint8Array[] = [];
  for (let i = 0; i < space; i++) {
    // Varied lengths incl. empty and shared prefixes, so byte order ties get exercised.
    const len = r.int(4) === 0 ? r.int(3) : 1 + r.int(6);
    const b = r.bytes(len);
    for (let k = 0; k < len; k++) b[k] = 97 + (b[k]! % 4);
    keys.push(b);
  }
  // Few distinct scores so equal-score ordering by member bytes matters.
  const scores = [
    Number.NEGATIVE_INFINITY,
    -2.5,
    -1,
    0,
    1,
    1.5,
    3,
    1e300,
    Number.POSITIVE_INFINITY,
  ];
  // Lex ranges are only meaningful when all scores are equal (as in Redis).
  const pickScore = () =>
    lexOnly ? 0 : r.int(3) === 0 ? r.int(1000) : scores[r.int(scores.length)]!;
  // Phases: grow, churn, shrink, so leaves/nodes split, borrow, merge and the root collapses.
  for (let op = 0; op < ops; op++) {
    const phase = op < ops * 0.5 ? 0 : op < ops * 0.75 ? 1 : 2;
    const roll = r.int(100);
    const insertShare = phase === 0 ? 75 : phase === 1 ? 45 : 10;
    const k = keys[r.int(keys.length)]!;
    if (roll < insertShare) {
      const s = pickScore();
      const id = z.find(k, 0, k.length);
      if (id >= 0) z.setScore(id, s);
      else z.insert(k, 0, k.length, s);
      model.add(k, s);
    } else {
      const id = z.find(k, 0, k.length);
      const had = model.del(k);
      expect(id >= 0).toBe(had);
      if (id >= 0) z.delete(id);
    }
    if (op % 97 === 0 || op === ops - 1) z.checkInvariants();
    if (op % 61 === 0 && model.items.length > 0) {
      const n = model.items.length;
      expect(z.size).toBe(n);
      // rank of a random member
      const it = model.items[r.int(n)]!;
      const id = z.find(it.m, 0, it.m.length);
      expect(z.rank(id)).toBe(model.idx(it.m));
      expect(z.score[id]).toBe(it.s);
      // range by rank, forwards and backwards
      const a = r.int(n);
      const c = Math.min(n - a, 1 + r.int(40));
      expect(members(z, a, c)).toEqual(model.items.slice(a, a + c).map((x) => hex(x.m)));
      const back = model.items.slice(a - Math.min(a + 1, c) + 1, a + 1).reverse();
      expect(membersRev(z, a, back.length)).toEqual(back.map((x) => hex(x.m)));
      // ranges by score and lex, inclusive and exclusive
      const s = pickScore();
      const excl = r.int(2) === 0;
      expect(z.scoreRank(s, excl)).toBe(model.scoreRank(s, excl));
      if (lexOnly) {
        const lk = keys[r.int(keys.length)]!;
        const lexl = r.int(2) === 0;
        expect(z.lexRank(lk, 0, lk.length, lexl)).toBe(model.lexRank(lk, lexl));
      }
    }
  }
  // Full final comparison.
  expect(members(z, 0, z.size)).toEqual(model.items.map((x) => hex(x.m)));
  return z;
}

describe("ZSet model", () => {
  test("small nodes (cap 4): deep trees, every split/borrow/merge path", () => {
    runModel(1, 20000, 3000, 4, 4);
  });
  test("lex ranges (all scores equal), small and default nodes", () => {
    runModel(4, 8000, 2000, 4, 5, true);
    runModel(5, 8000, 4000, 64, 64, true);
  });
  test("small encoding only (<= 128 members): sorted columns, ids are ranks", () => {
    const z = runModel(6, 6000, 100, 64, 64);
    expect(z.listpack).toBe(true);
    expect(z.height).toBe(0);
  });
  test("small -> large at 129 members, and back for stored results", () => {
    const z = runModel(7, 3000, 600, 4, 4);
    expect(z.listpack).toBe(false);
    // Shrink under the limit: stays large (Redis never converts back on removals)...
    while (z.size > 50) z.delete(z.idAt(0));
    expect(z.listpack).toBe(false);
    z.checkInvariants();
    const order: string[] = [];
    z.seek(0);
    for (let i = 0; i < z.size; i++) order.push(hex(z.memberBytes(z.nextId())));
    // ...unless it is a stored result of a set operation.
    z.convertIfSmall();
    expect(z.listpack).toBe(true);
    z.checkInvariants();
    z.seek(0);
    for (let i = 0; i < z.size; i++) expect(hex(z.memberBytes(z.nextId()))).toBe(order[i]!);
  });
  test("odd node sizes (5/7)", () => {
    runModel(2, 12000, 1500, 5, 7);
  });
  test("default node sizes at 20k members cross every level", () => {
    const r = new Prng(7);
    const z = new ZSet();
    const model: Item[] = [];
    for (let i = 0; i < 20000; i++) {
      const m = new TextEncoder().encode(`m${r.u32()}`);
      if (z.find(m, 0, m.length) >= 0) continue;
      const s = r.int(500);
      z.insert(m, 0, m.length, s);
      model.push({ m, s });
    }
    model.sort(cmp);
    z.checkInvariants();
    expect(z.height).toBeGreaterThanOrEqual(2);
    expect(members(z, 0, z.size)).toEqual(model.map((x) => hex(x.m)));
    for (let t = 0; t < 200; t++) {
      const i = r.int(model.length);
      const it = model[i]!;
      expect(z.rank(z.find(it.m, 0, it.m.length))).toBe(i);
    }
    // Delete everything in random order: the tree shrinks back to one leaf.
    const order = model.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let k = 0; k < order.length; k++) {
      const it = model[order[k]!]!;
      z.delete(z.find(it.m, 0, it.m.length));
      if (k % 2500 === 0) z.checkInvariants();
    }
    z.checkInvariants();
    expect(z.size).toBe(0);
    expect(z.height).toBe(0);
  });
  test("default sizes, random churn", () => {
    runModel(3, 30000, 8000, 64, 64);
  });
});

describe("ZSet details", () => {
  test("score update keeps one entry and reorders", () => {
    const z = new ZSet();
    const e = new TextEncoder();
    for (const [m, s] of [
      ["a", 3],
      ["b", 2],
      ["c", 1],
    ] as const) {
      const b = e.encode(m);
      z.insert(b, 0, b.length, s);
    }
    const a = e.encode("a");
    // A small set's ids are its ranks: look the member up again after each change.
    const find = () => z.find(a, 0, 1);
    z.setScore(find(), 0);
    expect(z.rank(find())).toBe(0);
    expect(z.size).toBe(3);
    // A set Redis would hold as a listpack stores -0 as 0; a larger one keeps -0.
    z.setScore(find(), -0);
    expect(Object.is(z.score[find()], 0)).toBe(true);
    z.checkInvariants();
    z.toLarge();
    expect(z.listpack).toBe(false);
    z.checkInvariants();
    z.setScore(find(), -0);
    expect(Object.is(z.score[find()], -0)).toBe(true);
    expect(z.rank(find())).toBe(0);
    z.checkInvariants();
  });
  test("member byte limit is enforced at and past the bound", () => {
    const old = ZSet.maxMemBytes;
    ZSet.maxMemBytes = 100;
    try {
      const z = new ZSet();
      const b = new Uint8Array(60);
      z.insert(b, 0, 60, 1);
      expect(z.wouldOverflow(40)).toBe(false);
      b[0] = 1;
      z.insert(b, 0, 40, 2);
      expect(z.wouldOverflow(1)).toBe(true);
      b[0] = 2;
      expect(() => z.insert(b, 0, 1, 3)).toThrow();
      z.checkInvariants();
    } finally {
      ZSet.maxMemBytes = old;
    }
  });
  test("arena compacts after heavy deletes and stays consistent", () => {
    const z = new ZSet();
    const r = new Prng(11);
    const ms: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const m = r.bytes(20);
      if (z.find(m, 0, 20) >= 0) continue;
      z.insert(m, 0, 20, i);
      ms.push(m);
    }
    const before = z.mem.byteLength;
    expect(before).toBeGreaterThanOrEqual(ms.length * 20);
    for (let i = 0; i < ms.length; i += 1) if (i % 10 !== 0) z.delete(z.find(ms[i]!, 0, 20));
    z.checkInvariants();
    expect(z.mem.byteLength).toBeLessThan(before / 4);
    for (let i = 0; i < ms.length; i += 10) expect(z.find(ms[i]!, 0, 20)).toBeGreaterThanOrEqual(0);
  });
});

describe("zset: incremental growth of the id columns and the member arena", () => {
  test("model: 120K members with churn while both grow; every member findable with its score, invariants hold mid-copy, nothing forced", () => {
    const z = new ZSet();
    const rng = new Prng(41);
    // Ids move while the set is SMALL (they are ranks), so the model keeps members, not ids.
    const model = new Map<string, { m: Uint8Array; s: number }>();
    const names: string[] = [];
    let midIds = 0;
    let midMem = 0;
    let sawIdGrowth = false;
    let sawMemGrowth = false;
    let deletedMidCopy = false;
    for (let i = 0; i < 120_000; i++) {
      const r = rng.int(100);
      if (r < 8 && names.length > 0) {
        // delete a random member: its id is reused by a later insert, maybe below the cursor
        const j = rng.int(names.length);
        const k = names[j]!;
        names[j] = names[names.length - 1]!;
        names.pop();
        const it = model.get(k)!;
        z.delete(z.find(it.m, 0, it.m.length));
        model.delete(k);
      } else if (r < 16 && names.length > 0) {
        const k = names[rng.int(names.length)]!;
        const it = model.get(k)!;
        it.s = rng.int(1000);
        z.setScore(z.find(it.m, 0, it.m.length), it.s);
      } else {
        const m = new TextEncoder().encode(`member:${i}:${rng.int(1 << 30)}`);
        const s = rng.int(1000);
        z.insert(m, 0, m.length, s);
        const k = hex(m);
        model.set(k, { m, s });
        names.push(k);
      }
      const ig = z.idGrowCursor >= 0;
      const mg = z.memGrowCursor >= 0;
      sawIdGrowth ||= ig;
      sawMemGrowth ||= mg;
      if (ig && z.idGrowCursor > 2000 && !deletedMidCopy) {
        // Deletes and score changes of ids the copy already passed, checked before reuse.
        deletedMidCopy = true;
        for (let d = 0; d < 50; d++) {
          const j = rng.int(names.length);
          const it = model.get(names[j]!)!;
          const id = z.find(it.m, 0, it.m.length);
          if (id >= z.idGrowCursor) continue;
          if (d % 2 === 0) {
            it.s = -d;
            z.setScore(id, it.s);
            continue;
          }
          z.delete(id);
          model.delete(names[j]!);
          names[j] = names[names.length - 1]!;
          names.pop();
        }
        z.checkInvariants();
      }
      if (ig && midIds < 4 && rng.int(2000) === 0) {
        z.checkInvariants();
        midIds++;
      }
      if (mg && midMem < 4 && rng.int(2000) === 0) {
        z.checkInvariants();
        midMem++;
      }
    }
    expect(sawIdGrowth).toBe(true);
    expect(sawMemGrowth).toBe(true);
    expect(deletedMidCopy).toBe(true);
    expect(midIds).toBeGreaterThan(0);
    expect(midMem).toBeGreaterThan(0);
    expect(z.forcedGrowths).toBe(0);
    z.checkInvariants();
    expect(z.size).toBe(model.size);
    for (const it of model.values()) {
      const id = z.find(it.m, 0, it.m.length);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(z.score[id]).toBe(it.s);
    }
    // The order index agrees with a sort of the model.
    const sorted = [...model.values()].sort((a, b) =>
      a.s !== b.s ? a.s - b.s : compareBytes(a.m, 0, a.m.length, b.m, 0, b.m.length),
    );
    z.seek(0);
    for (const it of sorted) expect(hex(z.memberBytes(z.nextId()))).toBe(hex(it.m));
  }, 60_000);

  test("a member bigger than the growth step allows finishes the arena copy at once, intact", () => {
    const z = new ZSet();
    const members: Uint8Array[] = [];
    // ~1 MiB of 16-byte members: the arena starts growing incrementally
    let i = 0;
    while (z.memGrowCursor < 0) {
      const m = new TextEncoder().encode(`m${String(i++).padStart(15, "0")}`);
      members.push(m);
      z.insert(m, 0, m.length, i);
      if (i > 200_000) throw new Error("the arena never started growing incrementally");
    }
    const big = new Uint8Array(2 << 20).fill(0x7a);
    big[0] = 1;
    const id = z.insert(big, 0, big.length, -1);
    expect(z.forcedGrowths).toBe(1);
    expect(z.memGrowCursor).toBe(-1);
    z.checkInvariants();
    expect(z.find(big, 0, big.length)).toBe(id);
    for (const m of members) expect(z.find(m, 0, m.length)).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
