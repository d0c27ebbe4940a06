// everysec's loss window for a machine crash, measured: under a steady SET load (redis-benchmark,
// 50 clients), how old the oldest acknowledged-but-not-fsynced byte gets. Samples the AOF's
// written/fsynced offsets every 2 ms in process; the window is, at each sample, now minus the
// time the first unsynced byte was written.
//
//   bun bench/aof-window.ts [seconds]

import { Config } from "../src/config.ts";
import { Server } from "../src/server/server.ts";
import { removeDir, tempDir } from "../test/persistence/aof/helpers.ts";

const SECONDS = Number(process.argv[2] ?? 6);
const dir = tempDir("window");
const c = new Config();
for (const [k, v] of Object.entries({ port: "0", dir, appendonly: "yes", appendfsync: "everysec" }))
  c.set(k, v, true);
const s = new Server(c);
s.log.setLevel("warning");
s.start();
// (private offsets, read for the measurement only)
const aof = s.aof as unknown as { writtenEnd: number; syncedEnd: number };
const writes: [number, number][] = []; // [time, writtenEnd] when writtenEnd moved
let worst = 0;
const lags: number[] = [];
const timer = setInterval(() => {
  const now = performance.now();
  const last = writes[writes.length - 1];
  if (last === undefined || last[1] !== aof.writtenEnd) writes.push([now, aof.writtenEnd]);
  // the first sample whose writtenEnd passed syncedEnd: when the oldest unsynced byte was written
  while (writes.length > 1 && writes[1]![1] <= aof.syncedEnd) writes.shift();
  const first = writes[0]!;
  if (aof.writtenEnd > aof.syncedEnd && first[1] <= aof.syncedEnd && writes[1] !== undefined) {
    const lag = now - writes[1][0];
    lags.push(lag);
    if (lag > worst) worst = lag;
  }
}, 2);
const p = Bun.spawn(
  ["redis-benchmark", "-p", String(s.port), "-c", "50", "-r", "100000", "-n", "100000000"].concat([
    "-t",
    "set",
    "-q",
  ]),
  { stdout: "ignore", stderr: "ignore" },
);
await Bun.sleep(SECONDS * 1000);
p.kill();
await p.exited;
clearInterval(timer);
lags.sort((a, b) => a - b);
const q = (f: number) => (lags[Math.floor(f * (lags.length - 1))] ?? 0).toFixed(0);
console.log(
  `everysec, ${SECONDS} s of SET load: unsynced-data age p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${worst.toFixed(0)} ms; ` +
    `${s.stats.totalCommands} commands, ${(s.aof as unknown as { fsyncs: number }).fsyncs} fsyncs, aof_delayed_fsync ${s.aof.delayedFsync}`,
);
s.stop();
removeDir(dir);
process.exit(0);
