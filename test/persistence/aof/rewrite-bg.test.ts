// BGREWRITEAOF in the background (Redis 7.0's rewrite) on the real server process: a new incr
// file takes the writes at once, the base is a point-in-time RDB walk in time slices while
// clients keep writing, then the manifest names the new base + new incr and the old files go.
// Checked by restarting on the same directory, by redis-check-aof, by loading the directory
// into redis-server 7.0, by kill -9 during rewrites, and by the automatic rewrite rule.

import { afterAll, expect, test } from "bun:test";
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RespConn, type RespValue } from "../../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../../helpers/servers.ts";
import { aofFiles, removeDir, tempDir } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

function newDir(tag: string): string {
  const d = tempDir(tag);
  dirs.push(d);
  return d;
}

const KEYS = 60_000;

/** KEYS string keys (MSET batches), plus hashes, sets, sorted sets with TTLs. */
async function populate(c: RespConn, keys = KEYS): Promise<void> {
  const cmds: string[][] = [];
  for (let i = 0; i < keys; i += 1000) {
    const m = ["MSET"];
    for (let k = i; k < i + 1000; k++) m.push(`k${k}`, `value-${k}-${"x".repeat(k % 40)}`);
    cmds.push(m);
  }
  for (let i = 0; i < 200; i++) {
    cmds.push(["HSET", `h${i}`, "a", String(i), "b", `bee${i}`]);
    cmds.push(["SADD", `s${i}`, "x", "y", String(i)]);
    cmds.push(["ZADD", `z${i}`, "1.5", "one", String(i), "two"]);
    cmds.push(["RPUSH", `l${i}`, "p", "q", String(i)]);
    cmds.push(["PEXPIREAT", `h${i}`, String(Date.now() + 3_600_000 + i)]);
  }
  await c.values(cmds, 30000);
}

async function info(c: RespConn): Promise<Record<string, string>> {
  const text = (await c.call("INFO", "persistence")) as string;
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function waitRewriteDone(c: RespConn): Promise<Record<string, string>> {
  for (let i = 0; i < 400; i++) {
    const f = await info(c);
    if (f.aof_rewrite_in_progress === "0" && f.aof_rewrite_scheduled === "0") return f;
    await Bun.sleep(10);
  }
  throw new Error("rewrite did not end");
}

/** Everything: sorted keys with type, value and PEXPIRETIME (MGET for the string keys). */
async function dump(c: RespConn): Promise<Record<string, RespValue>> {
  const out: Record<string, RespValue> = {};
  const keys = ((await c.call("KEYS", "*")) as string[]).sort();
  const strings = keys.filter((k) => k.startsWith("k") || k.startsWith("new"));
  for (let i = 0; i < strings.length; i += 2000) {
    const part = strings.slice(i, i + 2000);
    const vals = (await c.call("MGET", ...part)) as RespValue[];
    part.forEach((k, j) => {
      out[k] = vals[j]!;
    });
  }
  const rest = keys.filter((k) => !(k in out));
  const types = (await c.values(rest.map((k) => ["TYPE", k]))) as string[];
  const reads = rest.map((k, i) => {
    const t = types[i];
    if (t === "hash") return ["HGETALL", k];
    if (t === "set") return ["SMEMBERS", k];
    if (t === "zset") return ["ZRANGE", k, "0", "-1", "WITHSCORES"];
    if (t === "string") return ["GET", k];
    return ["LRANGE", k, "0", "-1"];
  });
  const vals = await c.values(reads);
  const ttls = await c.values(rest.map((k) => ["PEXPIRETIME", k]));
  rest.forEach((k, i) => {
    const t = types[i]!;
    const v = vals[i] as string[];
    out[k] = [t, t === "set" ? [...v].sort() : t === "hash" ? hashSorted(v) : v, ttls[i]!];
  });
  return out;
}

/** HGETALL's field/value pairs in field order (field order differs between servers). */
function hashSorted(v: string[]): string[] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < v.length; i += 2) pairs.push([v[i]!, v[i + 1]!]);
  return pairs.sort((x, y) => (x[0] < y[0] ? -1 : 1)).flat();
}

async function shutdown(s: Running, c: RespConn): Promise<void> {
  try {
    await c.pipeline([["SHUTDOWN"]], 5000);
  } catch {}
  c.close();
  await s.proc.exited;
}

function manifestLines(dir: string): string[] {
  return readFileSync(join(dir, "appendonlydir", "appendonly.aof.manifest"), "latin1")
    .trim()
    .split("\n");
}

