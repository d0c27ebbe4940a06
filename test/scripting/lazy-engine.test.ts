// The Lua VM is loaded on the first script command (docs/ARCHITECTURE.md, "Idle footprint"), on
// the real server over sockets: an idle server and every non-script command leave it unloaded
// (INFO memory's used_memory_vm_total stays 0, as there is no Lua heap); the first EVAL waits for
// it and the requests pipelined behind it keep their order; an EXEC holding a script waits too;
// an AOF is replayed with the VM loaded first (it may hold FUNCTION LOAD).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseInfo, RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

let srv: Running;
let c: RespConn;

beforeAll(async () => {
  srv = await startImds(["--save", ""]);
  c = await RespConn.open(srv.port);
});

afterAll(async () => {
  c.close();
  await srv.stop();
});

async function vmBytes(conn: RespConn): Promise<number> {
  return Number(parseInfo(String(await conn.call("INFO", "memory"))).get("used_memory_vm_total"));
}

test("no Lua heap until a script command runs; then the first EVAL waits and keeps order", async () => {
  expect(await vmBytes(c)).toBe(0);
  // Commands that read the command specs or the (empty) script cache leave the VM unloaded.
  await c.values([
    ["SET", "k", "1"],
    ["GET", "k"],
    ["COMMAND", "COUNT"],
    ["COMMAND", "DOCS", "get"],
    ["COMMAND", "INFO", "eval"],
    ["SCRIPT", "EXISTS", "0000000000000000000000000000000000000000"],
    ["INFO", "all"],
  ]);
  expect(await vmBytes(c)).toBe(0);
  // One write: the EVAL is held until the VM is there, and what follows it runs after it.
  const script = "return redis.call('INCR', KEYS[1])";
  expect(
    await c.values([
      ["SET", "k", "1"],
      ["EVAL", script, "1", "k"],
      ["GET", "k"],
      ["EVAL", script, "1", "k"],
      ["SCRIPT", "LOAD", "return 7"],
      ["GET", "k"],
    ]),
  ).toEqual(["OK", 2, "2", 3, expect.stringMatching(/^[0-9a-f]{40}$/), "3"]);
  expect(await vmBytes(c)).toBeGreaterThan(0);
  expect(await c.call("EVALSHA", String(await c.call("SCRIPT", "LOAD", "return 7")), "0")).toBe(7);
});

test("an EXEC holding the first script waits for the VM; FCALL after FUNCTION LOAD", async () => {
  const s2 = await startImds(["--save", ""]);
  const d = await RespConn.open(s2.port);
  try {
    expect(await vmBytes(d)).toBe(0);
    expect(
      await d.values([
        ["MULTI"],
        ["SET", "a", "5"],
        ["EVAL", "return redis.call('GET', 'a')", "0"],
        ["EXEC"],
        ["GET", "a"],
      ]),
    ).toEqual(["OK", "QUEUED", "QUEUED", ["OK", "5"], "5"]);
    expect(await vmBytes(d)).toBeGreaterThan(0);
    const lib = "#!lua name=lazylib\nredis.register_function('seven', function() return 7 end)";
    expect(
      await d.values([
        ["FUNCTION", "LOAD", lib],
        ["FCALL", "seven", "0"],
      ]),
    ).toEqual(["lazylib", 7]);
  } finally {
    d.close();
    await s2.stop();
  }
});

test("the first FUNCTION LIST on a fresh server loads the VM and answers in order", async () => {
  const s3 = await startImds(["--save", ""]);
  const d = await RespConn.open(s3.port);
  try {
    expect(await d.values([["FUNCTION", "LIST"], ["PING"]])).toEqual([[], "PONG"]);
    expect(await vmBytes(d)).toBeGreaterThan(0);
  } finally {
    d.close();
    await s3.stop();
  }
});

test("an AOF redis-server wrote with FUNCTION LOAD: the VM is loaded before the replay", async () => {
  if (redisMissing("a Redis-written AOF")) return;
  const dir = mkdtempSync(join(tmpdir(), "imds-lazy-aof-"));
  try {
    const redis = await startRedis(["--appendonly", "yes", "--dir", dir]);
    const r = await RespConn.open(redis.port);
    const lib = "#!lua name=aoflib\nredis.register_function('aoff', function() return 42 end)";
    expect(
      await r.values([
        ["FUNCTION", "LOAD", lib],
        ["SET", "k", "v"],
      ]),
    ).toEqual(["aoflib", "OK"]);
    r.close();
    await redis.stop();
    const s = await startImds(["--save", "", "--appendonly", "yes", "--dir", dir]);
    const d = await RespConn.open(s.port);
    try {
      expect(await vmBytes(d)).toBeGreaterThan(0);
      expect(
        await d.values([
          ["FCALL", "aoff", "0"],
          ["GET", "k"],
        ]),
      ).toEqual([42, "v"]);
    } finally {
      d.close();
      await s.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
