// The JIT warm-up after a load (src/persistence/snapshot-warmup.ts): a discarding SnapshotJob
// walks the data's first keys. It must write no file anywhere, leave the keyspace as it was (no
// guard left attached, nothing dirtied), stop at its key bound and its time bound, and a real
// save afterwards must be unaffected. The real server does it after a load of 100K+ keys
// (before the listening line: the log shows it), not after a small one.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../../src/commands/context.ts";
import { SnapshotJob, snapshotLimits } from "../../src/persistence/snapshot.ts";
import {
  WARMUP_KEYS,
  WARMUP_MAX_MS,
  WARMUP_MIN_KEYS,
  warmUpSnapshotWriter,
} from "../../src/persistence/snapshot-warmup.ts";
import { CLOCK_META_NONE } from "../../src/persistence/snapshot-write.ts";
import { hashCreate, hashSet } from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { setAdd, setCreate } from "../../src/store/set.ts";
import { RespConn } from "../helpers/resp.ts";
import { type Running, startImds } from "../helpers/servers.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const limits = new CommandLimits();
const OPTS = {
  compression: true,
  checksum: true,
  clockMeta: CLOCK_META_NONE,
  limits: snapshotLimits(limits),
};

/** n keys over two databases: strings, listpack hashes, intsets, and one big hashtable set. */
function keyspace(n: number): Keyspace {
  const ks = new Keyspace(2);
  for (let i = 0; i < n; i++) {
    const t = ks.db(i % 2);
    const k = b(`k:${i}`);
    if (i % 3 === 0) {
      const v = b(`value:${i}`.padEnd(30, "x"));
      t.upsertString(k, 0, k.length, v, 0, v.length);
    } else if (i % 3 === 1) {
      const e = hashCreate(t, k, 0, k.length);
      const f = b("f");
      const v = b(String(i));
      hashSet(ks, t, e, f, 0, 1, v, 0, v.length, { maxListpackEntries: 128, maxListpackValue: 64 });
    } else {
      const e = setCreate(t, k, 0, k.length, true);
      for (const m of ["1", "2", String(i)]) {
        const mb = b(m);
        setAdd(ks, t, e, mb, 0, mb.length, { maxIntsetEntries: 512 });
      }
    }
  }
  // one value written across slices (IncrementalValue): the warm-up must handle it too
  const t = ks.db(0);
  const k = b("bigset");
  const e = setCreate(t, k, 0, k.length, false);
  for (let i = 0; i < 5000; i++) {
    const m = b(`member:${i}`);
    setAdd(ks, t, e, m, 0, m.length, { maxIntsetEntries: 512 });
  }
  return ks;
}

describe("snapshot writer warm-up", () => {
  test("a discarding job walks every key and writes no file", () => {
    const dir = mkdtempSync(join(tmpdir(), "imds-warmup-"));
    dirs.push(dir);
    const ks = keyspace(3000);
    const job = new SnapshotJob(ks, join(dir, "dump.rdb"), { ...OPTS, discard: true }, 0);
    job.run();
    expect(job.error).toBeNull();
    expect(job.finished).toBe(true);
    expect(job.keys).toBe(3001);
    expect(readdirSync(dir)).toEqual([]); // no temp file, no dump.rdb
  });

  test("stops at its key bound, leaves the keyspace untouched, and a save afterwards is whole", () => {
    const dir = mkdtempSync(join(tmpdir(), "imds-warmup-"));
    dirs.push(dir);
    const ks = keyspace(20000);
    const before = new SnapshotJob(ks, join(dir, "before.rdb"), OPTS, 0);
    before.run();
    const dirty = ks.dirty;
    const w = warmUpSnapshotWriter(ks, OPTS, 5000, 60_000);
    // the bound is checked between 2 ms slices: at it, or past it by at most one slice's keys
    expect(w.keys).toBeGreaterThanOrEqual(5000);
    expect(w.keys).toBeLessThan(20001);
    expect(ks.dirty).toBe(dirty);
    expect(ks.guard).toBeNull();
    for (const t of ks.dbs) expect(t.guard).toBeNull();
    const whole = warmUpSnapshotWriter(ks, OPTS, 1e9, 60_000);
    expect(whole.keys).toBe(20001); // past the data: every key once, then it ends
    const after = new SnapshotJob(ks, join(dir, "after.rdb"), OPTS, 0);
    after.run();
    expect(after.keys).toBe(20001);
    // the aux fields hold the time: compare the files past the header and aux
    const x = readFileSync(join(dir, "before.rdb"));
    const y = readFileSync(join(dir, "after.rdb"));
    expect(y.length).toBe(x.length);
    expect(readdirSync(dir).sort()).toEqual(["after.rdb", "before.rdb"]);
  });

  test("stops at its time bound", () => {
    const ks = keyspace(60000);
    const w = warmUpSnapshotWriter(ks, OPTS, 1e9, 5);
    expect(w.keys).toBeLessThan(60001);
    expect(w.ms).toBeLessThan(500); // 5 ms plus one 2 ms slice, with room for a busy machine
  });
});

describe("the server warms up after a big load only", () => {
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running) if (r.proc.exitCode === null) await r.stop();
  });

  /** A dump.rdb of n string keys in a fresh dir. */
  function dumpOf(n: number): string {
    const dir = mkdtempSync(join(tmpdir(), "imds-warmup-srv-"));
    dirs.push(dir);
    const ks = new Keyspace(1);
    const t = ks.db(0);
    for (let i = 0; i < n; i++) {
      const k = b(`key:${i}`);
      const v = b(`v${i}`);
      t.upsertString(k, 0, k.length, v, 0, v.length);
    }
    new SnapshotJob(ks, join(dir, "dump.rdb"), OPTS, 0).run();
    return dir;
  }

  test(`${WARMUP_MIN_KEYS} keys loaded: warmed up on the data's first keys, then served`, async () => {
    const dir = dumpOf(WARMUP_MIN_KEYS);
    const r = await startImds(["--dir", dir, "--loglevel", "verbose"]);
    running.push(r);
    const m = /Snapshot writer warmed up on (\d+) keys in (\d+) ms/.exec(r.output());
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(Math.min(WARMUP_KEYS, WARMUP_MIN_KEYS));
    expect(Number(m![2])).toBeLessThanOrEqual(WARMUP_MAX_MS + 200); // bounded, busy machine
    const c = await RespConn.open(r.port);
    expect(await c.call("DBSIZE")).toBe(WARMUP_MIN_KEYS);
    expect(await c.call("GET", "key:7")).toBe("v7");
    expect(readdirSync(dir)).toEqual(["dump.rdb"]); // the warm-up wrote nothing
    c.close();
  }, 60_000);

  test("a small load: no warm-up", async () => {
    const dir = dumpOf(1000);
    const r = await startImds(["--dir", dir, "--loglevel", "verbose"]);
    running.push(r);
    expect(r.output()).toContain("DB loaded from disk");
    expect(r.output()).not.toContain("warmed up");
  }, 60_000);
});
