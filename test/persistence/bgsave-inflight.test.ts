// BGSAVE's and the AOF-format base's chunks in the thread pool (src/persistence/snapshot.ts out()): at most
// MAX_WRITES_IN_FLIGHT (4) copies of chunkBytes exist at once, however far the disk falls
// behind; past that bound BGSAVE writes a chunk synchronously in the slice, the AOF-format base
// ends the slice instead (its guard writes past MAX_PENDING waiting bytes: the buffer's bound).
// Sampled after every step while the walk outruns the writes (tiny chunks, no waiting
// between slices), and the file must still be whole.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../../src/commands/context.ts";
import { AofBaseJob, MAX_PENDING } from "../../src/persistence/aof-base-job.ts";
import { CommandWriter } from "../../src/persistence/aof-encode.ts";
import { rewriteKeyspace } from "../../src/persistence/aof-rewrite.ts";
import { loadSnapshotFile, SnapshotJob, snapshotLimits } from "../../src/persistence/snapshot.ts";
import { CLOCK_META_NONE } from "../../src/persistence/snapshot-write.ts";
import { Keyspace } from "../../src/store/keyspace.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("chunk copies in flight never exceed 4, at and past the bound", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-inflight-"));
  dirs.push(dir);
  const ks = new Keyspace(1);
  const t = ks.db(0);
  const enc = new TextEncoder();
  for (let i = 0; i < 20000; i++) {
    const k = enc.encode(`key:${i}`);
    const v = enc.encode(`value:${i}:`.padEnd(100, String(i % 10)));
    t.upsertString(k, 0, k.length, v, 0, v.length);
  }
  const limits = new CommandLimits();
  const chunkBytes = 4096;
  const job = new SnapshotJob(
    ks,
    join(dir, "dump.rdb"),
    {
      compression: false,
      checksum: true,
      clockMeta: CLOCK_META_NONE,
      limits: snapshotLimits(limits),
      chunkBytes,
      sliceMs: 0.2,
    },
    0,
  );
  job.syncFinish = false;
  job.attach();
  const pool = job.pool;
  let maxInFlight = 0;
  let maxBufs = 0;
  let atBound = 0;
  while (job.step()) {
    maxInFlight = Math.max(maxInFlight, pool.inFlight);
    maxBufs = Math.max(maxBufs, pool.inFlight + pool.freeBufs.length);
    if (pool.inFlight === 4) atBound++;
  }
  await new Promise<void>((res) => job.finishAsync(res));
  expect(job.error).toBeNull();
  expect(maxInFlight).toBeLessThanOrEqual(4);
  expect(maxBufs).toBeLessThanOrEqual(4); // copies ever made: the bound on their memory
  expect(atBound).toBeGreaterThan(0); // the walk did reach the bound (the test can fail)
  expect(job.peakExtraBytes).toBeGreaterThanOrEqual(5 * chunkBytes);
  const back = new Keyspace(1);
  expect(loadSnapshotFile(back, join(dir, "dump.rdb"), limits).keys).toBe(20000);
});

test("the AOF-format base's chunk copies in flight never exceed 4, and the base is whole", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-inflight-"));
  dirs.push(dir);
  const ks = new Keyspace(1);
  const t = ks.db(0);
  const enc = new TextEncoder();
  for (let i = 0; i < 30000; i++) {
    const k = enc.encode(`key:${i}`);
    const v = enc.encode(`value:${i}:`.padEnd(100, String(i % 10)));
    t.upsertString(k, 0, k.length, v, 0, v.length);
  }
  const job = new AofBaseJob(ks, join(dir, "tmp.aof"), join(dir, "base.aof"), 0.2);
  job.attach();
  let atBound = 0;
  let syncWrites = 0;
  let idleSlices = 0;
  for (;;) {
    const k0 = job.keys;
    const more = job.step();
    syncWrites += job.sliceSyncWrites;
    if (!more) break;
    if (job.pool.inFlight === 4) atBound++;
    // a slice that walked nothing waited on the full pool: its callbacks run now (the
    // server's 0 ms timers let them run between every slice)
    if (job.keys === k0) {
      idleSlices++;
      await new Promise((res) => setImmediate(res));
    }
  }
  await new Promise<void>((res) => job.finishAsync(res));
  expect(job.error).toBeNull();
  expect(job.pool.peakInFlight).toBeLessThanOrEqual(4);
  expect(job.pool.peakInFlight + atBound).toBeGreaterThan(1); // the thread pool was used
  // a full pool ends the slice (the walk waited: slices with no key) instead of a writeSync
  expect(atBound).toBeGreaterThan(0);
  expect(idleSlices).toBeGreaterThan(0);
  expect(syncWrites).toBe(0);
  const w = new CommandWriter();
  const keys = rewriteKeyspace(ks, w, () => {}, 1 << 30);
  expect(keys).toBe(30000);
  const o = w.out;
  const want = Buffer.from(o.buf.subarray(o.start, o.start + o.pending));
  expect(Buffer.compare(readFileSync(join(dir, "base.aof")), want)).toBe(0);
  expect(job.size).toBe(want.length);
});

test("the AOF-format base's guard writes with the pool full: the buffer stays bounded, the base whole", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-inflight-"));
  dirs.push(dir);
  const ks = new Keyspace(1);
  const t = ks.db(0);
  const enc = new TextEncoder();
  const n = 30000;
  for (let i = 0; i < n; i++) {
    const k = enc.encode(`key:${i}`);
    const v = enc.encode(`value:${i}:`.padEnd(200, String(i % 10)));
    t.upsertString(k, 0, k.length, v, 0, v.length);
  }
  const w = new CommandWriter();
  expect(rewriteKeyspace(ks, w, () => {}, 1 << 30)).toBe(n);
  const want = Buffer.from(w.out.buf.subarray(w.out.start, w.out.start + w.out.pending));
  const job = new AofBaseJob(ks, join(dir, "tmp.aof"), join(dir, "base.aof"), 0.2);
  job.attach();
  const out = (job as unknown as { w: CommandWriter }).w.out;
  // walk until the pool is full (no yield: the writes cannot complete)
  while (job.step() && job.pool.inFlight < 4) {}
  expect(job.pool.inFlight).toBe(4);
  // a client write reaching every entry the walk has not: the guard writes them all now
  let maxPending = 0;
  let guarded = 0;
  for (let e = 0; e < t.highWater; e++) {
    const before = job.size + out.pending;
    job.beforeWrite(t, e);
    if (job.size + out.pending > before) guarded++;
    maxPending = Math.max(maxPending, out.pending);
  }
  expect(guarded).toBeGreaterThan(n / 2); // the walk was far from done: the test can fail
  expect(maxPending).toBeLessThanOrEqual(MAX_PENDING + 64 * 1024);
  expect(job.sliceSyncWrites).toBeGreaterThan(0); // past the bound the guard wrote itself
  for (;;) {
    const more = job.step();
    if (!more) break;
    await new Promise((res) => setImmediate(res));
  }
  await new Promise<void>((res) => job.finishAsync(res));
  expect(job.error).toBeNull();
  const got = readFileSync(join(dir, "base.aof"));
  expect(got.length).toBe(want.length);
  // the same commands (the guard's come out of walk order)
  const lines = (b: Buffer) => b.toString("latin1").split("\r\n").sort();
  expect(lines(got)).toEqual(lines(want));
});
