// RDB snapshots, imds beside redis-server 7.0 on the same data (docs/BENCHMARKS.md):
//   bun bench/snapshot.ts [keys=1000000]     (IMDS_ROOT=<checkout>: run that imds, e.g. a
//   build of an earlier commit, for a before/after beside the same redis-server)
// Data: `keys` keys of mixed types built in redis-server (70% strings by DEBUG POPULATE, 10%
// hashes of 5 fields, 10% intsets of 5, 5% zsets of 5, 5% lists of 5), saved there; the same
// dump.rdb is then loaded by imds at start. Measured on both: SAVE time and file size, load
// time (imds: its "DB loaded" log line; Redis: DEBUG RELOAD minus SAVE), and, with one client
// writing at pipeline depth 1, the worst and p99 latency while a BGSAVE runs, and the save's
// extra memory (rdb_last_cow_size; imds also the RSS growth sampled during the save); then the
// same P1 writer while the AOF is switched on at runtime, during BGREWRITEAOF (RDB preamble
// base) and during BGREWRITEAOF with aof-use-rdb-preamble no.

import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConn } from "../test/helpers/resp.ts";
import { freePort, ROOT, startRedis } from "../test/helpers/servers.ts";
import { buildMixedData } from "./lib/snapshot-data.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), "imds-snapbench-"));

function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";
}

async function waitReady(port: number, ms: number): Promise<RespConn> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const c = await RespConn.open(port);
      for (;;) {
        const r = await c.call("PING");
        if (r === "PONG") return c;
        if (Date.now() > deadline) throw new Error("not ready");
        await Bun.sleep(50);
      }
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await Bun.sleep(50);
    }
  }
}

function rssKb(pid: number): number {
  const s = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
}

async function timed(c: RespConn, ...args: (string | number)[]): Promise<number> {
  const t = performance.now();
  const [r] = await c.pipeline([args], 600_000);
  if (r!.bytes[0] !== 43) throw new Error(`${args[0]}: ${new TextDecoder().decode(r!.bytes)}`);
  return performance.now() - t;
}

/**
 * One client writing at P1 while another starts a background job (BGSAVE by default) and
 * polls INFO until `doneField` is 0; latencies during the job.
 */
async function latencyDuringBgsave(
  port: number,
  pid: number,
  cmd: string[] = ["BGSAVE"],
  doneField = "rdb_bgsave_in_progress",
) {
  const w = await RespConn.open(port);
  const ctl = await RespConn.open(port);
  const base: number[] = [];
  const during: number[] = [];
  let saving = false;
  let stop = false;
  let rssPeak = 0;
  const writer = (async () => {
    let i = 0;
    while (!stop) {
      const t = performance.now();
      await w.call("SET", `key:${(i * 7919) % N}`, `w${i}`);
      const dt = performance.now() - t;
      (saving ? during : base).push(dt);
      i++;
    }
  })();
  await Bun.sleep(1000);
  // from the job's start (it used to be taken before the writer's first second, whose new
  // keys and garbage then counted as the job's)
  const rss0 = rssKb(pid);
  saving = true;
  const t0 = performance.now();
  const reply = await ctl.call(...cmd);
  if (typeof reply !== "string") throw new Error(`${cmd.join(" ")}: ${String(reply)}`);
  for (let k = 0; k < 6000; k++) {
    const info = (await ctl.values([["INFO", "persistence"]], 60000))[0] as string;
    rssPeak = Math.max(rssPeak, rssKb(pid));
    if (field(info, doneField) === "0" && field(info, "aof_rewrite_scheduled") !== "1") break;
    await Bun.sleep(20);
  }
  const saveMs = performance.now() - t0;
  // the writer's request in flight is part of the job (a foreground job blocks exactly it)
  stop = true;
  await writer;
  saving = false;
  const info = (await ctl.call("INFO", "persistence")) as string;
  w.close();
  ctl.close();
  const pct = (a: number[], p: number) => {
    const s = [...a].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
  };
  return {
    saveMs,
    writes: during.length,
    baseP99: pct(base, 0.99),
    p99: pct(during, 0.99),
    max: Math.max(...during),
    cowBytes: Number(
      field(
        info,
        doneField === "rdb_bgsave_in_progress" ? "rdb_last_cow_size" : "aof_last_cow_size",
      ),
    ),
    status: field(
      info,
      doneField === "rdb_bgsave_in_progress"
        ? "rdb_last_bgsave_status"
        : "aof_last_bgrewrite_status",
    ),
    rssGrowKb: rssPeak - rss0,
  };
}

