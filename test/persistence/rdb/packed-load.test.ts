// The loader's fast paths (src/persistence/packed-load.ts: intsets and hash/zset listpacks
// straight into the store's encodings) against the element-by-element path (storeValue) on the
// same files: every key must come out with the same type, encoding, block bytes and contents.
// Plus what the load does with RESIZEDB (absent, too small, a lie) and duplicate keys.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../../../src/commands/context.ts";
import {
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_SET_INTSET,
} from "../../../src/persistence/rdb/constants.ts";
import {
  type RdbSink,
  type RdbValue,
  RdbWriter,
  readRdb,
  readRdbFile,
} from "../../../src/persistence/rdb/index.ts";
import { ListpackWriter } from "../../../src/persistence/rdb/listpack.ts";
import { SnapshotJob } from "../../../src/persistence/snapshot.ts";
import { SnapshotLoader } from "../../../src/persistence/snapshot-load.ts";
import { CLOCK_META_NONE } from "../../../src/persistence/snapshot-write.ts";
import { hashEncoding } from "../../../src/store/hash.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { List } from "../../../src/store/list.ts";
import { setEncoding } from "../../../src/store/set.ts";
import { TYPE_FREE, TYPE_HASH, TYPE_SET, TYPE_ZSET } from "../../../src/store/table.ts";
import { ZSet } from "../../../src/store/zset.ts";
import { Prng } from "../../helpers/prng.ts";
import { b, canonValue, latin1 } from "./helpers.ts";

const limits = new CommandLimits();
const NOW = 1_700_000_000_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Counts the keys the fast path took (so a test can tell it ran). */
class CountingLoader extends SnapshotLoader {
  packedTaken = 0;
  override onPackedKey(...a: Parameters<SnapshotLoader["onPackedKey"]>): boolean {
    const r = super.onPackedKey(...a);
    if (r) this.packedTaken++;
    return r;
  }
}

/** The element-by-element path: the same loader without its onPackedKey hook. */
function slowSink(l: SnapshotLoader): RdbSink {
  return {
    onSelectDb: (db) => l.onSelectDb(db),
    onResizeDb: (n) => l.onResizeDb(n),
    onKey: (db, k, v, exp, idle, freq) => l.onKey(db, k, v, exp, idle, freq),
  };
}

function fresh(): Keyspace {
  const ks = new Keyspace(4);
  ks.setNow(NOW);
  return ks;
}

function loadBoth(
  file: Uint8Array,
  lim: CommandLimits = limits,
): { fast: Keyspace; slow: Keyspace; taken: number } {
  const fast = fresh();
  const fl = new CountingLoader(fast, lim, NOW);
  readRdb(file, fl);
  const slow = fresh();
  readRdb(file, slowSink(new SnapshotLoader(slow, lim, NOW)));
  return { fast, slow, taken: fl.packedTaken };
}

/** Every live entry: key, type, encoding, its block's value bytes, TTL; zsets member by rank. */
function entries(ks: Keyspace): unknown[] {
  const out: unknown[] = [];
  for (let db = 0; db < ks.databases; db++) {
    const t = ks.db(db);
    t.checkInvariants();
    for (let e = 0; e < t.highWater; e++) {
      const type = t.type[e]!;
      if (type === TYPE_FREE) continue;
      const row: unknown[] = [db, latin1(t.keyBytes(e)), type, latin1(t.valueBytes(e))];
      row.push(t.expireAt[e]);
      if (type === TYPE_HASH) row.push(hashEncoding(t, e));
      if (type === TYPE_SET) row.push(setEncoding(t, e));
      if (type === TYPE_ZSET) {
        const z = t.getObj(e) as ZSet;
        z.checkInvariants();
        const ms: unknown[] = [z.encoding];
        for (let r = 0; r < z.size; r++) {
          const id = z.idAt(r);
          ms.push(latin1(z.memberBytes(id)), z.score[id]);
        }
        row.push(ms);
      }
      out.push(row);
    }
  }
  return out.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
}

/** The keyspace saved and read back in the neutral model (contents of dicts included). */
function saved(ks: Keyspace): Map<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "imds-packed-"));
  dirs.push(dir);
  const path = join(dir, "s.rdb");
  const job = new SnapshotJob(
    ks,
    path,
    { compression: true, checksum: true, clockMeta: CLOCK_META_NONE },
    0,
  );
  job.run();
  if (job.error !== null) throw new Error(job.error);
  const m = new Map<string, unknown>();
  readRdbFile(path, {
    onKey(db: number, key: Uint8Array, v: RdbValue, exp: number) {
      m.set(`${db}/${latin1(key)}`, [canonValue(v), exp]);
    },
  });
  return m;
}

