// RDB load (and SAVE) alone, imds beside redis-server 7.0 on the same file, alternating runs:
//   bun bench/snapshot-load.ts [keys=1000000] [--rdb PATH] [--runs 3] [--save]
// The file is bench/snapshot.ts's mixed dataset (bench/lib/snapshot-data.ts), built in
// redis-server and SAVEd; with --rdb PATH it is kept there and reused when it exists (build
// once, measure often). Redis: DEBUG RELOAD NOSAVE (load only) timed from the client. imds: a
// fresh `bun` child per run loading the file with loadSnapshotFile (the server's load path),
// reporting wall ms and process CPU ms of the load alone. --save also times SAVE on both
// (redis: SAVE; imds: the child SAVEs what it loaded through SnapshotJob.run, the SAVE path).
// Child mode (used by the above; also for `bun --cpu-prof`):
//   bun bench/snapshot-load.ts --child PATH [--save OUT]

import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

if (opt("--child") !== undefined) {
  const { CommandLimits } = await import("../src/commands/context.ts");
  const { loadSnapshotFile, SnapshotJob } = await import("../src/persistence/snapshot.ts");
  const { Keyspace } = await import("../src/store/keyspace.ts");
  const path = opt("--child")!;
  const limits = new CommandLimits();
  const ks = new Keyspace(16);
  const c0 = process.cpuUsage();
  const r = loadSnapshotFile(ks, path, limits);
  const c1 = process.cpuUsage(c0);
  const out: Record<string, number> = {
    loadMs: r.ms,
    loadCpuMs: (c1.user + c1.system) / 1000,
    keys: r.keys,
  };
  const savePath = opt("--save");
  if (savePath !== undefined) {
    const { snapshotLimits } = await import("../src/persistence/snapshot.ts");
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const { CLOCK_META_NONE } = await import("../src/persistence/snapshot-write.ts");
      const opts = {
        compression: true,
        checksum: true,
        clockMeta: CLOCK_META_NONE,
        limits: snapshotLimits(limits),
      };
      const job = new SnapshotJob(ks, savePath, opts, 0);
      job.run();
      if (job.error !== null) throw new Error(job.error);
      const ms = performance.now() - t;
      out[`save${i}Ms`] = ms;
    }
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

const { RespConn } = await import("../test/helpers/resp.ts");
const { startRedis } = await import("../test/helpers/servers.ts");
const { buildMixedData } = await import("./lib/snapshot-data.ts");

const N = Number(
  argv.find((a, i) => /^\d+$/.test(a) && !argv[i - 1]?.startsWith("--")) ?? 1_000_000,
);
const RUNS = Number(opt("--runs") ?? 3);
const withSave = argv.includes("--save");
const keep = opt("--rdb");
const dir = mkdtempSync(join(tmpdir(), "imds-loadbench-"));
const file = keep ?? join(dir, "dump.rdb");

async function timed(c: Awaited<ReturnType<typeof RespConn.open>>, ...args: (string | number)[]) {
  const t = performance.now();
  const [r] = await c.pipeline([args], 600_000);
  if (r!.bytes[0] !== 43) throw new Error(`${args[0]}: ${new TextDecoder().decode(r!.bytes)}`);
  return performance.now() - t;
}

if (!existsSync(file)) {
  const redis = await startRedis([
    "--dir",
    dir,
    "--dbfilename",
    "build.rdb",
    "--enable-debug-command",
    "yes",
  ]);
  const rc = await RespConn.open(redis.port);
  await buildMixedData(rc, redis.port, N, dir);
  await timed(rc, "SAVE");
  rc.close();
  await redis.stop();
  copyFileSync(join(dir, "build.rdb"), file);
}

// redis-server loads `file` itself (its dir and dbfilename), so both read the same bytes
const redis = await startRedis([
  "--dir",
  dirname(file),
  "--dbfilename",
  basename(file),
  "--enable-debug-command",
  "yes",
]);
const rc = await RespConn.open(redis.port);
const rLoad: number[] = [];
const iLoad: number[] = [];
const iCpu: number[] = [];
const iSave: number[] = [];
let iKeys = 0;
const savePath = join(dir, "imds-save.rdb");
for (let run = 0; run < RUNS; run++) {
  rLoad.push(await timed(rc, "DEBUG", "RELOAD", "NOSAVE"));
  const args = ["bun", join(import.meta.dir, "snapshot-load.ts"), "--child", file];
  if (withSave && run === 0) args.push("--save", savePath);
  const p = Bun.spawnSync(args, { stdout: "pipe", stderr: "inherit" });
  const r = JSON.parse(p.stdout.toString().trim().split("\n").pop()!);
  iLoad.push(r.loadMs);
  iCpu.push(r.loadCpuMs);
  iKeys = r.keys;
  if (r.save0Ms !== undefined) iSave.push(r.save0Ms, r.save1Ms, r.save2Ms);
}
const rKeys = await rc.call("DBSIZE");
const rSave: number[] = [];
if (withSave) {
  // redis SAVEs into its dir: keep the shared file intact by saving under another name
  await rc.call("CONFIG", "SET", "dir", dir);
  await rc.call("CONFIG", "SET", "dbfilename", "redis-save.rdb");
  for (let i = 0; i < 3; i++) rSave.push(await timed(rc, "SAVE"));
}
rc.close();
await redis.stop();
rmSync(dir, { recursive: true, force: true });

const f = (x: number) => x.toFixed(0);
const min = (a: number[]) => Math.min(...a);
console.log(
  `file: ${file === join(dir, "dump.rdb") ? "(temp)" : file}; keys: redis ${rKeys}, imds ${iKeys}`,
);
console.log(`redis DEBUG RELOAD NOSAVE (ms): ${rLoad.map(f).join(" ")}`);
console.log(
  `imds loadSnapshotFile (ms):     ${iLoad.map(f).join(" ")}  (cpu ${iCpu.map(f).join(" ")})`,
);
console.log("| | imds | redis-server | ratio |");
console.log("|---|---:|---:|---:|");
console.log(
  `| load, best of ${RUNS} (ms) | ${f(min(iLoad))} | ${f(min(rLoad))} | ${(min(iLoad) / min(rLoad)).toFixed(2)} |`,
);
if (withSave) {
  console.log(
    `| SAVE, first (ms) | ${f(iSave[0]!)} | ${f(rSave[0]!)} | ${(iSave[0]! / rSave[0]!).toFixed(2)} |`,
  );
  console.log(
    `| SAVE, best of 3 (ms) | ${f(min(iSave))} | ${f(min(rSave))} | ${(min(iSave) / min(rSave)).toFixed(2)} |`,
  );
}
process.exit(0);
