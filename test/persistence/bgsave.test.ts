// BGSAVE without fork, in process: a keyspace of every type over several databases is saved in
// tiny time slices while a seeded writer changes it between slices through the same paths the
// commands use (lookupWrite + in-place mutation, removeEntry, new keys on reused entry ids,
// TTL changes, MOVE, FLUSHDB/SWAPDB). The file must equal a SAVE taken at the start.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../../src/commands/context.ts";
import { AofBaseJob } from "../../src/persistence/aof-base-job.ts";
import { CommandWriter } from "../../src/persistence/aof-encode.ts";
import { rewriteKeyspace } from "../../src/persistence/aof-rewrite.ts";
import { type RdbValue, RdbWriter, readRdbFile } from "../../src/persistence/rdb/index.ts";
import { loadSnapshotFile, SnapshotJob } from "../../src/persistence/snapshot.ts";
import {
  CLOCK_META_FREQ,
  CLOCK_META_IDLE,
  CLOCK_META_NONE,
} from "../../src/persistence/snapshot-write.ts";
import { hashCreate, hashSet } from "../../src/store/hash.ts";
import { CLOCK_LFU, Keyspace } from "../../src/store/keyspace.ts";
import { List } from "../../src/store/list.ts";
import { setAdd, setCreate } from "../../src/store/set.ts";
import {
  type Table,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
} from "../../src/store/table.ts";
import { ZSet } from "../../src/store/zset.ts";
import { Prng } from "../helpers/prng.ts";

function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.u32() / 4294967296;
}

import { readCommands } from "./aof/helpers.ts";
import { canonValue, latin1 } from "./rdb/helpers.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "imds-bgsave-"));
  dirs.push(d);
  return d;
}

const limits = new CommandLimits();
const HL = { maxListpackEntries: 128, maxListpackValue: 64 };
const SL = { maxIntsetEntries: 512 };
const OPTS = { compression: true, checksum: true, clockMeta: CLOCK_META_NONE };

function addKey(ks: Keyspace, t: Table, k: string, kind: number, n: number): void {
  const key = b(k);
  switch (kind) {
    case 0: {
      const v = b(`str-${k}-${n}`);
      const e = t.add(key, 0, key.length, TYPE_STRING, v.length);
      t.page(e).set(v, t.valueOffset(e));
      return;
    }
    case 1: {
      const e = hashCreate(t, key, 0, key.length);
      for (let i = 0; i < n; i++) {
        const f = b(`f${i}`);
        const v = b(`v${i}-${k}`);
        hashSet(ks, t, e, f, 0, f.length, v, 0, v.length, HL);
      }
      return;
    }
    case 2: {
      const e = setCreate(t, key, 0, key.length, n % 2 === 0);
      for (let i = 0; i < n; i++) {
        const m = b(n % 2 === 0 ? String(i * 7) : `m${i}`);
        setAdd(ks, t, e, m, 0, m.length, SL);
      }
      return;
    }
    case 3: {
      const z = new ZSet();
      for (let i = 0; i < n; i++) z.insert(b(`z${i}`), 0, 2 + String(i).length, i * 1.5);
      const e = t.add(key, 0, key.length, TYPE_ZSET, 0);
      t.setObj(e, z);
      return;
    }
    default: {
      const l = new List();
      for (let i = 0; i < n; i++) {
        const it = b(`item${i}`);
        l.pushRight(it, 0, it.length);
      }
      const e = t.add(key, 0, key.length, TYPE_LIST, 0);
      t.setObj(e, l);
    }
  }
}

function build(seed: number): Keyspace {
  const ks = new Keyspace(4);
  const rnd = prng(seed);
  for (let db = 0; db < 3; db++) {
    const t = ks.db(db);
    for (let i = 0; i < 1000; i++) {
      addKey(ks, t, `k${db}:${i}`, i % 5, 1 + Math.floor(rnd() * 100));
      if (i % 7 === 0)
        ks.setExpire(
          t,
          t.find(b(`k${db}:${i}`), 0, `k${db}:${i}`.length),
          Date.now() + 3_600_000 + i,
        );
    }
  }
  return ks;
}

