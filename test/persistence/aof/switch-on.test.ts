// CONFIG SET appendonly yes on a running server (Redis 7.0's startAppendOnly, AOF_WAIT_REWRITE):
// the first base is a background rewrite while clients keep writing; writes go to a temp incr
// file; the manifest naming base + incr appears only when the base is complete. Checked on the
// real server process: restart from the AOF, redis-check-aof, redis-server 7.0 loading the
// directory, appendonly no mid-switch, kill -9 mid-switch (dump.rdb is what comes back).

import { afterAll, expect, test } from "bun:test";
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RespConn, type RespValue } from "../../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../../helpers/servers.ts";
import { removeDir, tempDir } from "./helpers.ts";

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

async function populate(c: RespConn, keys = KEYS): Promise<void> {
  const cmds: string[][] = [];
  for (let i = 0; i < keys; i += 1000) {
    const m = ["MSET"];
    for (let k = i; k < i + 1000; k++) m.push(`k${k}`, `value-${k}-${"x".repeat(k % 40)}`);
    cmds.push(m);
  }
  for (let i = 0; i < 100; i++) {
    cmds.push(["HSET", `h${i}`, "a", String(i)]);
    cmds.push(["ZADD", `z${i}`, "1.5", "one", String(i), "two"]);
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

async function waitSwitched(c: RespConn): Promise<Record<string, string>> {
  for (let i = 0; i < 1000; i++) {
    const f = await info(c);
    if (f.aof_rewrite_in_progress === "0" && f.aof_rewrite_scheduled === "0") return f;
    await Bun.sleep(10);
  }
  throw new Error("the switch did not end");
}

/** Every key with its value (strings: MGET; hashes and zsets read whole). */
async function dump(c: RespConn): Promise<Record<string, RespValue>> {
  const out: Record<string, RespValue> = {};
  const keys = ((await c.call("KEYS", "*")) as string[]).sort();
  const strings = keys.filter((k) => !k.startsWith("h") && !k.startsWith("z"));
  for (let i = 0; i < strings.length; i += 2000) {
    const part = strings.slice(i, i + 2000);
    const vals = (await c.call("MGET", ...part)) as RespValue[];
    part.forEach((k, j) => {
      out[k] = vals[j]!;
    });
  }
  const rest = keys.filter((k) => !(k in out));
  const vals = await c.values(
    rest.map((k) => (k.startsWith("h") ? ["HGETALL", k] : ["ZRANGE", k, "0", "-1", "WITHSCORES"])),
  );
  rest.forEach((k, i) => {
    out[k] = vals[i]!;
  });
  return out;
}

async function shutdown(s: Running, c: RespConn): Promise<void> {
  try {
    await c.pipeline([["SHUTDOWN"]], 5000);
  } catch {}
  c.close();
  await s.proc.exited;
}

const manifestPath = (dir: string) => join(dir, "appendonlydir", "appendonly.aof.manifest");

/** One round of writes of the known pattern (round i), acknowledged. */
async function round(w: RespConn, i: number): Promise<void> {
  const r = await w.values([
    ["SET", `new${i}`, `n${i}`],
    ["DEL", `k${KEYS - 1 - i}`],
    ["SET", `k${i * 7}`, `over${i}`],
    ["INCR", "counter"],
    ["HSET", `h${i % 100}`, "c", `during${i}`],
  ]);
  expect(r[0]).toBe("OK");
  expect(r[3]).toBe(i + 1);
}

test("switched on under writes: manifest only at the end; restart and redis-server load the acknowledged data", async () => {
  const dir = newDir("on");
  const srv = await startImds(["--dir", dir, "--save", ""]);
  const c = await RespConn.open(srv.port);
  await populate(c);
  expect((await info(c)).aof_enabled).toBe("0");
  expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
  const w = await RespConn.open(srv.port);
  let during = 0;
  let i = 0;
  for (; i < 5000; i++) {
    await round(w, i);
    // looked at before INFO: if the switch is still running after, these held while it ran
    const manifest = existsSync(manifestPath(dir));
    const files = readdirSync(join(dir, "appendonlydir"));
    const f = await info(c);
    if (f.aof_rewrite_in_progress !== "1") break;
    during++;
    expect(f.aof_enabled).toBe("1"); // Redis: aof_state != AOF_OFF
    expect(manifest).toBe(false);
    expect(files).toContain("temp-appendonly.aof.incr");
  }
  console.log(`${during} write rounds acknowledged while the first base was written`);
  expect(during).toBeGreaterThan(2);
  const f = await waitSwitched(c);
  expect(f.aof_enabled).toBe("1");
  expect(f.aof_last_bgrewrite_status).toBe("ok");
  expect(readFileSync(manifestPath(dir), "latin1").trim().split("\n")).toEqual([
    "file appendonly.aof.1.base.rdb seq 1 type b",
    "file appendonly.aof.1.incr.aof seq 1 type i",
  ]);
  const d = join(dir, "appendonlydir");
  expect(readdirSync(d).sort()).toEqual([
    "appendonly.aof.1.base.rdb",
    "appendonly.aof.1.incr.aof",
    "appendonly.aof.manifest",
  ]);
  for (let j = i + 1; j < i + 20; j++) await round(w, j); // after the switch: the incr file
  const want = await dump(c);
  expect(want.counter).toBe(String(i + 20));
  w.close();
  await shutdown(srv, c);
  const again = await startImds(["--dir", dir, "--appendonly", "yes", "--save", ""]);
  const c2 = await RespConn.open(again.port);
  expect(await dump(c2)).toEqual(want);
  await shutdown(again, c2);

  const check = Bun.spawn(["redis-check-aof", manifestPath(dir)], { stdout: "pipe" });
  expect(await new Response(check.stdout).text()).toContain("All AOF files and manifest are valid");
  await check.exited;
  if (redisMissing("loading a switched-on imds AOF into redis-server")) return;
  const copy = newDir("on-redis");
  cpSync(d, join(copy, "appendonlydir"), { recursive: true });
  const redis = await startRedis(["--appendonly", "yes", "--dir", copy]);
  const r = await RespConn.open(redis.port);
  expect(await dump(r)).toEqual(want);
  r.close();
  await redis.stop();
}, 60000);

test("CONFIG SET appendonly no mid-switch cancels it (no manifest, no temp files); SHUTDOWN waits for the base", async () => {
  const dir = newDir("on-cancel");
  const srv = await startImds(["--dir", dir, "--save", ""]);
  const c = await RespConn.open(srv.port);
  await populate(c);
  expect(
    await c.values([
      ["CONFIG", "SET", "appendonly", "yes"],
      ["INFO", "persistence"],
    ]),
  ).toEqual(["OK", expect.stringContaining("aof_rewrite_in_progress:1")]);
  // Redis 7.0: no SHUTDOWN while the first base is being written (the data would be lost)
  expect(await c.call("SHUTDOWN")).toEqual(
    expect.objectContaining({ message: "ERR Errors trying to SHUTDOWN. Check logs." }),
  );
  await c.call("SET", "mid", "1");
  expect(await c.call("CONFIG", "SET", "appendonly", "no")).toBe("OK");
  const f = await info(c);
  expect(f.aof_enabled).toBe("0");
  expect(f.aof_rewrite_in_progress).toBe("0");
  await Bun.sleep(100); // the aborted job's temp file is unlinked
  expect(readdirSync(join(dir, "appendonlydir"))).toEqual([]);
  // switched on again: completes, and the data is all there after a restart
  expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
  await c.call("SET", "mid2", "2");
  await waitSwitched(c);
  expect(existsSync(manifestPath(dir))).toBe(true);
  const want = await dump(c);
  await shutdown(srv, c);
  const again = await startImds(["--dir", dir, "--appendonly", "yes", "--save", ""]);
  const c2 = await RespConn.open(again.port);
  expect(await dump(c2)).toEqual(want);
  expect(want.mid).toBe("1");
  await shutdown(again, c2);
}, 60000);

test("kill -9 mid-switch: no AOF, dump.rdb comes back; after the switch acknowledged writes survive", async () => {
  const dir = newDir("on-kill");
  const srv = await startImds(["--dir", dir, "--save", "", "--appendfsync", "always"]);
  const c = await RespConn.open(srv.port);
  await populate(c);
  await c.call("SET", "counter", "0");
  expect(await c.call("SAVE")).toBe("OK");
  const saved = await dump(c);
  expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
  let mid = 0;
  for (let i = 0; i < 3; i++) {
    await c.values([["INCR", "counter"]]);
    if ((await info(c)).aof_rewrite_in_progress === "1") mid++;
  }
  expect(mid).toBe(3); // killed while the base is written
  srv.proc.kill(9);
  await srv.proc.exited;
  c.close();
  expect(existsSync(manifestPath(dir))).toBe(false);
  // restart as before the switch (appendonly no in the config): dump.rdb is loaded
  const s2 = await startImds(["--dir", dir, "--save", "", "--appendfsync", "always"]);
  const c2 = await RespConn.open(s2.port);
  expect(await dump(c2)).toEqual(saved);
  // now let a switch complete, write, and kill -9: every acknowledged INCR is in the AOF
  expect(await c2.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
  await waitSwitched(c2);
  let acked = 0;
  for (let i = 0; i < 200; i++) acked = (await c2.values([["INCR", "counter"]]))[0] as number;
  s2.proc.kill(9);
  await s2.proc.exited;
  c2.close();
  const s3 = await startImds(["--dir", dir, "--appendonly", "yes", "--save", ""]);
  const c3 = await RespConn.open(s3.port);
  expect(Number(await c3.call("GET", "counter"))).toBe(acked);
  expect(await c3.call("DBSIZE")).toBe(Object.keys(saved).length);
  await shutdown(s3, c3);
}, 60000);
