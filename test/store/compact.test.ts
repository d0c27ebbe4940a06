// Arena compaction (arena evacuation + Keyspace.compactStep) and pause-free growth of the entry
// columns and the zset member index.

import { beforeAll, describe, expect, test } from "bun:test";
import { Arena, PAGE_SIZE, POP_SKIP_MAX } from "../../src/store/arena.ts";
import { setHashSeed } from "../../src/store/bytes.ts";
import { ActiveExpire } from "../../src/store/expiry.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { Table, TYPE_STRING } from "../../src/store/table.ts";
import { ZSet } from "../../src/store/zset.ts";
import { hex, Prng } from "../helpers/prng.ts";

beforeAll(() => {
  setHashSeed(0x2545f491);
});

function keyOf(i: number): Uint8Array {
  const k = new Uint8Array(12);
  const v = new DataView(k.buffer);
  v.setUint32(0, 0x6b65793a);
  v.setUint32(4, i);
  v.setUint32(8, Math.imul(i, 0x9e3779b1));
  return k;
}

function randomValue(rng: Prng, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = rng.int(256);
  return b;
}

describe("arena evacuation", () => {
  test("a page is dropped when its last block leaves, and its id comes back after a purge", () => {
    const a = new Arena({ checked: true });
    const blocks: number[] = [];
    // Fill three pages with 1 KiB blocks.
    for (let i = 0; i < 3 * 1024; i++) blocks.push(a.alloc(1024));
    expect(a.smallReservedBytes).toBe(3 * PAGE_SIZE);
    // Free all but one block of page 0 and half of page 1.
    for (let i = 1; i < 1024; i++) a.free(blocks[i]!, 1024);
    for (let i = 1024; i < 1536; i++) a.free(blocks[i]!, 1024);
    expect(a.beginEvacuation(PAGE_SIZE / 2, 0.5)).toBe(1); // page 0 is the sparsest
    expect(a.isEvacuating(blocks[0]!)).toBe(true);
    expect(a.isEvacuating(blocks[2000]!)).toBe(false);
    // Its free blocks are not handed out any more.
    const fresh = a.alloc(1024);
    expect(a.isEvacuating(fresh)).toBe(false);
    a.free(blocks[0]!, 1024);
    expect(a.pagesReleased).toBe(1);
    expect(a.smallReservedBytes).toBe(2 * PAGE_SIZE);
    expect(a.evacuatingPages).toBe(0);
    while (a.purgeStep()) {}
    // The dropped id is reusable: allocating a page's worth more needs one new page only.
    for (let i = 0; i < 2048; i++) a.alloc(1024);
    expect(a.reservedBytes).toBeLessThanOrEqual(4 * PAGE_SIZE);
  });
});

describe("arena: an alloc skips a bounded run of stale free-list entries", () => {
  test("stale entries on top of the list cost at most POP_SKIP_MAX per alloc; live ones below are reused", () => {
    const a = new Arena({ checked: true });
    const perPage = PAGE_SIZE / 64;
    const blocks: number[] = [];
    for (let i = 0; i < 4 * perPage; i++) blocks.push(a.alloc(64));
    // Page 3's frees go on the list first (bottom), then half of pages 0-2 (top).
    for (let i = 3 * perPage; i < 3 * perPage + 100; i++) a.free(blocks[i]!, 64);
    for (let p = 0; p < 3; p++)
      for (let i = p * perPage; i < p * perPage + perPage / 2; i++) a.free(blocks[i]!, 64);
    const stale = (3 * perPage) / 2;
    expect(a.freeEntries(64)).toBe(100 + stale);
    expect(a.beginEvacuation(2 * PAGE_SIZE, 0.6)).toBe(3); // pages 0-2; page 3 is the bump page
    const before = a.freeEntries(64);
    const x = a.alloc(64);
    expect(a.isEvacuating(x)).toBe(false);
    expect(before - a.freeEntries(64)).toBe(POP_SKIP_MAX); // skipped that many, none found
    // Allocation after allocation works down the stale run, then reuses page 3's blocks.
    let reused = -1;
    for (let k = 0; k < stale; k++) {
      const y = a.alloc(64);
      expect(a.isEvacuating(y)).toBe(false);
      if (Math.floor(y / PAGE_SIZE) === 3) {
        reused = k;
        break;
      }
    }
    expect(reused).toBeGreaterThan(0);
    expect(reused).toBeLessThanOrEqual(Math.ceil(stale / POP_SKIP_MAX));
  });
});