/** One random write through the paths commands use. */
function randomWrite(ks: Keyspace, rnd: () => number, step: number): void {
  const db = Math.floor(rnd() * 3);
  const t = ks.db(db);
  const i = Math.floor(rnd() * 1100);
  const k = `k${db}:${i}`;
  const key = b(k);
  const e = ks.lookupWrite(db, key, 0, key.length);
  const op = Math.floor(rnd() * 6);
  if (e < 0 || op === 0) {
    if (e >= 0) ks.removeEntry(t, e);
    addKey(ks, t, k, step % 5, 1 + (step % 120)); // new key (reuses a free entry id)
    return;
  }
  switch (t.type[e]) {
    case TYPE_STRING:
      if (op === 1) ks.removeEntry(t, e);
      else {
        const v = b(`changed-${step}-${"x".repeat(step % 90)}`);
        t.setValue(e, v, 0, v.length);
      }
      return;
    case TYPE_HASH: {
      const f = b(`new${step}`);
      const v = b("y".repeat(op * 30));
      hashSet(ks, t, e, f, 0, f.length, v, 0, v.length, HL);
      return;
    }
    case TYPE_SET: {
      const m = b(op === 2 ? `str${step}` : String(step));
      setAdd(ks, t, e, m, 0, m.length, SL);
      return;
    }
    case TYPE_ZSET: {
      const z = t.getObj(e) as ZSet;
      const m = b(`nz${step}`);
      if (z.find(m, 0, m.length) < 0) z.insert(m, 0, m.length, -step);
      return;
    }
    case TYPE_LIST: {
      const l = t.getObj(e) as List;
      if (op === 2) ks.setExpire(t, e, Date.now() + 1000);
      else if (l.length > 1) l.dropLeft();
      else l.pushLeft(key, 0, key.length);
      return;
    }
  }
}

function canonFile(path: string): Map<string, unknown> {
  const m = new Map<string, unknown>();
  readRdbFile(path, {
    onKey(db: number, key: Uint8Array, v: RdbValue, exp: number) {
      const k = `${db}/${latin1(key)}`;
      if (m.has(k)) throw new Error(`duplicate ${k}`);
      m.set(k, [canonValue(v), exp]);
    },
  });
  return m;
}

function compare(a: Map<string, unknown>, bb: Map<string, unknown>): void {
  expect(bb.size).toBe(a.size);
  for (const [k, v] of a) if (!Bun.deepEquals(bb.get(k), v)) expect([k, bb.get(k)]).toEqual([k, v]);
}

