// The active expiry sweep: reclaims expired keys nobody touches, bounded per tick.

import { describe, expect, test } from "bun:test";
import {
  ActiveExpire,
  CHUNK_REHASH_UNITS,
  CHUNK_REMOVALS,
  CHUNK_ROWS,
} from "../../src/store/expiry.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { Prng } from "../helpers/prng.ts";

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();

function fill(ks: Keyspace, db: number, prefix: string, n: number, ttlMs: (i: number) => number) {
  const t = ks.db(db);
  const v = new Uint8Array(40);
  for (let i = 0; i < n; i++) {
    const k = enc.encode(`${prefix}${i}`);
    const e = t.upsertString(k, 0, k.length, v, 0, v.length);
    const ttl = ttlMs(i);
    if (ttl > 0) ks.setExpire(t, e, ks.now + ttl);
  }
}

describe("active expiry", () => {
  test("reclaims untouched expired keys and leaves the rest", () => {
    const ks = new Keyspace(4);
    ks.setNow(T0);
    const base = ks.arena.liveBytes;
    fill(ks, 0, "p", 20_000, () => 0);
    const withPersistent = ks.arena.liveBytes;
    fill(ks, 0, "t", 30_000, (i) => 1000 + (i % 1000));
    fill(ks, 2, "t", 10_000, () => 500);
    const ax = new ActiveExpire(ks);
    ks.setNow(T0 + 400);
    expect(ax.cycle(10)).toBe(0); // nothing due yet
    ks.setNow(T0 + 5000);
    let cycles = 0;
    while (ks.db(0).count + ks.db(2).count > 20_000 && cycles < 100) {
      ax.cycle(10);
      cycles++;
    }
    expect(ks.db(0).count).toBe(20_000);
    expect(ks.db(2).count).toBe(0);
    expect(ks.expiredKeys).toBe(40_000);
    expect(ax.expired).toBe(40_000);
    expect(cycles).toBeLessThanOrEqual(12); // mostly stale: it keeps going within each tick
    expect(ks.arena.liveBytes).toBe(withPersistent);
    expect(withPersistent).toBeGreaterThan(base);
    // db 2 emptied: its columns were given back.
    expect(ks.db(2).highWater).toBe(0);
    ks.db(0).checkInvariants();
  });

  test("tables without TTL keys cost no row reads; one TTL key brings its table back in", () => {
    const ks = new Keyspace(2);
    ks.setNow(T0);
    fill(ks, 0, "p", 50_000, () => 0);
    const ax = new ActiveExpire(ks);
    for (let i = 0; i < 20; i++) ax.cycle(10);
    expect(ax.rowsVisited).toBe(0);
    const t = ks.db(0);
    const k = enc.encode("p7");
    ks.setExpire(t, t.find(k, 0, k.length), T0 + 10);
    expect(t.ttlCount).toBe(1);
    ks.setNow(T0 + 20);
    let cycles = 0;
    while (t.count === 50_000 && cycles < 50) {
      ax.cycle(10);
      cycles++;
    }
    expect(t.count).toBe(49_999);
    expect(t.ttlCount).toBe(0);
    expect(ax.rowsVisited).toBeGreaterThan(0);
    t.checkInvariants();
  });

  test("off switch (DEBUG SET-ACTIVE-EXPIRE 0) stops it; lazy expiry still hides keys", () => {
    const ks = new Keyspace(1);
    ks.setNow(T0);
    fill(ks, 0, "t", 1000, () => 10);
    const ax = new ActiveExpire(ks);
    ax.enabled = false;
    ks.setNow(T0 + 100);
    for (let i = 0; i < 20; i++) ax.cycle(10);
    expect(ks.db(0).count).toBe(1000);
    const k = enc.encode("t1");
    expect(ks.lookupRead(0, k, 0, k.length)).toBe(-1);
    expect(ks.db(0).count).toBe(999);
    ax.enabled = true;
    ax.cycle(10);
    expect(ks.db(0).count).toBe(0);
  });

  test("a tiny time budget stops after one chunk: CHUNK_REMOVALS removals when all are stale", () => {
    const ks = new Keyspace(1);
    ks.setNow(T0);
    fill(ks, 0, "t", 10 * CHUNK_ROWS, () => 10);
    const ax = new ActiveExpire(ks);
    ks.setNow(T0 + 100);
    const removed = ax.run(0);
    expect(removed).toBe(CHUNK_REMOVALS);
    expect(ax.rowsVisited).toBe(CHUNK_REMOVALS);
    expect(ax.timeCapReached).toBe(1);
    // The next run resumes right after the last key removed: every key goes exactly once.
    let total = removed;
    for (let i = 0; i < 10 * CHUNK_ROWS && ks.db(0).count > 0; i++) {
      const r = ax.run(0);
      expect(r).toBeLessThanOrEqual(CHUNK_REMOVALS);
      total += r;
    }
    expect(total).toBe(10 * CHUNK_ROWS);
    expect(ks.db(0).count).toBe(0);
  });

  test("a chunk also ends at CHUNK_REHASH_UNITS of index-shrink work (mass expiry of 1.5M keys)", () => {
    const ks = new Keyspace(1);
    ks.setNow(T0);
    const N = 1_500_000;
    const t = ks.db(0);
    const v = new Uint8Array(8);
    const k = new Uint8Array(12);
    const kv = new DataView(k.buffer);
    for (let i = 0; i < N; i++) {
      kv.setUint32(0, 0x6b65793a);
      kv.setUint32(4, i);
      kv.setUint32(8, Math.imul(i, 0x9e3779b1));
      const e = t.upsertString(k, 0, k.length, v, 0, v.length);
      ks.setExpire(t, e, ks.now + (i < N - 100 ? 10 : 1_000_000));
    }
    while (t.rehashStep(1 << 20)) {}
    const ax = new ActiveExpire(ks);
    ks.setNow(T0 + 100);
    let cutByWork = 0;
    let worstStep = 0;
    for (let runs = 0; t.count > 100 && runs < N; runs++) {
      const step = t.rehashing ? t.rehashStepUnits : 0;
      const w0 = t.rehashWork;
      const removed = ax.run(0); // one chunk per run
      const work = t.rehashWork - w0;
      worstStep = Math.max(worstStep, step);
      // A chunk stops within one removal's step of the bound (a shrink may start mid-chunk).
      expect(work).toBeLessThanOrEqual(CHUNK_REHASH_UNITS + Math.max(worstStep, t.rehashStepUnits));
      if (removed < CHUNK_REMOVALS && work >= CHUNK_REHASH_UNITS) cutByWork++;
    }
    expect(t.count).toBe(100);
    expect(cutByWork).toBeGreaterThan(0);
    t.checkInvariants();
  }, 120_000);

  test("a tiny time budget stops after one chunk: CHUNK_ROWS rows when few are stale", () => {
    const ks = new Keyspace(1);
    ks.setNow(T0);
    // One key in 64 expires: a chunk of CHUNK_ROWS rows holds 16 stale keys (< CHUNK_REMOVALS).
    fill(ks, 0, "t", 10 * CHUNK_ROWS, (i) => (i % 64 === 0 ? 10 : 100_000));
    const ax = new ActiveExpire(ks);
    ks.setNow(T0 + 100);
    const removed = ax.run(0);
    expect(removed).toBe(CHUNK_ROWS / 64);
    expect(ax.rowsVisited).toBe(CHUNK_ROWS);
    expect(ax.timeCapReached).toBe(1);
  });

  test("few stale keys: only the base share (one lap per second) is visited", () => {
    const ks = new Keyspace(1);
    ks.setNow(T0);
    // 1 in 100 keys is expired: below the 10% stale threshold, so no extra effort.
    fill(ks, 0, "t", 100_000, (i) => (i % 100 === 0 ? 10 : 3_600_000));
    const ax = new ActiveExpire(ks);
    ks.setNow(T0 + 100);
    ax.cycle(10);
    const after1 = ks.db(0).count;
    expect(100_000 - after1).toBeGreaterThan(50);
    expect(100_000 - after1).toBeLessThan(250); // ~1/10 of the rows
    for (let i = 0; i < 10; i++) ax.cycle(10);
    expect(ks.db(0).count).toBe(99_000); // one full lap within ~hz cycles
  });

  test("model: after one unbounded lap no expired key remains; live keys untouched", () => {
    const r = new Prng(42);
    const ks = new Keyspace(3);
    ks.setNow(T0);
    const ax = new ActiveExpire(ks);
    const model = new Map<string, number>(); // "db/key" -> expireAt (0 none)
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < 500; i++) {
        const db = r.int(3);
        const key = `k${r.int(3000)}`;
        const t = ks.db(db);
        const k = enc.encode(key);
        const op = r.int(10);
        if (op < 6) {
          const e = t.upsertString(k, 0, k.length, k, 0, k.length);
          const ttl = r.int(3) === 0 ? 0 : 1 + r.int(2000);
          if (ttl > 0) ks.setExpire(t, e, ks.now + ttl);
          else ks.clearExpire(t, e);
          model.set(`${db}/${key}`, ttl > 0 ? ks.now + ttl : 0);
        } else if (op < 8) {
          const e = ks.lookupWrite(db, k, 0, k.length);
          if (e >= 0) ks.removeEntry(t, e);
          model.delete(`${db}/${key}`);
        } else {
          const e = ks.lookupRead(db, k, 0, k.length);
          const at = model.get(`${db}/${key}`);
          const live = at !== undefined && (at === 0 || at > ks.now);
          expect(e >= 0).toBe(live);
          if (!live) model.delete(`${db}/${key}`);
        }
      }
      ks.setNow(ks.now + r.int(300));
      if (step % 5 === 4) ax.fullLap();
      else ax.cycle(10);
      for (const [dk, at] of model)
        if (at !== 0 && at <= ks.now && step % 5 === 4) model.delete(dk);
      if (step % 5 === 4) {
        let rows = 0;
        for (let d = 0; d < 3; d++) {
          const t = ks.db(d);
          ks.db(d).checkInvariants();
          for (let e = 0; e < t.highWater; e++) {
            if (t.type[e] !== 0 && t.expireAt[e] !== 0) expect(t.expireAt[e]! > ks.now).toBe(true);
            if (t.type[e] !== 0) rows++;
          }
        }
        expect(rows).toBe(model.size);
      }
    }
  });
});
