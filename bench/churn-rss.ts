// RSS under churn at maxmemory: imds vs redis-server, each started fresh with
// `maxmemory <limit>` and `allkeys-lru`, then redis-benchmark SETs of random keys far beyond the
// limit, first with 1000-byte values, then 100-byte values (so the arena's pages fill with blocks
// of a size class nobody asks for any more: what compaction is for). After each phase it waits
// for the cron (compaction runs there with a bounded budget) and reads INFO memory and the RSS.
//
//   bun bench/churn-rss.ts [limitMb=64] [requests=1000000] [imdsRoot=.] [waitMs=4000]
//
// imdsRoot lets the same script measure another checkout (e.g. the commit before compaction).
// waitMs is the quiet time after each phase before the reading: compaction after the 100 B phase
// at 256mb runs ~5 s, and imds's idle collection (src/server/idle-gc.ts) comes 1 s after it.

import { resolve } from "node:path";
import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { freePort, type Running, startRedis } from "../test/helpers/servers.ts";

const LIMIT_MB = Number(process.argv[2] ?? 64);
const N = Number(process.argv[3] ?? 1_000_000);
const ROOT = resolve(process.argv[4] ?? resolve(import.meta.dir, ".."));
const WAIT_MS = Number(process.argv[5] ?? 4000);

async function startImdsAt(root: string, flags: string[]): Promise<Running> {
  const port = freePort();
  const proc = Bun.spawn(["bun", resolve(root, "src/main.ts"), "--port", String(port), ...flags], {
    cwd: root,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  for (let i = 0; i < 150; i++) {
    try {
      (await RespConn.open(port)).close();
      break;
    } catch {
      await Bun.sleep(100);
    }
  }
  return {
    host: "127.0.0.1",
    port,
    proc: proc as unknown as Running["proc"],
    output: () => "",
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function bench(port: number, d: number, n: number): Promise<void> {
  const args = ["-p", String(port), "-t", "set", "-r", "10000000", "-d", String(d)];
  const proc = Bun.spawn(
    ["redis-benchmark", ...args, "-P", "16", "-c", "50", "-n", String(n), "-q"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  await new Response(proc.stdout).text();
  await proc.exited;
}

async function mem(
  s: Running,
): Promise<{ used: number; rss: number; frag: number; allocFrag: number; keys: number }> {
  const c = await RespConn.open(s.port);
  try {
    const r = await c.call("info", "all");
    const i = parseInfo(typeof r === "string" ? r : "");
    const status = await Bun.file(`/proc/${s.proc.pid}/status`).text();
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return {
      used: Number(i.get("used_memory")) / 2 ** 20,
      rss: rssKb / 1024,
      frag: Number(i.get("mem_fragmentation_ratio")),
      allocFrag: Number(i.get("allocator_frag_ratio")),
      keys: Number(/keys=(\d+)/.exec(i.get("db0") ?? "")?.[1] ?? 0),
    };
  } finally {
    c.close();
  }
}

const flags = [
  "--maxmemory",
  `${LIMIT_MB}mb`,
  "--maxmemory-policy",
  "allkeys-lru",
  "--save",
  "",
  "--appendonly",
  "no",
];
const fmt = (x: number) => x.toFixed(1);
console.log(
  `maxmemory ${LIMIT_MB}mb allkeys-lru, ${N} SETs per phase, imds from ${ROOT}, read ${WAIT_MS} ms after each phase`,
);
console.log(
  "| server | phase | used_memory MiB | RSS MiB | RSS / maxmemory | mem_fragmentation_ratio | allocator_frag_ratio | keys |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const name of ["imds", "redis"]) {
  const s = name === "imds" ? await startImdsAt(ROOT, flags) : await startRedis(flags);
  try {
    const idle = await mem(s);
    console.log(
      `| ${name} | idle | ${fmt(idle.used)} | ${fmt(idle.rss)} | | ${idle.frag} | ${idle.allocFrag} | 0 |`,
    );
    for (const [phase, d, n] of [
      ["1000 B", 1000, N / 4],
      ["then 100 B", 100, N],
    ] as const) {
      await bench(s.port, d, n);
      await Bun.sleep(WAIT_MS); // cron ticks: compaction is incremental
      const m = await mem(s);
      console.log(
        `| ${name} | ${phase} | ${fmt(m.used)} | ${fmt(m.rss)} | ${(m.rss / LIMIT_MB).toFixed(2)} | ${m.frag} | ${m.allocFrag} | ${m.keys} |`,
      );
    }
  } finally {
    await s.stop();
  }
}
