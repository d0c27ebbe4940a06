// The first BGSAVE in a process against the next ones, in process (docs/BENCHMARKS.md,
// "BGSAVE extra memory: where it went"):
//   bun bench/bgsave-first.ts <dump.rdb> [warmupKeys=0] [sleepMs=3000] [runs=2]
// Loads the file, optionally runs the JIT warm-up on its first `warmupKeys` keys
// (snapshot-warmup.ts; the server does 100000 after a load), sleeps (the allocator returns
// the load's freed pages meanwhile: without it the first save reuses them and shows no
// growth), then BGSAVEs `runs` times in 2 ms slices on 0 ms timers, as the server does, and
// prints each save's peak RSS growth (what rdb_last_cow_size reports) and longest slice.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../src/commands/context.ts";
import { loadSnapshotFile, SnapshotJob, snapshotLimits } from "../src/persistence/snapshot.ts";
import { warmUpSnapshotWriter } from "../src/persistence/snapshot-warmup.ts";
import { CLOCK_META_NONE } from "../src/persistence/snapshot-write.ts";
import { Keyspace } from "../src/store/keyspace.ts";

const file = process.argv[2];
if (!file)
  throw new Error("usage: bun bench/bgsave-first.ts <dump.rdb> [warmupKeys] [sleepMs] [runs]");
const warmKeys = Number(process.argv[3] ?? 0);
const sleepMs = Number(process.argv[4] ?? 3000);
const runs = Number(process.argv[5] ?? 2);
const limits = new CommandLimits();
const ks = new Keyspace();
const r = loadSnapshotFile(ks, file, limits);
const opts = {
  compression: true,
  checksum: true,
  clockMeta: CLOCK_META_NONE,
  limits: snapshotLimits(limits),
};
console.log(`keys ${r.keys}, load ${r.ms.toFixed(0)} ms`);
if (warmKeys > 0) {
  const c0 = process.cpuUsage();
  const w = warmUpSnapshotWriter(ks, opts, warmKeys);
  const c = process.cpuUsage(c0);
  console.log(
    `warm-up: ${w.keys} keys, ${w.ms.toFixed(0)} ms, CPU ${((c.user + c.system) / 1000).toFixed(0)} ms`,
  );
}
await Bun.sleep(sleepMs);
const dir = mkdtempSync(join(tmpdir(), "imds-first-"));
for (let run = 0; run < runs; run++) {
  const job = new SnapshotJob(ks, join(dir, "dump.rdb"), opts, ks.usedBytes());
  job.syncFinish = false;
  job.attach();
  await new Promise<void>((res) => {
    const tick = () => {
      if (job.step()) setTimeout(tick, 0);
      else job.finishAsync(res);
    };
    setTimeout(tick, 0);
  });
  console.log(
    `save ${run + 1}: RSS growth ${(job.peakRssGrowthBytes / 1048576).toFixed(1)} MB, structures ${(job.peakExtraBytes / 1048576).toFixed(1)} MB, ${job.slices} slices, longest ${job.longestSliceMs.toFixed(1)} ms, error ${job.error}`,
  );
  await Bun.sleep(1500);
}
rmSync(dir, { recursive: true, force: true });
