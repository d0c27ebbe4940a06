// Bytes per key through the server: start imds and redis-server fresh (no persistence), SET N
// distinct keys (16-byte keys, 32-byte values, pipelined 1000 at a time), wait, and report the
// RSS growth per key from /proc/PID/status VmRSS and INFO used_memory.
//
//   bun bench/server-bytes-per-key.ts [keys=1000000] [imdsRoot=.]

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { freePort, type Running, startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const ROOT = resolve(process.argv[3] ?? resolve(import.meta.dir, ".."));

async function startImds(root: string): Promise<Running> {
  const port = freePort();
  const proc = Bun.spawn(
    [
      "bun",
      resolve(root, "src/main.ts"),
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { cwd: root, stdin: "ignore", stdout: "ignore", stderr: "inherit" },
  );
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

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

const VALUE = "v".repeat(32);

async function measure(name: string, s: Running): Promise<void> {
  const c = await RespConn.open(s.port);
  await Bun.sleep(1000);
  const pid = (s.proc as unknown as { pid: number }).pid;
  const rss0 = rssBytes(pid);
  const used0 = Number(parseInfo(String(await c.call("INFO", "memory"))).get("used_memory"));
  for (let i = 0; i < N; i += 1000) {
    const cmds: string[][] = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      cmds.push(["SET", `key:${String(j).padStart(12, "0")}`, VALUE]); // 16-byte key
    }
    await c.pipeline(cmds);
  }
  await Bun.sleep(1500);
  const rss1 = rssBytes(pid);
  const info = parseInfo(String(await c.call("INFO", "memory")));
  const used1 = Number(info.get("used_memory"));
  const dbsize = await c.call("DBSIZE");
  c.close();
  console.log(
    `${name}: dbsize ${dbsize}; RSS ${(rss0 / 2 ** 20).toFixed(1)} -> ${(rss1 / 2 ** 20).toFixed(1)} MiB = ${((rss1 - rss0) / N).toFixed(1)} B/key; used_memory delta ${((used1 - used0) / N).toFixed(1)} B/key`,
  );
}

const imds = await startImds(ROOT);
try {
  await measure("imds", imds);
} finally {
  await imds.stop();
}
const redis = await startRedis();
try {
  await measure("redis-server", redis);
} finally {
  await redis.stop();
}