test("writes go on during a background rewrite (RDB base); the data loads back equal", async () => {
  const dir = newDir("bg");
  const srv = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c = await RespConn.open(srv.port);
  await populate(c);
  expect(manifestLines(dir)).toEqual([
    "file appendonly.aof.1.base.aof seq 1 type b",
    "file appendonly.aof.1.incr.aof seq 1 type i",
  ]);
  expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
  // Writes during the rewrite: new keys, deletes and overwrites of keys the walk has not reached.
  const w = await RespConn.open(srv.port);
  let sawManifest: string[] = [];
  let inProgress = 0;
  for (let i = 0; i < 2000; i++) {
    const r = await w.values([
      ["SET", `new${i}`, `n${i}`],
      ["DEL", `k${KEYS - 1 - i}`],
      ["SET", `k${i * 7}`, `over${i}`],
      ["HSET", `h${i % 200}`, "c", `during${i}`],
    ]);
    expect(r[0]).toBe("OK");
    const f = await info(c);
    if (f.aof_rewrite_in_progress !== "1") break;
    inProgress++;
    if (i === 0) {
      sawManifest = manifestLines(dir);
      expect(await c.call("BGREWRITEAOF")).toEqual(
        expect.objectContaining({
          message: "ERR Background append only file rewriting already in progress",
        }),
      );
    }
  }
  // The walk took several slices, with client writes served between them.
  console.log(`${inProgress} write rounds acknowledged while the rewrite ran`);
  expect(inProgress).toBeGreaterThan(2);
  expect(sawManifest).toEqual([
    "file appendonly.aof.1.base.aof seq 1 type b",
    "file appendonly.aof.1.incr.aof seq 1 type i",
    "file appendonly.aof.2.incr.aof seq 2 type i",
  ]);
  const f = await waitRewriteDone(c);
  expect(f.aof_rewrites).toBe("1");
  expect(f.aof_last_bgrewrite_status).toBe("ok");
  expect(f.aof_current_rewrite_time_sec).toBe("-1");
  expect(manifestLines(dir)).toEqual([
    "file appendonly.aof.2.base.rdb seq 2 type b",
    "file appendonly.aof.2.incr.aof seq 2 type i",
  ]);
  const d = join(dir, "appendonlydir");
  // the old files are unlinked in the thread pool after the manifest switch
  for (let i = 0; i < 200 && readdirSync(d).length > 3; i++) await Bun.sleep(10);
  expect(readdirSync(d).sort()).toEqual([
    "appendonly.aof.2.base.rdb",
    "appendonly.aof.2.incr.aof",
    "appendonly.aof.manifest",
  ]);
  const base = readFileSync(join(d, "appendonly.aof.2.base.rdb"));
  expect(base.subarray(0, 5).toString()).toBe("REDIS");
  expect(base.includes(Buffer.from("\x08aof-base\xc0\x01", "latin1"))).toBe(true);
  expect(Number(f.aof_base_size)).toBe(base.length);
  expect(Number(f.aof_current_size)).toBeGreaterThan(base.length);
  // more writes after the rewrite, then restart on the same directory
  await w.call("SET", "after", "1");
  await w.call("DEL", "k3");
  const want = await dump(c);
  expect(want.new0).toBe("n0");
  expect(want[`k${KEYS - 1}`]).toBeUndefined();
  w.close();
  await shutdown(srv, c);
  const again = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c2 = await RespConn.open(again.port);
  expect(await dump(c2)).toEqual(want);
  await shutdown(again, c2);

  // redis-check-aof accepts it, and redis-server 7.0 loads the same data from a copy.
  const check = Bun.spawn(["redis-check-aof", join(d, "appendonly.aof.manifest")], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await new Response(check.stdout).text()).toContain("All AOF files and manifest are valid");
  await check.exited;
  if (redisMissing("loading a rewritten imds AOF into redis-server")) return;
  const copy = newDir("bg-redis");
  cpSync(d, join(copy, "appendonlydir"), { recursive: true });
  const redis = await startRedis([
    "--appendonly",
    "yes",
    "--dir",
    copy,
    "--appenddirname",
    "appendonlydir",
  ]);
  const r = await RespConn.open(redis.port);
  expect(await dump(r)).toEqual(want);
  r.close();
  await redis.stop();
}, 30000);

test("aof-use-rdb-preamble no: an AOF-format base; BGREWRITEAOF during a BGSAVE is scheduled", async () => {
  const dir = newDir("bg-aof");
  const srv = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c = await RespConn.open(srv.port);
  await populate(c, 20_000);
  expect(await c.call("CONFIG", "SET", "aof-use-rdb-preamble", "no")).toBe("OK");
  expect(await c.call("BGSAVE")).toBe("Background saving started");
  expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting scheduled");
  expect((await info(c)).aof_rewrite_scheduled).toBe("1");
  await c.call("SET", "while-scheduled", "1");
  const f = await waitRewriteDone(c);
  expect(f.aof_rewrites).toBe("1");
  expect(manifestLines(dir)).toEqual([
    "file appendonly.aof.2.base.aof seq 2 type b",
    "file appendonly.aof.2.incr.aof seq 2 type i",
  ]);
  const want = await dump(c);
  await shutdown(srv, c);
  const again = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c2 = await RespConn.open(again.port);
  expect(await dump(c2)).toEqual(want);
  await shutdown(again, c2);
}, 20000);

