// In-process profile of a BGSAVE walk's slices (docs/BENCHMARKS.md, "RDB snapshots"):
//   bun bench/bgsave-slices.ts <dump.rdb | big:N> [sliceMs=2] [runs=3]
// (big:N: no file; a keyspace of four N-element values built in process, a hashtable hash,
// a hashtable set, a skiplist zset and a list, to see a big value written across slices.)
// Loads the file into a keyspace, then walks a SnapshotJob in slices back to back (as the
// server's 0 ms timer does, without clients) and reports per run: the longest slice and the
// slices over 5 ms, JSC GC time seen inside slices (bun:jsc heapStats), bytes written per
// slice, and the RSS / JS heap growth during the walk. Load cannot shrink these maxima:
// take the minimum over runs.
import { heapStats } from "bun:jsc";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../src/commands/context.ts";
import { loadSnapshotFile, SnapshotJob, snapshotLimits } from "../src/persistence/snapshot.ts";
import { hashCreate, hashSet } from "../src/store/hash.ts";
import { Keyspace } from "../src/store/keyspace.ts";
import { List } from "../src/store/list.ts";
import { setAdd, setCreate } from "../src/store/set.ts";
import { TYPE_LIST, TYPE_ZSET } from "../src/store/table.ts";
import { ZSet } from "../src/store/zset.ts";

const file = process.argv[2];
if (!file) throw new Error("usage: bun bench/bgsave-slices.ts <dump.rdb> [sliceMs] [runs]");
const sliceMs = Number(process.argv[3] ?? 2);
const runs = Number(process.argv[4] ?? 3);
const limits = new CommandLimits();
const ks = new Keyspace();
let r = { keys: 4, ms: 0 };
if (file.startsWith("big:")) {
  const n = Number(file.slice(4));
  const t = ks.db(0);
  const enc = new TextEncoder();
  const hk = enc.encode("bighash");
  const he = hashCreate(t, hk, 0, hk.length);
  const sk = enc.encode("bigset");
  const se = setCreate(t, sk, 0, sk.length, false);
  const z = new ZSet();
  for (let i = 0; i < n; i++) {
    const m = enc.encode(`member:${i}`);
    hashSet(ks, t, he, m, 0, m.length, m, 0, m.length, {
      maxListpackEntries: 128,
      maxListpackValue: 64,
    });
    setAdd(ks, t, se, m, 0, m.length, { maxIntsetEntries: 512 });
    z.insert(m, 0, m.length, i * 0.5);
  }
  const l = new List();
  for (let i = 0; i < n; i++) {
    const m = enc.encode(`item:${i}`);
    l.pushRight(m, 0, m.length);
  }
  const lk = enc.encode("biglist");
  const le = t.add(lk, 0, lk.length, TYPE_LIST, 0);
  t.setObj(le, l);
  const zk = enc.encode("bigzset");
  const ze = t.add(zk, 0, zk.length, TYPE_ZSET, 0);
  t.setObj(ze, z);
} else r = loadSnapshotFile(ks, file, limits);
const dir = mkdtempSync(join(tmpdir(), "imds-slices-"));
Bun.gc(true);
const rssKb = () =>
  Number(/VmRSS:\s+(\d+)/.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))?.[1]);
console.log(`keys ${r.keys}, load ${r.ms.toFixed(0)} ms, rss ${rssKb()} KiB, sliceMs ${sliceMs}`);
// runs alternate the sink: even runs write chunks in the thread pool (the server's BGSAVE),
// odd runs with writeSync inside the slice (the old sink), to compare in one process
for (let run = 0; run < runs; run++) {
  const asyncWrites = run % 2 === 0;
  Bun.gc(true);
  const rss0 = rssKb();
  const heap0 = heapStats().heapSize;
  let rssPeak = rss0;
  let heapPeak = heap0;
  const job = new SnapshotJob(
    ks,
    join(dir, "dump.rdb"),
    {
      compression: true,
      checksum: true,
      clockMeta: 0,
      limits: snapshotLimits(limits),
      sliceMs,
      asyncWrites,
    },
    ks.usedBytes(),
  );
  job.syncFinish = false; // the fsync goes to the thread pool, as the server's BGSAVE
  job.attach();
  const t0 = performance.now();
  const slices: number[] = [];
  const top: [number, number, number, number][] = [];
  let over5 = 0;
  let n = 0;
  for (;;) {
    const w0 = (job as unknown as { writer: { written: number } }).writer.written;
    const k0 = job.keys;
    const s = performance.now();
    const more = job.step();
    const dt = performance.now() - s;
    slices.push(dt);
    if (dt > 5)
      top.push([
        n,
        dt,
        job.keys - k0,
        (job as unknown as { writer: { written: number } }).writer.written - w0,
      ]);
    if (dt > 5) over5++;
    if (++n % 50 === 0) {
      rssPeak = Math.max(rssPeak, rssKb());
      heapPeak = Math.max(heapPeak, heapStats().heapSize);
    }
    if (!more) break;
  }
  const total = performance.now() - t0;
  await new Promise<void>((res) => job.finishAsync(res));
  top.sort((a, b) => b[1] - a[1]);
  console.log(
    "  worst slices [index, ms, keys, bytes]:",
    JSON.stringify(top.slice(0, 8).map((x) => [x[0], +x[1].toFixed(1), x[2], x[3]])),
  );
  rssPeak = Math.max(rssPeak, rssKb());
  slices.sort((a, b) => a - b);
  const p = (q: number) => slices[Math.min(slices.length - 1, Math.floor(slices.length * q))]!;
  console.log(
    `run ${run} (${asyncWrites ? "async writes" : "writeSync"}): ${total.toFixed(0)} ms, ${slices.length} slices, p50 ${p(0.5).toFixed(2)} p99 ${p(0.99).toFixed(2)} max ${slices[slices.length - 1]!.toFixed(2)} ms, >5ms ${over5}; RSS +${rssPeak - rss0} KiB, JS heap +${((heapPeak - heap0) / 1024) | 0} KiB; reported extra ${job.peakExtraBytes} B; error ${job.error}`,
  );
}
rmSync(dir, { recursive: true, force: true });