describe("compaction keeps every key's bytes", () => {
  test("seeded random model: writes, deletes, moves, appends and TTLs interleaved with compaction steps", () => {
    const started = performance.now();
    const rng = new Prng(20261202);
    const ks = new Keyspace(4, { checked: true });
    Table.debug = true;
    // model: db -> key hex -> value
    const model: Map<string, Uint8Array>[] = [new Map(), new Map(), new Map(), new Map()];
    const keys: Uint8Array[] = [];
    const set = (db: number, k: Uint8Array, v: Uint8Array) => {
      const t = ks.db(db);
      t.upsertString(k, 0, k.length, v, 0, v.length);
      model[db]!.set(hex(k), v);
    };
    // Phase 1: 36k keys in db 0 (the columns grow incrementally past 32K rows) and 4k in each
    // other db, values 100..900 bytes: ~24 MB over many size classes.
    for (let i = 0; i < 48_000; i++) {
      const k = keyOf(i);
      keys.push(k);
      const db = i < 36_000 ? 0 : 1 + (i % 3);
      set(db, k, randomValue(rng, 100 + rng.int(800)));
    }
    // Phase 2: delete 85% at random: pages become sparse.
    for (let db = 0; db < 4; db++) {
      const t = ks.db(db);
      for (const h of [...model[db]!.keys()]) {
        if (rng.int(100) >= 85) continue;
        const k = Uint8Array.from(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));
        const e = t.find(k, 0, k.length);
        ks.removeEntry(t, e);
        model[db]!.delete(h);
      }
    }
    const before = ks.arena.smallReservedBytes;
    expect(before - ks.arena.smallLiveBytes).toBeGreaterThan(before / 2);
    // Phase 3: traffic interleaved with bounded compaction steps.
    for (let step = 0; step < 2000; step++) {
      for (let w = 0; w < 20; w++) {
        const db = rng.int(4);
        const k = keys[rng.int(keys.length)]!;
        const t = ks.db(db);
        const e = t.find(k, 0, k.length);
        const r = rng.int(10);
        if (r < 3) set(db, k, randomValue(rng, 8 + rng.int(120)));
        else if (r < 5 && e >= 0) {
          ks.removeEntry(t, e);
          model[db]!.delete(hex(k));
        } else if (r < 6 && e >= 0) {
          // APPEND-like growth keeps the prefix.
          const old = model[db]!.get(hex(k))!;
          const add = 1 + rng.int(64);
          t.resizeValue(e, old.length + add);
          const nv = new Uint8Array(old.length + add);
          nv.set(old);
          model[db]!.set(hex(k), nv);
        } else if (r < 7 && e >= 0) {
          const to = (db + 1) % 4;
          const other = ks.db(to);
          if (other.find(k, 0, k.length) < 0) {
            t.moveTo(e, other);
            model[to]!.set(hex(k), model[db]!.get(hex(k))!);
            model[db]!.delete(hex(k));
          }
        } else if (r < 8 && e >= 0) {
          ks.setExpire(t, e, ks.now + 1_000_000 + rng.int(1000));
        }
      }
      ks.compactStep(0.5);
      if (step % 1000 === 999) verify(ks, model);
    }
    // Quiet: let compaction finish its work.
    for (let i = 0; i < 10_000 && (ks.arena.evacuatingPages > 0 || ks.arena.purgeStep()); i++) {
      ks.compactStep(5);
    }
    for (let i = 0; i < 100; i++) ks.compactStep(5);
    verify(ks, model);
    const reserved = ks.arena.smallReservedBytes;
    const free = reserved - ks.arena.smallLiveBytes;
    expect(ks.arena.pagesReleased).toBeGreaterThan(0);
    expect(ks.blocksRelocated).toBeGreaterThan(0);
    expect(reserved).toBeLessThan(before / 2);
    // Back under the trigger: free space at most 1/8 of the small pages (or the 4 MiB floor).
    expect(free).toBeLessThanOrEqual(Math.max(4 << 20, reserved / 8) + PAGE_SIZE);
    for (const t of ks.dbs) t.checkInvariants();
    Table.debug = false;
    console.log(
      `compaction model test: ${ks.blocksRelocated} blocks moved, ${ks.arena.pagesReleased} pages dropped, ${(performance.now() - started).toFixed(0)} ms`,
    );
  }, 30_000);
});