const AOF_DONE = "aof_rewrite_in_progress";
/** AOF phases on a server holding the data: switched on at runtime, BGREWRITEAOF with an RDB
 * preamble base, BGREWRITEAOF with an AOF-format base (aof-use-rdb-preamble no). */
async function aofPhases(port: number, pid: number, c: RespConn) {
  const on = await latencyDuringBgsave(port, pid, ["CONFIG", "SET", "appendonly", "yes"], AOF_DONE);
  const rdbBase = await latencyDuringBgsave(port, pid, ["BGREWRITEAOF"], AOF_DONE);
  await c.call("CONFIG", "SET", "aof-use-rdb-preamble", "no");
  const aofBase = await latencyDuringBgsave(port, pid, ["BGREWRITEAOF"], AOF_DONE);
  await c.call("CONFIG", "SET", "aof-use-rdb-preamble", "yes");
  await c.call("CONFIG", "SET", "appendonly", "no");
  return { on, rdbBase, aofBase };
}

// ---- build the data in redis-server ----
const redis = await startRedis([
  "--dir",
  dir,
  "--dbfilename",
  "dump.rdb",
  "--enable-debug-command",
  "yes",
]);
const rport = redis.port;
const rc = await RespConn.open(rport);
await buildMixedData(rc, rport, N, dir);
const dbsize = await rc.call("DBSIZE");
const rLat = await latencyDuringBgsave(rport, redis.proc.pid);
const rAof = await aofPhases(rport, redis.proc.pid, rc);
const rSaves = [await timed(rc, "SAVE"), await timed(rc, "SAVE"), await timed(rc, "SAVE")];
const rSave = rSaves[0]!;
const rSaveWarm = Math.min(...rSaves);
const rFile = statSync(join(dir, "dump.rdb")).size;
copyFileSync(join(dir, "dump.rdb"), join(dir, "from-redis.rdb"));
const rReload = await timed(rc, "DEBUG", "RELOAD");
rc.close();
await redis.stop();

// ---- imds: load redis's file at start, SAVE, DEBUG RELOAD, BGSAVE under a writer ----
const idir = join(dir, "imds");
require("node:fs").mkdirSync(idir);
copyFileSync(join(dir, "from-redis.rdb"), join(idir, "dump.rdb"));
const iport = freePort();
const IMDS_ROOT = process.env.IMDS_ROOT ?? ROOT;
const imds = Bun.spawn(
  ["bun", join(IMDS_ROOT, "src/main.ts"), "--port", String(iport), "--dir", idir],
  {
    stdout: "pipe",
    stderr: "pipe",
  },
);
const out: string[] = [];
void (async () => {
  for await (const chunk of imds.stdout) out.push(new TextDecoder().decode(chunk));
})();
const ic = await waitReady(iport, 120000);
const loadLine = /DB loaded from disk: ([\d.]+) seconds/.exec(out.join(""));
const iLoad = loadLine ? Number(loadLine[1]) * 1000 : Number.NaN;
const idbsize = await ic.call("DBSIZE");
await Bun.sleep(2000); // let the load's garbage go before measuring latency
const iLat = await latencyDuringBgsave(iport, imds.pid);
const iAof = await aofPhases(iport, imds.pid, ic);
const iSaves = [await timed(ic, "SAVE"), await timed(ic, "SAVE"), await timed(ic, "SAVE")];
const iSave = iSaves[0]!;
const iSaveWarm = Math.min(...iSaves);
const iFile = statSync(join(idir, "dump.rdb")).size;
const iReload = await timed(ic, "DEBUG", "RELOAD");
const slice = /longest ([\d.]+) ms/.exec(out.join(""));
console.log(`imds longest BGSAVE slice: ${slice?.[1]} ms`);
ic.close();
imds.kill();
await imds.exited;
rmSync(dir, { recursive: true, force: true });