function expectSame(fast: Keyspace, slow: Keyspace): void {
  expect(entries(fast)).toEqual(entries(slow));
  expect(Bun.deepEquals(saved(fast), saved(slow))).toBe(true);
  expect(fast.objectBytes).toBe(fast.recountObjectBytes());
}

// Elements that exercise every listpack encoding and every text form of an integer.
const INTS = [
  0, 1, -1, 12, 127, 128, -128, 4095, -4096, 4096, 32767, -32768, 32768, -32769, 8388607, -8388608,
  2147483647, -2147483648, 2147483648, -2147483649, 9007199254740991, -9007199254740991,
];
const BIGS = ["9223372036854775807", "-9223372036854775808", "9007199254740993"];

function element(rng: Prng, maxLen: number): string {
  const k = rng.u32() % 8;
  if (k < 3) return String(INTS[rng.u32() % INTS.length]);
  if (k === 3) return BIGS[rng.u32() % BIGS.length]!;
  if (k === 4) return `0${rng.u32() % 100}`; // not canonical: stays a string
  const n = rng.u32() % (maxLen + 1);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.u32() % 256);
  return s;
}

/** Limits far below the defaults: conversions on load happen at other sizes. */
const tight = new CommandLimits();
tight.hashMaxListpackEntries = 4;
tight.hashMaxListpackValue = 6;
tight.zsetMaxListpackEntries = 3;
tight.zsetMaxListpackValue = 5;
tight.setMaxIntsetEntries = 5;