describe("BGSAVE is a point in time", () => {
  for (const seed of [1, 2, 3]) {
    test(`writes between slices do not leak into the file (seed ${seed})`, () => {
      const dir = tmp();
      const ks = build(seed);
      const ref = new SnapshotJob(ks, join(dir, "ref.rdb"), OPTS, 0);
      ref.run();
      expect(ref.error).toBeNull();
      const job = new SnapshotJob(ks, join(dir, "bg.rdb"), { ...OPTS, chunkBytes: 4096 }, 0);
      job.attach();
      const rnd = prng(seed * 31);
      let slices = 0;
      let writes = 0;
      while (job.step(0.05)) {
        slices++;
        for (let w = 0; w < 20; w++) randomWrite(ks, rnd, writes++);
      }
      expect(job.error).toBeNull();
      expect(slices).toBeGreaterThan(10); // the save really was interleaved with writes
      expect(ks.guard).toBeNull();
      for (const t of ks.dbs) expect(t.guard).toBeNull();
      compare(canonFile(join(dir, "ref.rdb")), canonFile(join(dir, "bg.rdb")));
      // extra memory: the done bitmaps + the writer's chunk + early-serialized side buffers
      expect(job.peakExtraBytes).toBeLessThan(9 * 1100 + 4096 + 4 * 1024 * 1024);
      for (const t of ks.dbs) t.checkInvariants();
    }, 60000);
  }

  test("big values written across slices (zset, hash, set, list): writes to them and around them stay out of the file", () => {
    for (const seed of [5, 6]) {
      const dir = tmp();
      const ks = build(seed);
      const N = 20_000; // > INCREMENTAL_MIN_ELEMENTS: each is split over many slices
      for (const db of [0, 1]) {
        const t = ks.db(db);
        addKey(ks, t, `bigz${db}`, 3, N); // skiplist zset
        const hk = b(`bigh${db}`);
        const he = hashCreate(t, hk, 0, hk.length);
        for (let i = 0; i < N; i++) {
          const f = b(`field-${i}`);
          hashSet(ks, t, he, f, 0, f.length, b(`v${i}`), 0, String(i).length + 1, HL);
        }
        addKey(ks, t, `bigs${db}`, 2, N + 1); // odd n: string members, a hashtable set
        addKey(ks, t, `bigl${db}`, 4, N); // a list of many quicklist nodes
      }
      const ref = new SnapshotJob(ks, join(dir, "ref.rdb"), OPTS, 0);
      ref.run();
      const job = new SnapshotJob(ks, join(dir, "bg.rdb"), { ...OPTS, chunkBytes: 4096 }, 0);
      job.attach();
      const rnd = prng(seed);
      let split = 0;
      let writes = 0;
      while (job.step(0.05)) {
        if (job.bigInProgress) split++;
        for (let w = 0; w < 5; w++) randomWrite(ks, rnd, writes++);
        // now and then a write to a big key, maybe the one half written (it is finished first)
        if (split % 7 === 3) {
          const db = writes % 2;
          const t = ks.db(db);
          const which = ["bigz", "bigh", "bigs", "bigl"][writes % 4]!;
          const key = b(`${which}${db}`);
          const e = ks.lookupWrite(db, key, 0, key.length);
          if (e >= 0) {
            if (writes % 5 === 0) ks.removeEntry(t, e);
            else if (which === "bigz")
              (t.getObj(e) as ZSet).insert(b(`new${writes}`), 0, 3 + String(writes).length, -1);
            else if (which === "bigl") (t.getObj(e) as List).pushLeft(key, 0, key.length);
            else if (which === "bigh")
              hashSet(ks, t, e, b(`nf${writes}`), 0, 2 + String(writes).length, b("x"), 0, 1, HL);
            else setAdd(ks, t, e, b(`nm${writes}`), 0, 2 + String(writes).length, SL);
          }
        }
      }
      expect(job.error).toBeNull();
      expect(split).toBeGreaterThan(20); // slices ended inside a big value
      compare(canonFile(join(dir, "ref.rdb")), canonFile(join(dir, "bg.rdb")));
      for (const t of ks.dbs) t.checkInvariants();
    }
  }, 120000);

  test("FLUSHALL / SWAPDB / FLUSHDB during the save finish it first", () => {
    for (const bulk of ["flushall", "swapdb", "flushdb"]) {
      const dir = tmp();
      const ks = build(9);
      const ref = new SnapshotJob(ks, join(dir, "ref.rdb"), OPTS, 0);
      ref.run();
      const job = new SnapshotJob(ks, join(dir, "bg.rdb"), OPTS, 0);
      job.attach();
      const rnd = prng(5);
      for (let i = 0; i < 10 && job.step(0.05); i++)
        for (let w = 0; w < 20; w++) randomWrite(ks, rnd, w);
      if (bulk === "flushall") ks.flushAll();
      else if (bulk === "swapdb") ks.swapDb(0, 2);
      else ks.flushDb(1);
      expect(job.finished).toBe(true);
      expect(job.error).toBeNull();
      compare(canonFile(join(dir, "ref.rdb")), canonFile(join(dir, "bg.rdb")));
    }
  }, 60000);

  test("MOVE of a key not yet reached: saved in its old database, not the new one", () => {
    const dir = tmp();
    const ks = build(4);
    const ref = new SnapshotJob(ks, join(dir, "ref.rdb"), OPTS, 0);
    ref.run();
    const job = new SnapshotJob(ks, join(dir, "bg.rdb"), OPTS, 0);
    job.attach();
    job.step(0.05);
    for (let i = 900; i < 1000; i++) {
      const key = b(`k0:${i}`);
      const e = ks.lookupWrite(0, key, 0, key.length);
      const t0 = ks.db(0);
      const t3 = ks.db(3);
      if (e >= 0) t0.moveTo(e, t3);
      const key2 = b(`k2:${i}`);
      const e2 = ks.lookupWrite(2, key2, 0, key2.length);
      if (e2 >= 0) ks.db(2).moveTo(e2, ks.db(1));
    }
    job.run();
    compare(canonFile(join(dir, "ref.rdb")), canonFile(join(dir, "bg.rdb")));
  }, 60000);
});