test("kill -9 during rewrites: nothing acknowledged is lost (3 cycles)", async () => {
  const dir = newDir("bg-kill");
  const flags = ["--dir", dir, "--appendonly", "yes"];
  let acked = 0; // counter INCRs acknowledged, and SET seq:<n> for each
  let killedMidRewrite = 0;
  for (let cycle = 0; cycle < 3; cycle++) {
    const srv = await startImds(flags);
    const c = await RespConn.open(srv.port);
    const n = Number((await c.call("GET", "counter")) ?? 0);
    // the one in-flight INCR may or may not have been applied
    expect(n === acked || n === acked + 1).toBe(true);
    acked = n;
    expect(await c.call("GET", `seq:${n}`)).toBe(n === 0 ? null : String(n));
    if (cycle === 0) await populate(c, 30_000);
    expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    const kill = 3 + cycle * 5;
    for (let i = 0; i < 10_000; i++) {
      const [v] = await c.values([["INCR", "counter"]]);
      await c.call("SET", `seq:${v}`, String(v));
      acked = Number(v);
      if (i === kill) {
        if ((await info(c)).aof_rewrite_in_progress === "1") killedMidRewrite++;
        break;
      }
    }
    srv.proc.kill(9);
    await srv.proc.exited;
    c.close();
  }
  expect(killedMidRewrite).toBeGreaterThan(0);
  const srv = await startImds(flags);
  const c = await RespConn.open(srv.port);
  expect(Number(await c.call("GET", "counter"))).toBe(acked);
  expect(await c.call("DBSIZE")).toBeGreaterThan(30_000);
  await shutdown(srv, c);
}, 30000);

test("automatic rewrite past auto-aof-rewrite-min-size and -percentage", async () => {
  const dir = newDir("bg-auto");
  const srv = await startImds([
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--auto-aof-rewrite-min-size",
    "200kb",
    "--auto-aof-rewrite-percentage",
    "100",
  ]);
  const c = await RespConn.open(srv.port);
  await c.call("SET", "small", "1");
  await Bun.sleep(250); // a few cron ticks: under min-size, no rewrite
  expect((await info(c)).aof_rewrites).toBe("0");
  const big = "v".repeat(1000);
  for (let i = 0; i < 300; i++) await c.values([["SET", `a${i % 50}`, big]]);
  let f = await info(c);
  for (let i = 0; i < 200 && f.aof_rewrites === "0"; i++) {
    await Bun.sleep(20);
    f = await info(c);
  }
  f = await waitRewriteDone(c);
  expect(f.aof_rewrites).toBe("1");
  // the base holds 51 keys: far under the 300 KB of commands that triggered it
  const base = Number(f.aof_base_size);
  expect(base).toBeLessThan(100_000);
  expect(existsSync(join(dir, "appendonlydir", "appendonly.aof.2.base.rdb"))).toBe(true);
  // growth under 100% of the new base (and under min-size): no second rewrite
  await Bun.sleep(250);
  expect((await info(c)).aof_rewrites).toBe("1");
  const files = aofFiles(dir);
  expect(files.incr.length).toBe(1);
  await shutdown(srv, c);
}, 20000);

test("FLUSHALL during a BGSAVE or a rewrite finishes the walk first; the server keeps serving", async () => {
  const dir = newDir("bg-flush");
  const srv = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c = await RespConn.open(srv.port);
  for (const cmd of ["BGSAVE", "BGREWRITEAOF"]) {
    await populate(c, 20_000);
    // same batch: the FLUSHALL runs before the first slice (a walk finished by the guard)
    const r = await c.values([[cmd], ["FLUSHALL"], ["SET", `after-${cmd}`, "1"]], 5000);
    expect(r[1]).toBe("OK");
    expect(await c.values([["PING"]], 3000)).toEqual(["PONG"]);
  }
  const f = await waitRewriteDone(c);
  expect(f.aof_rewrites).toBe("1");
  expect(f.rdb_last_bgsave_status).toBe("ok");
  const want = await dump(c);
  // the second FLUSHALL removed the first round's key too
  expect(want).toEqual({ "after-BGREWRITEAOF": ["string", "1", -1] });
  await shutdown(srv, c);
  const again = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const c2 = await RespConn.open(again.port);
  expect(await dump(c2)).toEqual(want);
  await shutdown(again, c2);
}, 20000);