describe("packed values loaded straight into the store equal the element-by-element result", () => {
  test.each([
    ["default", limits],
    ["tight", tight],
  ] as const)(
    "random hashes, intsets and zsets of every element form, inside and past the limits (%s limits)",
    (name, lim) => {
      const rng = new Prng(18);
      const w = new RdbWriter();
      w.writeHeader();
      w.writeSelectDb(0);
      let packed = 0;
      for (let i = 0; i < 600; i++) {
        const kind = i % 4;
        // mostly small (listpack/intset), some past the entry or value limits
        const big = rng.u32() % 10 === 0;
        const n = 1 + (rng.u32() % (big ? 700 : 12));
        const maxLen = big && rng.u32() % 2 === 0 ? 100 : 20;
        const meta = rng.u32() % 5 === 0 ? { expireMs: NOW + 1000 + i } : undefined;
        if (kind === 3) {
          // strings (onStringKey): integers, compressible runs (LZF), raw bytes, empty
          const r = rng.u32() % 4;
          const v =
            r === 0
              ? String(INTS[rng.u32() % INTS.length])
              : r === 1
                ? "ab".repeat(1 + (rng.u32() % 3000))
                : element(rng, 200);
          w.writeString(b1(`k${i}${element(rng, 8)}`), b1(v), meta);
          packed++;
        } else if (kind === 0) {
          const seen = new Set<string>();
          const pairs: [Uint8Array, Uint8Array][] = [];
          while (pairs.length < n) {
            const f = element(rng, maxLen);
            if (seen.has(f)) continue;
            seen.add(f);
            pairs.push([b1(f), b1(element(rng, maxLen))]);
          }
          // "compact" forces a listpack even past the limits: the loader must convert
          w.writeHash(b(`h${i}`), pairs.length, pairs, meta, big ? "compact" : "auto");
          packed++;
        } else if (kind === 1) {
          const seen = new Set<bigint>();
          while (seen.size < n) {
            const v = rng.u32() % 3;
            const x =
              v === 0
                ? BigInt((rng.u32() % 100000) - 50000)
                : v === 1
                  ? BigInt(INTS[rng.u32() % INTS.length]!)
                  : BigInt(BIGS[rng.u32() % 2]!);
            seen.add(x);
          }
          const ms = [...seen].map((x) => b(String(x)));
          // past set-max-intset-entries the writer picks SET; below it, SET_INTSET
          w.writeSet(b(`s${i}`), ms.length, ms, meta);
          packed++;
        } else {
          const seen = new Set<string>();
          const es: [Uint8Array, number][] = [];
          while (es.length < n) {
            const m = element(rng, maxLen);
            if (seen.has(m)) continue;
            seen.add(m);
            const r = rng.u32() % 6;
            const s =
              r === 0
                ? Number.POSITIVE_INFINITY
                : r === 1
                  ? Number.NEGATIVE_INFINITY
                  : r === 2
                    ? (rng.u32() % 1000) / 7
                    : r === 3
                      ? -0
                      : INTS[rng.u32() % INTS.length]!;
            es.push([b1(m), s]);
          }
          w.writeZset(b(`z${i}`), es.length, es, meta, big ? "compact" : "auto");
          packed++;
        }
      }
      w.writeString(b("plain"), b("v"));
      const file = w.finish()!;
      const { fast, slow, taken } = loadBoth(file, lim);
      expect(fast.db(0).count).toBe(packed + 1);
      // the fast path ran for most of them
      expect(taken).toBeGreaterThan(name === "default" ? 250 : 80);
      expectSame(fast, slow);
    },
  );

  test("an intset wider than its members need is narrowed as setAdd would (declined path)", () => {
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(0);
    const wide = new Uint8Array(8 + 3 * 8);
    const dv = new DataView(wide.buffer);
    dv.setUint32(0, 8, true);
    dv.setUint32(4, 3, true);
    for (const [i, v] of [-5n, 7n, 300n].entries()) dv.setBigInt64(8 + i * 8, v, true);
    w.writeBlobKey(RDB_TYPE_SET_INTSET, b("wide"), 0, 4, wide, wide.length, undefined);
    w.writeSet(b("narrow"), 3, [b("-5"), b("7"), b("300")]);
    const { fast, slow, taken } = loadBoth(w.finish()!);
    expect(taken).toBe(1); // "narrow" only
    expectSame(fast, slow);
    const t = fast.db(0);
    // both became the same 2-byte intset
    const k = (s: string) => t.find(b(s), 0, s.length);
    expect(latin1(t.valueBytes(k("wide")))).toBe(latin1(t.valueBytes(k("narrow"))));
  });

  test("a field twice in a hash listpack: the same result as hashSet's (last value wins)", () => {
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(0);
    const lp = new ListpackWriter();
    for (const s of ["a", "1", "b", "2", "a", "3"]) lp.append(b(s));
    const blob = lp.finish();
    w.writeBlobKey(RDB_TYPE_HASH_LISTPACK, b("h"), 0, 1, blob, blob.length, undefined);
    const { fast, slow, taken } = loadBoth(w.finish()!);
    expect(taken).toBe(0);
    expectSame(fast, slow);
    expect(saved(fast).get("0/h")).toEqual([
      [
        "hash",
        [
          ["a", "3"],
          ["b", "2"],
        ],
      ],
      -1,
    ]);
  });

  test("a member twice in a zset listpack is refused on both paths", () => {
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(0);
    w.writeZset(
      b("z"),
      2,
      [
        [b("m"), 1],
        [b("m"), 2],
      ],
      undefined,
      "compact",
    );
    const file = w.finish()!;
    expect(() => readRdb(file, new SnapshotLoader(fresh(), limits, NOW))).toThrow(/duplicate zset/);
    expect(() => readRdb(file, slowSink(new SnapshotLoader(fresh(), limits, NOW)))).toThrow(
      /duplicate zset/,
    );
  });

  test("a malformed listpack is reported as before (the fast path declines it)", () => {
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(0);
    const lp = new ListpackWriter();
    for (const s of ["a", "1"]) lp.append(b(s));
    const blob = lp.finish();
    blob[4] = 3; // header count 3, two entries
    w.writeBlobKey(RDB_TYPE_HASH_LISTPACK, b("h"), 0, 1, blob, blob.length, undefined);
    const file = w.finish()!;
    let fastErr = "";
    let slowErr = "";
    try {
      readRdb(file, new SnapshotLoader(fresh(), limits, NOW));
    } catch (e) {
      fastErr = (e as Error).message;
    }
    try {
      readRdb(file, slowSink(new SnapshotLoader(fresh(), limits, NOW)));
    } catch (e) {
      slowErr = (e as Error).message;
    }
    expect(fastErr).toMatch(/bad listpack: listpack: header says 3 entries, found 2/);
    expect(fastErr).toBe(slowErr);
  });
});

describe("duplicate keys", () => {
  const file = (first: "live" | "expired", kind: "string" | "hash") => {
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(0);
    const meta = first === "expired" ? { expireMs: NOW - 1000 } : undefined;
    for (const m of [meta, undefined]) {
      if (kind === "string") w.writeString(b("k"), b("v"), m);
      else w.writeHash(b("k"), 1, [[b("f"), b("v")]], m);
    }
    return w.finish()!;
  };

  for (const kind of ["string", "hash"] as const) {
    test(`a ${kind} key twice is refused, fast and slow path`, () => {
      const f = file("live", kind);
      expect(() => readRdb(f, new SnapshotLoader(fresh(), limits, NOW))).toThrow(
        /Duplicate key 'k'/,
      );
      expect(() => readRdb(f, slowSink(new SnapshotLoader(fresh(), limits, NOW)))).toThrow(
        /Duplicate key 'k'/,
      );
    });

    test(`a ${kind} key twice, the first already expired, loads (Redis skips it first)`, () => {
      const ks = fresh();
      const l = new SnapshotLoader(ks, limits, NOW);
      readRdb(file("expired", kind), l);
      expect(l.expiredSkipped).toBe(1);
      expect(l.keys).toBe(1);
      expect(ks.db(0).count).toBe(1);
    });
  }
});

