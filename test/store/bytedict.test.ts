// ByteDict (src/store/bytedict.ts): seeded model tests against a Map (add / setValue / delete /
// find, as HSET / HDEL / HGET do) through growth rehashes, shrink rehashes, compaction and clone,
// with checkInvariants (every id's hash against its record, every slot reachable from its home)
// along the way, including while a rehash is in progress.

import { describe, expect, test } from "bun:test";
import { ByteDict, keyHash } from "../../src/store/bytedict.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function fieldOf(n: number): Uint8Array {
  // Some fields share a length, some differ: the probe must compare hash, length and bytes.
  return enc.encode(n % 3 === 0 ? `f${n}` : `field:${String(n).padStart(n % 5, "0")}`);
}

function valueAt(d: ByteDict, id: number): string {
  const o = d.valOff(id);
  return dec.decode(d.memOf(id).subarray(o, o + d.valLen(id)));
}

function keyAt(d: ByteDict, id: number): string {
  const o = d.keyOff(id);
  return dec.decode(d.memOf(id).subarray(o, o + d.keyLen(id)));
}

/** Every model entry is found with its value; absent fields are not found. */
function agree(d: ByteDict, model: Map<string, string>, range: number): void {
  expect(d.size).toBe(model.size);
  for (let n = 0; n < range; n++) {
    const f = fieldOf(n);
    const id = d.find(f, 0, f.length);
    const want = model.get(dec.decode(f));
    if (want === undefined) expect(id).toBe(-1);
    else {
      expect(id).toBeGreaterThanOrEqual(0);
      expect(keyAt(d, id)).toBe(dec.decode(f));
      if (d.withValues) expect(valueAt(d, id)).toBe(want);
    }
  }
}

/**
 * Random HSET (add or setValue), HDEL (delete) and HGET (find) in phases that grow the dict to
 * `peak` fields and shrink it back, so both kinds of incremental rehash run with writes on both
 * sides of the cursor. Returns how many operations ran while a rehash was in progress.
 */
function run(seed: number, withValues: boolean, peak: number, ops: number): number {
  const r = rng(seed);
  const d = new ByteDict(withValues);
  const model = new Map<string, string>();
  const range = peak * 2;
  let duringRehash = 0;
  for (let i = 0; i < ops; i++) {
    // Grow for the first 40%, churn, then mostly delete.
    const phase = i / ops;
    const pAdd = phase < 0.4 ? 0.8 : phase < 0.7 ? 0.5 : 0.15;
    const n = Math.floor(r() * range);
    const f = fieldOf(n);
    const fs = dec.decode(f);
    const x = r();
    if (d.rehashing) duringRehash++;
    if (x < pAdd) {
      const v = enc.encode(`v${i}`.repeat(1 + (i % 7 === 0 ? 40 : i % 3)));
      const id = d.find(f, 0, f.length);
      if (id >= 0) {
        expect(model.has(fs)).toBe(true);
        if (withValues) d.setValue(id, v, 0, v.length);
      } else {
        expect(model.has(fs)).toBe(false);
        d.add(f, 0, f.length, v, 0, v.length);
      }
      model.set(fs, withValues ? dec.decode(v) : "");
    } else if (x < 0.95) {
      const id = d.find(f, 0, f.length);
      expect(id >= 0).toBe(model.has(fs));
      if (id >= 0) {
        d.delete(id);
        model.delete(fs);
      }
    } else {
      const id = d.find(f, 0, f.length);
      expect(id >= 0).toBe(model.has(fs));
      if (id >= 0 && withValues) expect(valueAt(d, id)).toBe(model.get(fs)!);
    }
    if (i % 997 === 0 || (d.rehashing && i % 61 === 0)) d.checkInvariants();
  }
  d.checkInvariants();
  agree(d, model, range);
  const c = d.clone();
  c.checkInvariants();
  agree(c, model, range);
  return duringRehash;
}

describe("ByteDict model", () => {
  test("model: HSET/HDEL/HGET against a Map through growth and shrink rehashes (values)", () => {
    for (const seed of [1, 7, 12345]) expect(run(seed, true, 3000, 30000)).toBeGreaterThan(0);
  });

  test("model: the same without values (sets)", () => {
    expect(run(99, false, 3000, 30000)).toBeGreaterThan(0);
  });

  test("tiny segments: compaction moves records, every id stays findable", () => {
    const old = ByteDict.segmentShift;
    ByteDict.segmentShift = 6;
    try {
      run(5, true, 500, 8000);
    } finally {
      ByteDict.segmentShift = old;
    }
  });

  test("emptied to zero and refilled: the index stays consistent", () => {
    const d = new ByteDict(true);
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 700; n++) {
        const f = fieldOf(n);
        d.add(f, 0, f.length, f, 0, f.length);
      }
      d.checkInvariants();
      for (let n = 0; n < 700; n++) {
        const f = fieldOf(n);
        d.delete(d.find(f, 0, f.length));
        if (n % 50 === 0) d.checkInvariants();
      }
      expect(d.size).toBe(0);
      d.checkInvariants();
    }
  });

  test("the probe trusts the stored hash: a corrupted one hides the key and is reported", () => {
    const d = new ByteDict(true);
    const f = enc.encode("only");
    d.add(f, 0, f.length, f, 0, f.length);
    expect(d.find(f, 0, f.length)).toBe(0);
    // Per id [hash, offset] pairs (meta[0] is id 0's hash).
    const meta = (d as unknown as { meta: Int32Array }).meta;
    meta[0] = meta[0]! ^ 0x80000000; // same home slot (small index), other hash
    expect(d.find(f, 0, f.length)).toBe(-1);
    expect(() => d.checkInvariants()).toThrow(/stale hash/);
  });
});

describe("ByteDict upsert with one hash", () => {
  test("findHashed/addHashed with keyHash agree with find/add through growth and deletes", () => {
    const a = new ByteDict(true);
    const b = new ByteDict(true);
    for (let i = 0; i < 3000; i++) {
      const f = enc.encode(`element:${(i * 7919) % 2000}`);
      const v = enc.encode(`v${i}`);
      const h = keyHash(f, 0, f.length);
      const ib = b.findHashed(h, f, 0, f.length);
      const ia = a.find(f, 0, f.length);
      expect(ib >= 0).toBe(ia >= 0);
      if (ia >= 0) a.setValue(ia, v, 0, v.length);
      else a.add(f, 0, f.length, v, 0, v.length);
      if (ib >= 0) b.setValue(ib, v, 0, v.length);
      else b.addHashed(h, f, 0, f.length, v, 0, v.length);
      if (i % 3 === 0) {
        const g = enc.encode(`element:${i % 1000}`);
        const ga = a.find(g, 0, g.length);
        const gb = b.find(g, 0, g.length);
        expect(gb >= 0).toBe(ga >= 0);
        if (ga >= 0) a.delete(ga);
        if (gb >= 0) b.delete(gb);
      }
    }
    expect(b.size).toBe(a.size);
    a.checkInvariants();
    b.checkInvariants(); // a wrong stored hash fails as "stale hash"
  });
});