/** An AOF-format base as per-key command lists: "db/key" -> its commands, in file order. */
function aofByKey(path: string): Map<string, string[][]> {
  const m = new Map<string, string[][]>();
  let db = 0;
  for (const c of readCommands(path)) {
    if (c[0] === "SELECT") {
      db = Number(c[1]);
      continue;
    }
    const k = `${db}/${c[1]}`;
    const l = m.get(k);
    if (l) l.push(c);
    else m.set(k, [c]);
  }
  return m;
}

describe("the AOF-format rewrite base in slices (aof-use-rdb-preamble no)", () => {
  for (const seed of [7, 8]) {
    test(`writes between slices do not leak into the base (seed ${seed})`, async () => {
      const dir = tmp();
      const ks = build(seed);
      const ref = new CommandWriter();
      rewriteKeyspace(ks, ref, () => {});
      writeFileSync(
        join(dir, "ref.aof"),
        ref.out.buf.subarray(ref.out.start, ref.out.start + ref.out.pending),
      );
      const job = new AofBaseJob(ks, join(dir, "tmp.aof"), join(dir, "bg.aof"));
      job.attach();
      const rnd = prng(seed * 17);
      let slices = 0;
      let writes = 0;
      while (job.step(0.05)) {
        slices++;
        for (let w = 0; w < 20; w++) randomWrite(ks, rnd, writes++);
        // the pool's write callbacks run between slices (a full pool ends a slice), as
        // between the server's 0 ms timers
        if (slices % 16 === 0) await new Promise((res) => setImmediate(res));
      }
      expect(job.error).toBeNull();
      expect(slices).toBeGreaterThan(10);
      expect(ks.guard).toBeNull();
      await new Promise<void>((res) => job.finishAsync(res));
      expect(job.finished).toBe(true);
      expect(job.error).toBeNull();
      const a = aofByKey(join(dir, "ref.aof"));
      const bb = aofByKey(join(dir, "bg.aof"));
      expect(bb.size).toBe(a.size);
      for (const [k, v] of a)
        if (!Bun.deepEquals(bb.get(k), v)) expect([k, bb.get(k)]).toEqual([k, v]);
      expect(readdirSync(dir).sort()).toEqual(["bg.aof", "ref.aof"]);
    }, 60000);
  }
});