const f = (x: number) => x.toFixed(0);
console.log(`keys: redis ${dbsize}, imds ${idbsize}`);
console.log("| | imds | redis-server | ratio |");
console.log("|---|---:|---:|---:|");
console.log(`| SAVE, first (ms) | ${f(iSave)} | ${f(rSave)} | ${(iSave / rSave).toFixed(2)} |`);
console.log(
  `| SAVE, best of 3 (ms) | ${f(iSaveWarm)} | ${f(rSaveWarm)} | ${(iSaveWarm / rSaveWarm).toFixed(2)} |`,
);
console.log(`| load at start (ms) | ${f(iLoad)} | | |`);
console.log(
  `| load, DEBUG RELOAD - best SAVE (ms) | ${f(iReload - iSaveWarm)} | ${f(rReload - rSaveWarm)} | ${((iReload - iSaveWarm) / (rReload - rSaveWarm)).toFixed(2)} |`,
);
console.log(
  `| DEBUG RELOAD (ms) | ${f(iReload)} | ${f(rReload)} | ${(iReload / rReload).toFixed(2)} |`,
);
console.log(`| file (bytes) | ${iFile} | ${rFile} | ${(iFile / rFile).toFixed(3)} |`);
console.log(`| BGSAVE duration (ms) | ${f(iLat.saveMs)} | ${f(rLat.saveMs)} | |`);
console.log(`| P1 writes during BGSAVE | ${iLat.writes} | ${rLat.writes} | |`);
console.log(
  `| p99 before BGSAVE (ms) | ${iLat.baseP99.toFixed(2)} | ${rLat.baseP99.toFixed(2)} | |`,
);
console.log(`| p99 during BGSAVE (ms) | ${iLat.p99.toFixed(2)} | ${rLat.p99.toFixed(2)} | |`);
console.log(
  `| worst pause during BGSAVE (ms) | ${iLat.max.toFixed(2)} | ${rLat.max.toFixed(2)} | |`,
);
console.log(`| rdb_last_cow_size (bytes) | ${iLat.cowBytes} | ${rLat.cowBytes} | |`);
console.log(`| RSS growth during BGSAVE (KiB) | ${iLat.rssGrowKb} | (child process) | |`);
console.log(`status: imds ${iLat.status}, redis ${rLat.status}`);
console.log("");
console.log(
  "| AOF job, P1 writer | imds duration (ms) | imds p99 (ms) | imds worst (ms) | imds aof_last_cow_size | imds RSS growth (KiB) | redis duration (ms) | redis p99 (ms) | redis worst (ms) |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
const aofRow = (name: string, i: typeof iLat, r: typeof iLat) =>
  console.log(
    `| ${name} | ${f(i.saveMs)} | ${i.p99.toFixed(2)} | ${i.max.toFixed(2)} | ${i.cowBytes} | ${i.rssGrowKb} | ${f(r.saveMs)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`,
  );
aofRow("CONFIG SET appendonly yes", iAof.on, rAof.on);
aofRow("BGREWRITEAOF (RDB preamble)", iAof.rdbBase, rAof.rdbBase);
aofRow("BGREWRITEAOF (aof-use-rdb-preamble no)", iAof.aofBase, rAof.aofBase);
console.log(
  `status: imds ${iAof.on.status}/${iAof.rdbBase.status}/${iAof.aofBase.status}, redis ${rAof.on.status}/${rAof.rdbBase.status}/${rAof.aofBase.status}`,
);
process.exit(0);
