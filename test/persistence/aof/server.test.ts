// The AOF on a real server: group commit with appendfsync always (the writes of one turn from
// all clients share one fsync), SHUTDOWN's options, SIGTERM's flush, INFO persistence fields.

import { afterAll, expect, test } from "bun:test";
import { Config } from "../../../src/config.ts";
import { Server } from "../../../src/server/server.ts";
import { RespConn } from "../../helpers/resp.ts";
import { startImds } from "../../helpers/servers.ts";
import { aofFiles, readCommands, removeDir, tempDir } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

test("appendfsync always: every reply after its fsync; concurrent clients share fsyncs", async () => {
  const dir = tempDir("gc");
  dirs.push(dir);
  const c = new Config();
  for (const [k, v] of Object.entries({ port: "0", dir, appendonly: "yes", appendfsync: "always" }))
    c.set(k, v, true);
  const s = new Server(c);
  s.log.setLevel("warning");
  const log = console.log;
  console.log = () => {};
  s.start();
  console.log = log;
  try {
    const CLIENTS = 20;
    const PER = 40;
    const conns = await Promise.all(Array.from({ length: CLIENTS }, () => RespConn.open(s.port)));
    await Promise.all(
      conns.map(async (conn, i) => {
        for (let j = 0; j < PER; j++) {
          expect(await conn.call("SET", `c${i}:${j}`, String(j))).toBe("OK");
        }
      }),
    );
    for (const conn of conns) conn.close();
    const fsyncs = s.aof.fsyncs;
    // Every command was fsynced before its reply, and fewer fsyncs than commands were needed.
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(CLIENTS * PER);
    console.log(`group commit: ${CLIENTS * PER} SETs from ${CLIENTS} clients, ${fsyncs} fsyncs`);
    const info = s.info(["persistence"]);
    expect(info).toContain("aof_enabled:1\r\n");
    expect(info).toContain("aof_last_write_status:ok\r\n");
    expect(info).toMatch(/aof_current_size:\d{4,}\r\n/);
    expect(info).toContain("aof_delayed_fsync:0\r\n");
  } finally {
    s.stop();
  }
  const cmds = readCommands(aofFiles(dir).lastIncr);
  expect(cmds.filter((x) => x[0] === "SET").length).toBe(800);
}, 30000);

test("SHUTDOWN: option checks as Redis 7.0; SHUTDOWN NOSAVE fsyncs the AOF and exits", async () => {
  const dir = tempDir("shutdown");
  dirs.push(dir);
  const s = await startImds(["--dir", dir, "--appendonly", "yes", "--appendfsync", "no"]);
  const c = await RespConn.open(s.port);
  expect(await c.raw("SHUTDOWN", "BOGUS")).toBe("-ERR syntax error\r\n");
  expect(await c.raw("SHUTDOWN", "NOSAVE", "SAVE")).toBe("-ERR syntax error\r\n");
  expect(await c.raw("SHUTDOWN", "ABORT", "NOW")).toBe("-ERR syntax error\r\n");
  expect(await c.raw("SHUTDOWN", "ABORT")).toBe("-ERR No shutdown in progress.\r\n");
  expect(await c.raw("SET", "k", "v")).toBe("+OK\r\n");
  await c.pipeline([["SHUTDOWN", "NOSAVE", "NOW"]], 5000).catch(() => {});
  c.close();
  expect(await s.proc.exited).toBe(0);
  expect(s.output()).toContain("Calling fsync() on the AOF file.");
  const again = await startImds(["--dir", dir, "--appendonly", "yes"]);
  const d = await RespConn.open(again.port);
  expect(await d.call("GET", "k")).toBe("v");
  d.close();
  await again.stop();
}, 30000);

test("SIGTERM writes and fsyncs the AOF before exit", async () => {
  const dir = tempDir("sigterm");
  dirs.push(dir);
  const s = await startImds(["--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec"]);
  const c = await RespConn.open(s.port);
  await c.values(Array.from({ length: 500 }, (_, i) => ["SET", `k${i}`, String(i)]));
  c.close();
  s.proc.kill("SIGTERM");
  expect(await s.proc.exited).toBe(0);
  expect(s.output()).toContain("Received SIGTERM scheduling shutdown...");
  expect(s.output()).toContain("Calling fsync() on the AOF file.");
  expect(readCommands(aofFiles(dir).lastIncr).length).toBe(501); // SELECT + 500 SETs
}, 30000);
