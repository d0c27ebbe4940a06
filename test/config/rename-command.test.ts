// rename-command, against a real redis-server started with the same lines: a renamed command
// answers to its new name only (clients, MULTI, scripts), "" removes it (also from COMMAND
// COUNT), COMMAND INFO finds it by the new name; a bad line stops the start with Redis's text.
// And what Redis cannot do: an AOF rewritten while SET was renamed replays after a restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import {
  type Running,
  redisMissing,
  startImds,
  startImdsCommand,
  startRedis,
} from "../helpers/servers.ts";

const RENAMES = [
  "--rename-command",
  "KEYS",
  "KEYSNEW",
  "--rename-command",
  "flushall",
  "",
  "--rename-command",
  "CONFIG",
  "cfg",
];

const CASES: string[][] = [
  ["SET", "k", "v"],
  ["KEYS", "*"],
  ["keysnew", "*"],
  ["KEYSNEW", "*"],
  ["FLUSHALL"],
  ["CONFIG", "GET", "maxmemory"],
  ["CFG", "GET", "maxmemory"],
  ["cfg", "help-me"],
  ["MULTI"],
  ["KEYS", "*"],
  ["EXEC"],
  ["MULTI"],
  ["KEYSNEW", "*"],
  ["EXEC"],
  ["EVAL", "return redis.pcall('KEYS', '*')", "0"],
  ["EVAL", "return redis.call('KEYSNEW', '*')", "0"],
  ["COMMAND", "INFO", "keys", "keysnew", "flushall"],
];

describe.skipIf(redisMissing("rename-command differential test"))("rename-command", () => {
  let imds: Running;
  let redis: Running;
  let ci: RespConn;
  let cr: RespConn;
  beforeAll(async () => {
    [imds, redis] = await Promise.all([startImds(RENAMES), startRedis(RENAMES)]);
    [ci, cr] = await Promise.all([RespConn.open(imds.port), RespConn.open(redis.port)]);
  });
  afterAll(async () => {
    ci.close();
    cr.close();
    await Promise.all([imds.stop(), redis.stop()]);
  });

  test("replies match redis-server's byte for byte", async () => {
    for (const cmd of CASES) {
      const [a, b] = await Promise.all([ci.raw(...cmd), cr.raw(...cmd)]);
      // COMMAND INFO's docs-free reply differs only where imds's specs do; compare names.
      if (cmd[0] === "COMMAND") {
        expect(String(a).slice(0, 40)).toBe(String(b).slice(0, 40));
        continue;
      }
      expect({ cmd, reply: a }).toEqual({ cmd, reply: b });
    }
  });

  test("a removed command leaves COMMAND COUNT as in redis-server", async () => {
    const [ni, nr] = await Promise.all([
      RespConn.open(imds.port).then(async (c) => {
        const n = Number(await c.call("COMMAND", "COUNT"));
        c.close();
        return n;
      }),
      RespConn.open(redis.port).then(async (c) => {
        const n = Number(await c.call("COMMAND", "COUNT"));
        c.close();
        return n;
      }),
    ]);
    const base = await startImds([]);
    const c = await RespConn.open(base.port);
    const full = Number(await c.call("COMMAND", "COUNT"));
    c.close();
    await base.stop();
    expect(ni).toBe(full - 1);
    expect(nr).toBeGreaterThan(0);
  });
});

async function failedStart(args: string[]): Promise<{ code: number; err: string }> {
  const p = Bun.spawn(
    ["bun", resolve(import.meta.dir, "../../src/main.ts"), "--port", "0", ...args],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const code = await p.exited;
  return { code, err: await new Response(p.stderr).text() };
}

test("an unknown command or a taken name stops the start with Redis's fatal text", async () => {
  const a = await failedStart(["--rename-command", "nosuch", "x"]);
  expect(a.code).toBe(1);
  expect(a.err).toContain('>>> \'rename-command "nosuch" "x"\'');
  expect(a.err).toContain("No such command in rename-command");
  const b = await failedStart(["--rename-command", "get", "set"]);
  expect(b.code).toBe(1);
  expect(b.err).toContain("Target command name already exists");
});

test("an AOF rewritten while SET is renamed replays after a restart (its base says SET)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-rename-"));
  try {
    const flags = [
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--aof-use-rdb-preamble",
      "no",
      "--rename-command",
      "SET",
      "put",
    ];
    let s = await startImds(flags);
    let c = await RespConn.open(s.port);
    expect(await c.call("put", "a", "1")).toBe("OK");
    expect(await c.call("BGREWRITEAOF")).toBeTruthy();
    for (let i = 0; i < 200; i++) {
      if (String(await c.call("INFO", "persistence")).includes("aof_rewrite_in_progress:0")) break;
      await Bun.sleep(20);
    }
    expect(await c.call("put", "b", "2")).toBe("OK"); // in the incr file, as typed: "put"
    c.close();
    await s.stop();
    s = await startImds(flags);
    c = await RespConn.open(s.port);
    expect(
      await c.values([
        ["GET", "a"],
        ["GET", "b"],
        ["SET", "x", "1"],
      ]),
    ).toEqual([
      "1",
      "2",
      { message: "ERR unknown command 'SET', with args beginning with: 'x' '1' " },
    ]);
    c.close();
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30000);

test("rename-command in a config file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-rename-conf-"));
  try {
    writeFileSync(join(dir, "imds.conf"), 'rename-command FLUSHDB ""\n');
    const main = resolve(import.meta.dir, "../../src/main.ts");
    const s = await startImdsCommand(["bun", main, join(dir, "imds.conf"), "--port", "0"]);
    const c = await RespConn.open(s.port);
    expect(String(await c.call("FLUSHDB"))).toContain("unknown command 'FLUSHDB'");
    c.close();
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
