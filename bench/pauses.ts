// Event-loop pauses of the store, in process: the longest single synchronous piece of work per
// source, for N keys or elements. Load on the machine inflates these numbers but cannot shrink
// them: take the minimum of the maxima over a few runs.
//
//   bun bench/pauses.ts [n=1000000] [source ...]
//
// Sources (all when none is given):
//   grow      upsertString of n keys (16 B keys, 32 B values) into db 0: worst insert
//   expire    n keys with TTLs that expire together, then the active-expiry cron cycles: worst cycle
//   compact   n keys, delete every other one, then cron steps until compaction is done: worst step
//   flushall  Keyspace.flushAll() of n keys (FLUSHALL SYNC and ASYNC both run this)
//   flushdb   Keyspace.flushDb(0) of n keys (FLUSHDB, key by key), and its lazy-free form
//   hash      one hashtable-encoded hash growing to n fields (16 B fields, 32 B values): worst HSET
//   set       one set growing to n members (16 B): worst SADD
//   zset      one sorted set growing to n members (16 B): worst ZADD
//   list      one list growing to n elements (16 B): worst RPUSH
//   del       DEL of a hash, set, zset and list of n elements each (Table.remove + what it frees)
// Each line: source, n, the worst single step in ms (wall, and this thread's CPU), where, and
// the total time. PAUSES_TRACE=1 also prints every step over 5 ms of wall to stderr.

import { dlopen, FFIType, ptr } from "bun:ffi";
import { ByteDict } from "../src/store/bytedict.ts";
import { ActiveExpire } from "../src/store/expiry.ts";
import { Keyspace } from "../src/store/keyspace.ts";
import { List } from "../src/store/list.ts";
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_ZSET } from "../src/store/table.ts";
import { ZSet } from "../src/store/zset.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const all = [
  "grow",
  "expire",
  "compact",
  "flushall",
  "flushdb",
  "hash",
  "set",
  "zset",
  "list",
  "del",
];
const picked = process.argv.slice(3);
const sources = picked.length > 0 ? picked : all;

const key = new Uint8Array(16);
const kv = new DataView(key.buffer);
const value = new Uint8Array(32).fill(0x61);
function fillKey(i: number, tag = 0x6b65793a): void {
  kv.setUint32(0, tag);
  kv.setUint32(4, i);
  kv.setUint32(8, Math.imul(i, 0x9e3779b1));
  kv.setUint32(12, i ^ 0x5bd1e995);
}

// This thread's CPU time, ns: a step's CPU leaves out the scheduler giving our core away.
// clock_gettime(CLOCK_THREAD_CPUTIME_ID) through bun:ffi (~0.5 us a call): process.
// threadCpuUsage() moved in 4 ms ticks on the busy machine, too coarse for a 4 ms slice.
const libc = dlopen("libc.so.6", {
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
});
const CLOCK_THREAD_CPUTIME_ID = 3;
const timespec = new BigInt64Array(2);
const timespecPtr = ptr(timespec);
function threadCpuNs(): number {
  libc.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, timespecPtr);
  return Number(timespec[0]) * 1e9 + Number(timespec[1]);
}

/** Times each call of step(i) for i in [0, n); the worst (wall and thread CPU) and where. */
class Worst {
  ms = 0;
  at = -1;
  cpuMs = 0;
  cpuAt = -1;
  total = 0;
  time(i: number, f: () => void): void {
    const c0 = threadCpuNs();
    const t0 = performance.now();
    f();
    const ms = performance.now() - t0;
    const cpu = (threadCpuNs() - c0) / 1e6;
    if (cpu > this.cpuMs) {
      this.cpuMs = cpu;
      this.cpuAt = i;
    }
    this.total += ms;
    if (process.env.PAUSES_TRACE && ms > 5)
      console.error(`SLICE #${i} ${ms.toFixed(2)} ms wall ${cpu.toFixed(2)} ms cpu`);
    if (ms > this.ms) {
      this.ms = ms;
      this.at = i;
    }
  }
}

function report(source: string, w: Worst, note = ""): void {
  console.log(
    `${source.padEnd(10)} n=${N}  worst ${w.ms.toFixed(2)} ms wall at #${w.at}, ${w.cpuMs.toFixed(2)} ms thread CPU at #${w.cpuAt}  total ${w.total.toFixed(0)} ms${note ? `  ${note}` : ""}`,
  );
}

function filled(n: number, ttl = 0): Keyspace {
  const ks = new Keyspace();
  const t = ks.db(0);
  for (let i = 0; i < n; i++) {
    fillKey(i);
    const e = t.upsertString(key, 0, 16, value, 0, 32);
    if (ttl > 0) t.setExpireAt(e, ttl);
  }
  // Finish background growth/rehash so the measurement is of the source alone.
  while (t.rehashing || t.growing) t.rehashStep(1 << 20);
  return ks;
}

function settle(): void {
  Bun.gc(true);
}

