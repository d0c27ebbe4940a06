// Active expiry reclaim: N keys (default 1M) expiring evenly over 10 s, no traffic.
// Measures how long until used_memory is back to its baseline and the longest event-loop pause.
//
//   bun bench/expire-reclaim.ts [keys=1000000] [spreadMs=10000] [persistentKeys=0] [hz=10]
//
// Runs a real Server (listening on a free loopback port, so the cron is the real one at hz 10);
// keys are written straight into the keyspace (no clients), then the process idles. A 1 ms timer
// records how late it fires: its worst lateness is the longest pause anything caused, and the
// cycle's own longest run is reported by the sweep.

import { Config } from "../src/config.ts";
import { Server } from "../src/server/server.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const SPREAD = Number(process.argv[3] ?? 10_000);
const PERSIST = Number(process.argv[4] ?? 0);
const HZ = process.argv[5] ?? "10";
const config = new Config();
config.set("port", "0", true);
config.set("hz", HZ, true);
const server = new Server(config);
server.start();
const ks = server.keyspace;
const enc = new TextEncoder();

const baseline = server.updateMemoryStats();
const t = ks.db(0);
const v = new Uint8Array(32);
const key = new Uint8Array(16);
function put(prefix: number, i: number): number {
  const s = enc.encode(`${prefix}:${i.toString().padStart(12, "0")}`);
  key.set(s.subarray(0, 16));
  return t.upsertString(key, 0, 16, v, 0, v.length);
}
for (let i = 0; i < PERSIST; i++) put(1, i);
const withPersistent = server.updateMemoryStats();
const liveBefore = ks.arena.liveBytes;
const fillStart = Date.now();
const ids = new Int32Array(N);
for (let i = 0; i < N; i++) ids[i] = put(2, i);
// TTLs are set after the fill, so the first key expires 500 ms from now whatever the fill took.
const start = Date.now() + 500;
for (let i = 0; i < N; i++) ks.setExpire(t, ids[i]!, start + 1 + Math.floor((i * SPREAD) / N));
const filled = server.updateMemoryStats();
const fillMs = Date.now() - fillStart;
console.log(
  `hz=${HZ} keys=${N} spread=${SPREAD}ms persistent=${PERSIST} fill=${fillMs}ms used: baseline=${baseline} with-persistent=${withPersistent} filled=${filled}`,
);

let maxLate = 0;
let last = performance.now();
const probe = setInterval(() => {
  const now = performance.now();
  const late = now - last - 1;
  if (late > maxLate) maxLate = late;
  last = now;
}, 1);

const target = PERSIST > 0 ? withPersistent : baseline;
await new Promise<void>((resolve) => {
  const poll = setInterval(() => {
    const used = server.updateMemoryStats();
    const liveBack = ks.arena.liveBytes <= liveBefore;
    const elapsed = Date.now() - start;
    if (used <= target || (PERSIST > 0 && liveBack && t.count === PERSIST) || elapsed > 60_000) {
      clearInterval(poll);
      console.log(
        `back to baseline ${(elapsed / 1000).toFixed(2)} s after the first key expired, ${((elapsed - SPREAD) / 1000).toFixed(2)} s after the last: used=${used} target=${target} keys=${t.count} expired=${ks.expiredKeys}`,
      );
      resolve();
    }
  }, 10);
});
clearInterval(probe);
console.log(
  `longest event-loop pause: ${maxLate.toFixed(2)} ms; longest expire cycle: ${server.expiry.maxCycleMs.toFixed(2)} ms; cycles capped by time: ${server.expiry.timeCapReached}; cycle cpu total: ${server.expiry.cpuMs.toFixed(0)} ms`,
);
server.stop();
