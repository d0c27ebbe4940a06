// Function libraries survive restarts, as in Redis 7.0: FUNCTION2 records in dump.rdb (written
// before the data, read back into the Lua VM), FUNCTION LOAD/DELETE/FLUSH/RESTORE in the AOF,
// FUNCTION LOAD in an AOF-format base and FUNCTION2 in an RDB base; and the files move both
// ways between imds and redis-server 7.0 with their libraries.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const skip = redisMissing("function persistence tests");
const dirs: string[] = [];
const running: Running[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "imds-fn-"));
  dirs.push(d);
  return d;
}

afterAll(async () => {
  for (const r of running) if (r.proc.exitCode === null) await r.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LIB_A = `#!lua name=liba
redis.register_function('fa', function(keys, args) return 'a:' .. (args[1] or '') end)`;
const LIB_B = `#!lua name=libb
redis.register_function{function_name='fb', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`;

async function start(dir: string, flags: string[] = []): Promise<[Running, RespConn]> {
  const s = await startImds(["--dir", dir, "--save", "", ...flags]);
  running.push(s);
  return [s, await RespConn.open(s.port)];
}

/** Library names as FUNCTION LIST gives them, sorted. */
async function libraries(c: RespConn): Promise<string[]> {
  const list = (await c.call("FUNCTION", "LIST")) as unknown[][];
  return list.map((l) => String(l[1])).sort();
}

describe.skipIf(skip)("function libraries survive a restart", () => {
  test("dump.rdb: SAVE writes them, a restart loads them (FCALL works at once)", async () => {
    const dir = tmp();
    let [s, c] = await start(dir);
    expect(await c.call("FUNCTION", "LOAD", LIB_A)).toBe("liba");
    expect(await c.call("FUNCTION", "LOAD", LIB_B)).toBe("libb");
    await c.call("SET", "k", "v1");
    expect(await c.call("SAVE")).toBe("OK");
    c.close();
    await s.stop();
    const check = Bun.spawnSync(["redis-check-rdb", join(dir, "dump.rdb")]);
    expect(check.exitCode).toBe(0);
    [s, c] = await start(dir);
    // the first command is an FCALL: it waits for the VM, which loads the file's libraries first
    expect(await c.call("FCALL", "fa", "0", "x")).toBe("a:x");
    expect(await c.call("FCALL_RO", "fb", "1", "k")).toBe("v1");
    expect(await libraries(c)).toEqual(["liba", "libb"]);
    // DEBUG RELOAD (SAVE, then load into a fresh keyspace and VM state) keeps them
    await c.call("FUNCTION", "DELETE", "libb");
    expect(await c.call("DEBUG", "RELOAD")).toBe("OK");
    expect(await libraries(c)).toEqual(["liba"]);
    expect(await c.call("FCALL", "fa", "0", "r")).toBe("a:r");
    c.close();
  }, 60000);

  test("BGSAVE writes the libraries of its start; a server with no scripts writes none", async () => {
    const dir = tmp();
    const [, c] = await start(dir);
    await c.call("SET", "k", "v");
    await c.call("SAVE");
    let bytes = await Bun.file(join(dir, "dump.rdb")).bytes();
    expect(bytes.indexOf(0xf5)).toBe(-1); // no FUNCTION2 opcode anywhere in this small file
    await c.call("FUNCTION", "LOAD", LIB_A);
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    for (let i = 0; i < 200; i++) {
      const info = String(await c.call("INFO", "persistence"));
      if (info.includes("rdb_bgsave_in_progress:0")) break;
      await Bun.sleep(20);
    }
    bytes = await Bun.file(join(dir, "dump.rdb")).bytes();
    expect(Buffer.from(bytes).includes("redis.register_function('fa'")).toBe(true);
    c.close();
  }, 30000);

  test("AOF: FUNCTION LOAD/DELETE/FLUSH/RESTORE are logged; kill -9 and restart keeps them", async () => {
    const dir = tmp();
    let [s, c] = await start(dir, ["--appendonly", "yes", "--appendfsync", "always"]);
    await c.call("FUNCTION", "LOAD", LIB_A);
    await c.call("FUNCTION", "LOAD", LIB_B);
    await c.call("FUNCTION", "DELETE", "liba");
    const [dump] = await c.pipeline([["FUNCTION", "DUMP"]]); // bulk as latin1: the bytes
    await c.call("FUNCTION", "FLUSH");
    const payload = Buffer.from(String(dump!.value), "latin1");
    expect(await c.call("FUNCTION", "RESTORE", payload)).toBe("OK");
    await c.call("FUNCTION", "LOAD", LIB_A);
    expect(await libraries(c)).toEqual(["liba", "libb"]);
    const info = String(await c.call("INFO", "persistence"));
    expect(info).toMatch(/rdb_changes_since_last_save:[1-9]/);
    s.proc.kill(9);
    await s.proc.exited;
    [s, c] = await start(dir, ["--appendonly", "yes"]);
    expect(await libraries(c)).toEqual(["liba", "libb"]);
    expect(await c.call("FCALL", "fa", "0", "y")).toBe("a:y");
    c.close();
  }, 60000);

  for (const preamble of ["yes", "no"]) {
    test(`BGREWRITEAOF (aof-use-rdb-preamble ${preamble}) keeps the libraries; redis-server loads the directory`, async () => {
      const dir = tmp();
      const flags = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
      let [s, c] = await start(dir, flags);
      await c.call("FUNCTION", "LOAD", LIB_A);
      await c.call("FUNCTION", "LOAD", LIB_B);
      await c.call("SET", "k", "v2");
      await c.call("BGREWRITEAOF");
      for (let i = 0; i < 300; i++) {
        const info = String(await c.call("INFO", "persistence"));
        if (info.includes("aof_rewrite_in_progress:0") && info.includes("aof_rewrite_scheduled:0"))
          break;
        await Bun.sleep(20);
      }
      const aofDir = join(dir, "appendonlydir");
      const manifest = await Bun.file(join(aofDir, "appendonly.aof.manifest")).text();
      const base = /file (\S+) seq \d+ type b/.exec(manifest)?.[1];
      expect(base).toMatch(preamble === "yes" ? /\.base\.rdb$/ : /\.base\.aof$/);
      // The libraries were loaded before the rewrite: after it they are only in the new base
      // (an RDB base compresses their code: the restart below is what reads them back).
      if (preamble === "no") {
        const text = await Bun.file(join(aofDir, base!)).text();
        expect(text.indexOf("FUNCTION\r\n$4\r\nLOAD")).toBeLessThan(text.indexOf("$3\r\nSET"));
        expect(text).toContain("function_name='fb'");
      }
      c.close();
      await s.stop();
      [s, c] = await start(dir, flags);
      expect(await libraries(c)).toEqual(["liba", "libb"]);
      expect(await c.call("FCALL_RO", "fb", "1", "k")).toBe("v2");
      c.close();
      await s.stop();
      const r = await startRedis(["--dir", dir, "--appendonly", "yes"]);
      running.push(r);
      const rc = await RespConn.open(r.port);
      expect(await libraries(rc)).toEqual(["liba", "libb"]);
      expect(await rc.call("FCALL", "fa", "0", "z")).toBe("a:z");
      rc.close();
      await r.stop();
    }, 60000);
  }

  test("redis-server's dump.rdb and RDB-preamble AOF with functions and a stream load into imds", async () => {
    const dir = tmp();
    const r = await startRedis(["--dir", dir, "--appendonly", "yes"]);
    running.push(r);
    const rc = await RespConn.open(r.port);
    await rc.call("FUNCTION", "LOAD", LIB_A);
    await rc.call("XADD", "st", "1-1", "f", "v");
    await rc.call("XADD", "st", "2-1", "g", "w");
    await rc.call("SET", "k", "v3");
    await rc.call("SAVE");
    await rc.call("BGREWRITEAOF");
    for (let i = 0; i < 300; i++) {
      const info = String(await rc.call("INFO", "persistence"));
      if (info.includes("aof_rewrite_in_progress:0") && info.includes("aof_rewrite_scheduled:0"))
        break;
      await Bun.sleep(20);
    }
    // written after the rewrite: it lands in the incr file, replayed over the RDB base
    await rc.call("FUNCTION", "LOAD", LIB_B);
    rc.close();
    await r.stop();
    // the AOF directory (an RDB base with a FUNCTION2 record and a stream, then an incr file)
    let [s, c] = await start(dir, ["--appendonly", "yes"]);
    expect(await libraries(c)).toEqual(["liba", "libb"]);
    expect(await c.call("XLEN", "st")).toBe(2);
    expect(await c.call("FCALL_RO", "fb", "1", "k")).toBe("v3");
    c.close();
    await s.stop();
    // dump.rdb alone (AOF off)
    rmSync(join(dir, "appendonlydir"), { recursive: true, force: true });
    [s, c] = await start(dir);
    expect(await libraries(c)).toEqual(["liba"]);
    expect(await c.call("FCALL", "fa", "0", "q")).toBe("a:q");
    expect(await c.call("XLEN", "st")).toBe(2);
    c.close();
  }, 60000);
});