describe("loading", () => {
  test("a file that fails half way leaves the live keyspace untouched; a good one swaps in", () => {
    const dir = tmp();
    const src = build(7);
    const path = join(dir, "dump.rdb");
    new SnapshotJob(src, path, OPTS, 0).run();
    const live = new Keyspace(4);
    addKey(live, live.db(0), "live", 0, 1);
    const bytes = readFileSync(path);
    const bad = join(dir, "bad.rdb");
    writeFileSync(bad, bytes.subarray(0, bytes.length - 100));
    expect(() => loadSnapshotFile(live, bad, limits)).toThrow();
    expect(live.db(0).count).toBe(1);
    expect(live.db(1).count).toBe(0);
    const r = loadSnapshotFile(live, path, limits);
    expect(r.keys).toBe(3000);
    expect(live.db(0).find(b("live"), 0, 4)).toBe(-1);
    for (let db = 0; db < 3; db++) expect(live.db(db).count).toBe(1000);
    for (const t of live.dbs) t.checkInvariants();
    expect(live.objectBytes).toBe(live.recountObjectBytes());
    // round trip: saving the loaded keyspace gives the same data
    const again = join(dir, "again.rdb");
    new SnapshotJob(live, again, OPTS, 0).run();
    compare(canonFile(path), canonFile(again));
    expect(readdirSync(dir).filter((f) => f.startsWith("temp-"))).toEqual([]);
  }, 60000);

  test("duplicate keys are refused", () => {
    const dir = tmp();
    const path = join(dir, "dup.rdb");
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(0);
    w.writeString(b("a"), b("1"));
    w.writeString(b("a"), b("2"));
    writeFileSync(path, w.finish()!);
    const live = new Keyspace(4);
    expect(() => loadSnapshotFile(live, path, limits)).toThrow(/Duplicate key 'a'/);
    expect(live.db(0).count).toBe(0);
  });
});

describe("access clock in the file", () => {
  test("LRU policy writes IDLE, LFU writes FREQ, and loading sets the clock from them", () => {
    const dir = tmp();
    // LRU: a key last touched 100 s ago
    const ks = new Keyspace(2);
    const t = ks.db(0);
    addKey(ks, t, "old", 0, 1);
    ks.now = Date.now() + 100_000;
    const lru = join(dir, "lru.rdb");
    new SnapshotJob(ks, lru, { ...OPTS, clockMeta: CLOCK_META_IDLE }, 0).run();
    const seen: number[] = [];
    readRdbFile(lru, { onKey: (_d, _k, _v, _e, idle, freq) => void seen.push(idle, freq) });
    expect(seen[0]).toBeGreaterThanOrEqual(99);
    expect(seen[0]).toBeLessThanOrEqual(101);
    expect(seen[1]).toBe(-1);
    const back = new Keyspace(2);
    loadSnapshotFile(back, lru, limits);
    const e = back.db(0).find(b("old"), 0, 3);
    expect(Math.round(back.idleMs(back.db(0), e) / 1000)).toBeGreaterThanOrEqual(99);
    // LFU: counter 42 survives
    const lfu = new Keyspace(2);
    lfu.setClockMode(CLOCK_LFU);
    lfu.lfuDecayTime = 0;
    addKey(lfu, lfu.db(0), "hot", 0, 1);
    const he = lfu.db(0).find(b("hot"), 0, 3);
    lfu.db(0).clock[he] = (lfu.db(0).clock[he]! & ~255) | 42;
    const lfuPath = join(dir, "lfu.rdb");
    new SnapshotJob(lfu, lfuPath, { ...OPTS, clockMeta: CLOCK_META_FREQ }, 0).run();
    const freqs: number[] = [];
    readRdbFile(lfuPath, { onKey: (_d, _k, _v, _e, idle, freq) => void freqs.push(idle, freq) });
    expect(freqs).toEqual([-1, 42]);
    const back2 = new Keyspace(2);
    back2.setClockMode(CLOCK_LFU);
    back2.lfuDecayTime = 0;
    loadSnapshotFile(back2, lfuPath, limits);
    expect(back2.lfuFreq(back2.db(0), back2.db(0).find(b("hot"), 0, 3))).toBe(42);
  });
});
