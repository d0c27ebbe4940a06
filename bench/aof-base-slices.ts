// The AOF-format base's slices in process, with the main thread's run and run-queue wait per
// slow slice (docs/BENCHMARKS.md, "AOF jobs' pauses"):
//   bun bench/aof-base-slices.ts <dump.rdb> [runs=2]
// Loads the file, sleeps 3 s, then walks AofBaseJob `runs` times in 2 ms slices on 0 ms timers
// (as the server does); every slice over 4 ms is printed with the time the thread ran and the
// time it waited runnable (/proc/thread-self/schedstat: wait = another thread had the core).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandLimits } from "../src/commands/context.ts";
import { AofBaseJob } from "../src/persistence/aof-base-job.ts";
import { loadSnapshotFile } from "../src/persistence/snapshot.ts";
import { Keyspace } from "../src/store/keyspace.ts";

const file = process.argv[2];
if (!file) throw new Error("usage: bun bench/aof-base-slices.ts <dump.rdb> [runs]");
const runs = Number(process.argv[3] ?? 2);
const sched = () => readFileSync("/proc/thread-self/schedstat", "latin1").split(" ").map(Number);
const ks = new Keyspace();
const r = loadSnapshotFile(ks, file, new CommandLimits());
console.log(
  `keys ${r.keys}, load average ${readFileSync("/proc/loadavg", "latin1").split(" ")[0]}`,
);
await Bun.sleep(3000);
const dir = mkdtempSync(join(tmpdir(), "imds-aofslices-"));
for (let run = 0; run < runs; run++) {
  const job = new AofBaseJob(ks, join(dir, "tmp.aof"), join(dir, `base${run}.aof`), 2);
  job.attach();
  const slow: string[] = [];
  let over5 = 0;
  let over5Run = 0;
  await new Promise<void>((res) => {
    const tick = () => {
      const s0 = sched();
      const t0 = performance.now();
      const more = job.step();
      const dt = performance.now() - t0;
      const s1 = sched();
      const ran = (s1[0]! - s0[0]!) / 1e6;
      if (dt > 5) over5++;
      if (ran > 5) over5Run++;
      if (dt > 4)
        slow.push(
          `${dt.toFixed(1)} (ran ${ran.toFixed(1)}, waited ${((s1[1]! - s0[1]!) / 1e6).toFixed(1)})`,
        );
      if (more) setTimeout(tick, 0);
      else job.finishAsync(res);
    };
    setTimeout(tick, 0);
  });
  console.log(
    `run ${run + 1}: ${job.slices} slices, longest ${job.longestSliceMs.toFixed(1)} ms, ${over5} over 5 ms wall, ${over5Run} over 5 ms run; RSS +${(job.extraBytes / 1e6).toFixed(1)} MB; end step ${job.endMs.toFixed(2)} ms; error ${job.error}`,
  );
  console.log(`  slices over 4 ms, ms: ${slow.join(", ")}`);
  await Bun.sleep(1500);
}
rmSync(dir, { recursive: true, force: true });