describe("compaction from the cron", () => {
  test("the expiry cycle drives it: sparse pages come back within bounded steps", () => {
    const ks = new Keyspace(1);
    const t = ks.db(0);
    const v = new Uint8Array(1000).fill(9);
    for (let i = 0; i < 30_000; i++) {
      const k = keyOf(i);
      t.upsertString(k, 0, k.length, v, 0, v.length);
    }
    // Keep every 8th key: ~30 MB of pages, 1/8 live.
    for (let i = 0; i < 30_000; i++) {
      if (i % 8 === 0) continue;
      const k = keyOf(i);
      ks.removeEntry(t, t.find(k, 0, k.length));
    }
    const before = ks.arena.smallReservedBytes;
    const expiry = new ActiveExpire(ks);
    let ticks = 0;
    while (ticks < 2000 && ks.arena.smallReservedBytes - ks.arena.smallLiveBytes > 8 << 20) {
      expiry.cycle(10);
      ticks++;
    }
    // The loop stops once free space is under 8 MiB: ~3.8 MB live in at most ~12 of 30 pages.
    expect(ks.arena.smallReservedBytes).toBeLessThan(before / 2);
    expect(ks.heldBytes()).toBeLessThan(ks.usedBytes() * 1.5 + (8 << 20));
    for (let i = 0; i < 30_000; i += 8) {
      const k = keyOf(i);
      const e = t.find(k, 0, k.length);
      expect(e).toBeGreaterThanOrEqual(0);
      expect(t.valueBytes(e)).toEqual(v);
    }
  });
});

function verify(ks: Keyspace, model: Map<string, Uint8Array>[]): void {
  for (let db = 0; db < model.length; db++) {
    const t = ks.db(db);
    expect(t.count).toBe(model[db]!.size);
    for (const [h, v] of model[db]!) {
      const k = Uint8Array.from(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));
      const e = t.find(k, 0, k.length);
      if (e < 0) throw new Error(`db ${db}: lost key ${h}`);
      if (t.type[e] !== TYPE_STRING) throw new Error(`db ${db}: wrong type for ${h}`);
      if (hex(t.valueBytes(e)) !== hex(v)) throw new Error(`db ${db}: wrong bytes for ${h}`);
    }
    t.checkInvariants();
  }
}

/**
 * CPU time of one call on this thread, ms: unlike wall time it does not count the scheduler
 * giving our core to another process (on a shared 2-core box that alone shows 4-30 ms "pauses"
 * at random inserts), nor the GC and JIT threads that process.cpuUsage() would add.
 */
const threadCpu = (process as unknown as { threadCpuUsage?: typeof process.cpuUsage })
  .threadCpuUsage;
function cpuMs(f: () => void): number {
  const usage = threadCpu ?? process.cpuUsage;
  const a = usage();
  f();
  const b = usage(a);
  return (b.user + b.system) / 1000;
}

// The bound is generous on purpose: these machines are shared and noisy, and even a one-go
// rehash at this size is a few ms. The tests check that growth and rehash are seen in progress
// (incrementally) with the structures consistent; bench/store-growth.ts measures the pauses.
describe("growth without long pauses", () => {
  test("entry columns and index grow to 400k keys with no insert over 500 ms of CPU", () => {
    const ks = new Keyspace(1);
    const t = ks.db(0);
    const v = new Uint8Array(32).fill(7);
    let worst = 0;
    let checkedWhileGrowing = false;
    for (let i = 0; i < 400_000; i++) {
      const k = keyOf(i);
      const ms = cpuMs(() => t.upsertString(k, 0, k.length, v, 0, v.length));
      if (ms > worst) worst = ms;
      if (!checkedWhileGrowing && t.growing && i > 100_000) {
        t.checkInvariants(); // grown columns agree with the live ones below the copy cursor
        checkedWhileGrowing = true;
      }
    }
    expect(checkedWhileGrowing).toBe(true);
    expect(t.forcedGrowths).toBe(0);
    expect(t.forcedRehashes).toBe(0);
    expect(worst).toBeLessThan(500);
    for (let i = 0; i < 400_000; i += 101) {
      const k = keyOf(i);
      expect(t.find(k, 0, k.length)).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);

  test("zset member index rehashes incrementally: 200k members, no insert over 500 ms of CPU", () => {
    const z = new ZSet();
    let worst = 0;
    let sawRehash = false;
    for (let i = 0; i < 200_000; i++) {
      const m = keyOf(i);
      const ms = cpuMs(() => z.insert(m, 0, m.length, i % 1000));
      if (ms > worst) worst = ms;
      if (z.rehashing && !sawRehash && i > 50_000) {
        sawRehash = true;
        z.checkInvariants();
      }
    }
    expect(sawRehash).toBe(true);
    expect(worst).toBeLessThan(500);
    // Delete most: the index shrinks incrementally too, and stays consistent.
    for (let i = 0; i < 190_000; i++) {
      const m = keyOf(i);
      z.delete(z.find(m, 0, m.length));
    }
    z.checkInvariants();
    for (let i = 190_000; i < 200_000; i++) {
      const m = keyOf(i);
      expect(z.find(m, 0, m.length)).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);
});
