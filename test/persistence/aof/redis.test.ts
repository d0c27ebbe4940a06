// AOF directories move both ways between imds and redis-server 7.0: imds's files pass
// redis-check-aof and load into redis-server with the same data, and a directory written by
// redis-server (AOF-format base: --aof-use-rdb-preamble no) loads into imds.

import { afterAll, expect, test } from "bun:test";
import { Prng } from "../../helpers/prng.ts";
import { RespConn, type RespValue } from "../../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../../helpers/servers.ts";
import { aofFiles, removeDir, tempDir } from "./helpers.ts";

const skip = redisMissing("AOF interop with redis-server");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

/** A mix of writes over strings, numbers, TTLs, sorted sets and four databases. */
function workload(seed: number, n: number): string[][] {
  const r = new Prng(seed);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = `k${r.int(60)}`;
    switch (r.int(12)) {
      case 0:
        out.push(["SELECT", String(r.int(4))]);
        break;
      case 1:
        out.push(["SET", k, `v${i}`, "EX", String(100 + r.int(1000))]);
        break;
      case 2:
        out.push(["SETEX", k, String(50 + r.int(100)), `s${i}`]);
        break;
      case 3:
        out.push(["INCRBY", `n${r.int(10)}`, String(r.int(100) - 50)]);
        break;
      case 4:
        out.push(["INCRBYFLOAT", `f${r.int(5)}`, "1.25"]);
        break;
      case 5:
        out.push(["ZADD", `z${r.int(5)}`, String(r.int(1000) / 8), `m${r.int(200)}`]);
        break;
      case 6:
        out.push(["ZINCRBY", `z${r.int(5)}`, "2", `m${r.int(200)}`]);
        break;
      case 7:
        out.push(["EXPIRE", k, String(200 + r.int(1000))]);
        break;
      case 8:
        out.push(["DEL", k]);
        break;
      case 9:
        out.push(["APPEND", `a${r.int(10)}`, `-${i}`]);
        break;
      case 10:
        out.push(["PERSIST", k]);
        break;
      default:
        out.push(["SET", k, `plain${i}`]);
    }
  }
  return out;
}

/** Every key of databases 0..3: type, value and absolute expiry (PEXPIRETIME). */
async function dump(c: RespConn): Promise<Record<string, RespValue>> {
  const out: Record<string, RespValue> = {};
  for (let db = 0; db < 4; db++) {
    await c.call("SELECT", String(db));
    const keys = ((await c.call("KEYS", "*")) as string[]).sort();
    for (const k of keys) {
      const type = (await c.call("TYPE", k)) as string;
      const value =
        type === "zset"
          ? await c.call("ZRANGE", k, "0", "-1", "WITHSCORES")
          : await c.call("GET", k);
      out[`${db}/${k}`] = [type, value, await c.call("PEXPIRETIME", k)];
    }
  }
  return out;
}

async function run(c: RespConn, cmds: string[][]): Promise<void> {
  for (let i = 0; i < cmds.length; i += 200) await c.values(cmds.slice(i, i + 200));
}

async function shutdown(s: Running, c: RespConn): Promise<void> {
  try {
    await c.pipeline([["SHUTDOWN"]], 5000);
  } catch {}
  c.close();
  await s.proc.exited;
}

async function checkAof(dir: string): Promise<string> {
  const { dir: d } = aofFiles(dir);
  const p = Bun.spawn(["redis-check-aof", `${d}/appendonly.aof.manifest`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  return text;
}

test.skipIf(skip)(
  "imds's AOF directory passes redis-check-aof and loads into redis-server",
  async () => {
    const dir = tempDir("to-redis");
    dirs.push(dir);
    const imds = await startImds(["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"]);
    const c = await RespConn.open(imds.port);
    const cmds = workload(1, 3000);
    await run(c, cmds.slice(0, 1500));
    expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    await run(c, cmds.slice(1500));
    const want = await dump(c);
    expect(Object.keys(want).length).toBeGreaterThan(50);
    await shutdown(imds, c);
    expect(await checkAof(dir)).toContain("All AOF files and manifest are valid");
    const redis = await startRedis(["--dir", dir, "--appendonly", "yes"]);
    const r = await RespConn.open(redis.port);
    expect(await dump(r)).toEqual(want);
    r.close();
    await redis.stop();
  },
  60000,
);

async function fromRedis(preamble: "yes" | "no"): Promise<void> {
  const dir = tempDir(`from-redis-${preamble}`);
  dirs.push(dir);
  const redis = await startRedis([
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--aof-use-rdb-preamble",
    preamble,
  ]);
  const r = await RespConn.open(redis.port);
  const cmds = workload(2, 3000);
  await run(r, cmds.slice(0, 1500));
  await r.call("BGREWRITEAOF");
  for (let i = 0; i < 200; i++) {
    const info = (await r.call("INFO", "persistence")) as string;
    if (info.includes("aof_rewrite_in_progress:0") && info.includes("aof_rewrite_scheduled:0"))
      break;
    await Bun.sleep(25);
  }
  await run(r, cmds.slice(1500));
  const want = await dump(r);
  expect(Object.keys(want).length).toBeGreaterThan(50);
  await shutdown(redis, r);
  const f = aofFiles(dir);
  expect(f.base).toMatch(preamble === "no" ? /\.base\.aof$/ : /\.base\.rdb$/);
  const imds = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c = await RespConn.open(imds.port);
  expect(await dump(c)).toEqual(want);
  c.close();
  await imds.stop();
}

test.skipIf(skip)(
  "a redis-server AOF directory (AOF-format base) loads into imds",
  async () => {
    await fromRedis("no");
  },
  60000,
);

test.skipIf(skip)(
  "a redis-server AOF directory with its default RDB base loads into imds",
  async () => {
    await fromRedis("yes");
  },
  60000,
);

test.skipIf(skip)(
  "INFO persistence has redis-server 7.0's fields in its order (AOF on)",
  async () => {
    const names = async (port: number) => {
      const c = await RespConn.open(port);
      const info = (await c.call("INFO", "persistence")) as string;
      c.close();
      return info
        .split("\r\n")
        .filter((l) => l.includes(":"))
        .map((l) => l.slice(0, l.indexOf(":")));
    };
    const d1 = tempDir("info-imds");
    const d2 = tempDir("info-redis");
    dirs.push(d1, d2);
    const imds = await startImds(["--dir", d1, "--appendonly", "yes"]);
    const redis = await startRedis(["--dir", d2, "--appendonly", "yes"]);
    try {
      expect(await names(imds.port)).toEqual(await names(redis.port));
    } finally {
      await imds.stop();
      await redis.stop();
    }
  },
  30000,
);
