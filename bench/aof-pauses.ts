// Issue #18's AOF jobs on a server holding a snapshot, with a P1 SET writer (docs/BENCHMARKS.md,
// "AOF jobs' pauses"):  bun bench/aof-pauses.ts <dump.rdb> [rounds=1]   (IMDS_ROOT=<checkout>)
// The jobs of bench/snapshot.ts without its redis-server half: BGSAVE, CONFIG SET appendonly
// yes, BGREWRITEAOF (RDB preamble), BGREWRITEAOF (aof-use-rdb-preamble no); per job the
// writer's worst and p99, aof_last_cow_size, and the server's own log line (longest slice and
// every event-loop step over 5 ms).

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConn } from "../test/helpers/resp.ts";
import { freePort, ROOT } from "../test/helpers/servers.ts";

const file = process.argv[2];
if (!file) throw new Error("usage: bun bench/aof-pauses.ts <dump.rdb> [rounds]");
const rounds = Number(process.argv[3] ?? 1);
const field = (info: string, name: string) =>
  new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";

async function job(port: number, cmd: string[], doneField: string, cowField: string) {
  const w = await RespConn.open(port);
  const ctl = await RespConn.open(port);
  const during: number[] = [];
  let stop = false;
  let on = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      const t = performance.now();
      await w.call("SET", `key:${(i * 7919) % 1000000}`, `w${i}`);
      if (on) during.push(performance.now() - t);
    }
  })();
  await Bun.sleep(1000);
  on = true;
  const t0 = performance.now();
  await ctl.call(...cmd);
  for (let k = 0; k < 6000; k++) {
    const info = (await ctl.values([["INFO", "persistence"]], 60000))[0] as string;
    if (field(info, doneField) === "0" && field(info, "aof_rewrite_scheduled") !== "1") break;
    await Bun.sleep(20);
  }
  const ms = performance.now() - t0;
  stop = true;
  await writer;
  const info = (await ctl.call("INFO", "persistence")) as string;
  w.close();
  ctl.close();
  during.sort((a, b) => a - b);
  return {
    ms,
    worst: during[during.length - 1] ?? 0,
    p99: during[Math.floor(during.length * 0.99)] ?? 0,
    cow: Number(field(info, cowField)),
  };
}

const IMDS_ROOT = process.env.IMDS_ROOT ?? ROOT;
for (let round = 0; round < rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), "imds-aofpauses-"));
  mkdirSync(join(dir, "d"));
  copyFileSync(file, join(dir, "d", "dump.rdb"));
  const port = freePort();
  const p = Bun.spawn(
    ["bun", join(IMDS_ROOT, "src/main.ts"), "--port", String(port), "--dir", join(dir, "d")],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out: string[] = [];
  void (async () => {
    for await (const chunk of p.stdout) out.push(new TextDecoder().decode(chunk));
  })();
  let c: RespConn | null = null;
  for (let i = 0; i < 1200 && c === null; i++) {
    try {
      const x = await RespConn.open(port);
      if ((await x.call("PING")) === "PONG") c = x;
      else x.close();
    } catch {
      await Bun.sleep(100);
    }
  }
  if (c === null) throw new Error("imds did not start");
  await Bun.sleep(2000);
  const up = require("node:fs").readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  const rows: [string, Awaited<ReturnType<typeof job>>][] = [];
  // PHASES=aof: only the switch and the AOF-format base
  const all = process.env.PHASES !== "aof";
  if (all)
    rows.push([
      "BGSAVE",
      await job(port, ["BGSAVE"], "rdb_bgsave_in_progress", "rdb_last_cow_size"),
    ]);
  const A = "aof_rewrite_in_progress";
  const C = "aof_last_cow_size";
  rows.push(["appendonly yes", await job(port, ["CONFIG", "SET", "appendonly", "yes"], A, C)]);
  if (all) rows.push(["BGREWRITEAOF rdb", await job(port, ["BGREWRITEAOF"], A, C)]);
  await c.call("CONFIG", "SET", "aof-use-rdb-preamble", "no");
  rows.push(["BGREWRITEAOF aof", await job(port, ["BGREWRITEAOF"], A, C)]);
  await c.call("CONFIG", "SET", "aof-use-rdb-preamble", "yes");
  await c.call("CONFIG", "SET", "appendonly", "no");
  c.close();
  console.log(`round ${round + 1}, load average ${up}`);
  for (const [name, r] of rows)
    console.log(
      `${name.padEnd(18)} ${r.ms.toFixed(0).padStart(6)} ms  worst ${r.worst.toFixed(2).padStart(7)}  p99 ${r.p99.toFixed(2).padStart(5)}  cow ${(r.cow / 1e6).toFixed(1)} MB`,
    );
  for (const line of out.join("").split("\n"))
    if (/terminated with success/.test(line)) console.log(`  ${line.replace(/^.*?\* /, "")}`);
  p.kill();
  await p.exited;
  rmSync(dir, { recursive: true, force: true });
}