for (const s of sources) {
  settle();
  const w = new Worst();
  if (s === "grow") {
    const ks = new Keyspace();
    const t = ks.db(0);
    for (let i = 0; i < N; i++) {
      fillKey(i);
      w.time(i, () => t.upsertString(key, 0, 16, value, 0, 32));
    }
    report(s, w, `forced growths ${t.forcedGrowths}, forced rehashes ${t.forcedRehashes}`);
  } else if (s === "expire") {
    const ks = filled(N, 1);
    const ex = new ActiveExpire(ks);
    ks.setNow(Date.now());
    // As the server runs it: each cron tick's budget in slices, one macrotask each.
    let slices = 0;
    let ticks = 0;
    while (ks.db(0).count > 0 && slices < 100_000) {
      ticks++;
      w.time(slices++, () => ex.beginTick(10));
      while (ex.pending) w.time(slices++, () => ex.slice());
    }
    report(s, w, `${ticks} ticks, ${slices} slices, ${ex.expired} expired`);
  } else if (s === "compact") {
    const ks = filled(N);
    const t = ks.db(0);
    for (let i = 0; i < N; i += 2) {
      fillKey(i);
      t.remove(t.find(key, 0, 16));
    }
    const reserved = ks.arena.reservedBytes;
    const passes = ks.compactPasses;
    let steps = 0;
    while (steps < 100_000) {
      w.time(steps++, () => ks.cronStep(2));
      if (ks.compactPasses > passes && ks.arena.evacuatingPages === 0) break;
    }
    report(
      s,
      w,
      `${steps} steps, ${ks.blocksRelocated} moved, arena ${(reserved / 2 ** 20).toFixed(0)} -> ${(ks.arena.reservedBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  } else if (s === "flushall") {
    const ks = filled(N);
    w.time(0, () => ks.flushAll());
    report(s, w);
  } else if (s === "flushdb") {
    // Another database holds a key, so FLUSHDB cannot drop the arena's pages wholesale.
    for (const lazy of [false, true]) {
      settle();
      const ks = filled(N);
      const w1 = new Worst();
      ks.db(1).upsertString(key, 0, 16, value, 0, 32);
      w1.time(0, () => ks.flushDb(0, lazy));
      let steps = 0;
      if (lazy)
        while (steps < 1_000_000) {
          let more = true;
          w1.time(++steps, () => {
            more = ks.lazyFreeStep(2);
          });
          if (!more) break;
        }
      report(
        lazy ? "flushdb async" : "flushdb sync",
        w1,
        lazy ? `${steps} cron steps, arena live ${ks.arena.liveBytes} B` : "",
      );
    }
  } else if (s === "hash" || s === "set") {
    const d = new ByteDict(s === "hash");
    for (let i = 0; i < N; i++) {
      fillKey(i, 0x6669643a);
      w.time(i, () => {
        if (d.find(key, 0, 16) < 0) d.add(key, 0, 16, value, 0, s === "hash" ? 32 : 0);
      });
    }
    report(s, w, `${(d.memoryBytes() / N).toFixed(1)} B/element`);
  } else if (s === "zset") {
    const z = new ZSet();
    for (let i = 0; i < N; i++) {
      fillKey(i, 0x6d656d3a);
      w.time(i, () => z.insert(key, 0, 16, (i * 7919) % 100000));
    }
    report(s, w);
  } else if (s === "list") {
    const l = new List();
    for (let i = 0; i < N; i++) {
      fillKey(i);
      w.time(i, () => l.pushRight(key, 0, 16));
    }
    report(s, w);
  } else if (s === "del") {
    for (const [name, type] of [
      ["hash", TYPE_HASH],
      ["set", TYPE_SET],
      ["zset", TYPE_ZSET],
      ["list", TYPE_LIST],
    ] as const) {
      const ks = new Keyspace();
      const t = ks.db(0);
      const e = t.add(key, 0, 16, type, 0);
      if (type === TYPE_ZSET) {
        const z = new ZSet();
        for (let i = 0; i < N; i++) {
          fillKey(i, 0x6d656d3a);
          z.insert(key, 0, 16, i);
        }
        t.setObj(e, z);
      } else if (type === TYPE_LIST) {
        const l = new List();
        for (let i = 0; i < N; i++) l.pushRight(value, 0, 16);
        t.setObj(e, l);
      } else {
        const d = new ByteDict(type === TYPE_HASH);
        for (let i = 0; i < N; i++) {
          fillKey(i, 0x6669643a);
          d.add(key, 0, 16, value, 0, type === TYPE_HASH ? 32 : 0);
        }
        t.setObj(e, d);
      }
      settle();
      const wd = new Worst();
      wd.time(0, () => t.remove(e));
      // What the GC then does with the dropped object, synchronously (an upper bound: a real
      // server's collector runs concurrently and in smaller increments).
      const g = new Worst();
      g.time(0, () => Bun.gc(true));
      report(`del ${name}`, wd, `then a full Bun.gc(true): ${g.ms.toFixed(2)} ms`);
    }
  } else {
    console.log(`unknown source ${s}; sources: ${all.join(" ")}`);
  }
}