describe("RESIZEDB", () => {
  const build = (n: number, resize: number | null): Uint8Array => {
    const w = new RdbWriter();
    w.writeHeader();
    w.writeSelectDb(1);
    if (resize !== null) w.writeResizeDb(resize, 0);
    for (let i = 0; i < n; i++) w.writeString(b(`key:${i}`), b(`v${i}`));
    return w.finish()!;
  };
  const N = 50_000;

  test("exact: the table is sized once, no rehash or column growth while loading", () => {
    const ks = fresh();
    const t = ks.db(1);
    let resized = 0;
    const l = new SnapshotLoader(ks, limits, NOW);
    const sink: RdbSink = {
      onSelectDb: (db) => l.onSelectDb(db),
      onResizeDb: (n) => {
        l.onResizeDb(n);
        resized++;
      },
      onKey(db, k, v, exp, idle, freq) {
        if (resized === 1 && (t.rehashing || t.growing)) throw new Error("table grew");
        l.onKey(db, k, v, exp, idle, freq);
      },
    };
    readRdb(build(N, N), sink);
    const slots = t.slots;
    const rows = t.capacityRows;
    expect(resized).toBe(1);
    expect(t.count).toBe(N);
    expect(t.rehashing || t.growing).toBe(false);
    expect(slots * 3).toBeGreaterThanOrEqual(N * 4);
    expect(rows).toBeGreaterThanOrEqual(N);
    t.checkInvariants();
  });

  for (const [name, resize] of [
    ["absent", null],
    ["too small", 10],
    ["zero", 0],
    ["too large (a lie: clamped to what the file can hold)", 2_000_000_000],
  ] as const) {
    test(`${name}: every key loads and the table is sound`, () => {
      const ks = fresh();
      const l = new SnapshotLoader(ks, limits, NOW);
      const file = build(N, resize);
      readRdb(file, l);
      const t = ks.db(1);
      expect(t.count).toBe(N);
      for (let i = 0; i < N; i += 997) {
        const k = b(`key:${i}`);
        expect(t.find(k, 0, k.length)).toBeGreaterThanOrEqual(0);
      }
      while (t.rehashStep(1 << 20));
      t.checkInvariants();
      // a lie never reserves more than the file could hold (3 bytes a key)
      expect(t.capacityRows).toBeLessThanOrEqual(Math.max(2 * N, Math.ceil(file.length / 3) * 2));
    });
  }
});

function b1(s: string): Uint8Array {
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

describe("pre-sized builds (ZSet.reserveSmall, List.reserveRight) equal grown ones", () => {
  test("a zset and a list built after a reservation hold the same, with no regrowth", () => {
    const rng = new Prng(5);
    for (let round = 0; round < 200; round++) {
      const n = 1 + (rng.u32() % 20);
      const items = Array.from({ length: n }, (_, i) => b1(`${element(rng, 30)}#${i}`));
      const bytes = items.reduce((a, x) => a + x.length, 0);
      const za = new ZSet();
      const zb = new ZSet();
      zb.reserveSmall(n, bytes);
      const mem = zb.mem;
      items.forEach((m, i) => {
        za.insert(m, 0, m.length, i % 3);
        zb.insert(m, 0, m.length, i % 3);
      });
      zb.checkInvariants();
      if (zb.listpack) expect(zb.mem).toBe(mem); // never reallocated
      for (let r = 0; r < n; r++) {
        expect(latin1(zb.memberBytes(zb.idAt(r)))).toBe(latin1(za.memberBytes(za.idAt(r))));
      }
      const la = new List();
      const lb = new List();
      lb.reserveRight(n, bytes);
      for (const it of items) {
        la.pushRight(it, 0, it.length);
        lb.pushRight(it, 0, it.length);
      }
      lb.checkInvariants();
      expect(lb.length).toBe(n);
      expect(lb.nodeCount).toBe(la.nodeCount);
      for (let i = 0; i < n; i++) {
        const len = lb.at(i);
        expect(latin1(lb.cbuf.slice(lb.coff, lb.coff + len))).toBe(latin1(items[i]!));
      }
    }
  });
});
