// The AOF write path and reload, in process: what each command is written as (Redis's
// propagation forms), SELECT, expired keys as DEL, transaction units, and that a reload through
// the command table gives back the same data.

import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AofLoadError } from "../../../src/persistence/aof.ts";
import { MODE_RESP2 } from "../../../src/protocol/reply.ts";
import { InProc } from "../../helpers/inproc.ts";
import { aofFiles, readCommands, removeDir, tempDir } from "./helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

function open(dir: string, extra: Record<string, string> = {}): InProc {
  const p = new InProc(MODE_RESP2, {
    dir,
    appendonly: "yes",
    appendfsync: "everysec",
    ...extra,
  });
  p.server.aof.batchWrites = false; // replies synchronously (no turn to wait for)
  p.server.aof.start();
  return p;
}

function fresh(extra: Record<string, string> = {}): { p: InProc; dir: string } {
  const dir = tempDir("w");
  dirs.push(dir);
  return { p: open(dir, extra), dir };
}

/** Written commands of the last incr file, after flushing. */
function written(p: InProc, dir: string): string[][] {
  expect(p.server.aof.flushAndSync()).toBe(true);
  return readCommands(aofFiles(dir).lastIncr);
}

test("a fresh directory gets Redis 7.0's layout: empty base, incr, manifest", () => {
  const { p, dir } = fresh();
  const f = aofFiles(dir);
  expect(f.manifest).toBe(
    "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
  );
  expect(f.listing).toEqual([
    "appendonly.aof.1.base.aof",
    "appendonly.aof.1.incr.aof",
    "appendonly.aof.manifest",
  ]);
  p.server.aof.close();
});

test("commands are written after they ran, in propagation form, only when they wrote", () => {
  const { p, dir } = fresh();
  const now = 1_800_000_000_000;
  p.at(now);
  p.call("SET", "a", "1");
  p.call("GET", "a"); // a read: not written
  p.call("SET", "a", "2", "NX"); // did nothing: not written
  p.call("SET", "b", "v", "EX", "100");
  p.call("SETEX", "c", "10", "w");
  p.call("PSETEX", "d", "1500", "x");
  p.call("EXPIRE", "a", "50");
  p.call("PEXPIRE", "b", "2000", "GT"); // 2000 ms < 100 s: GT refuses, not written
  p.call("SET", "f", "1.5");
  p.call("INCRBYFLOAT", "f", "0.25");
  p.call("GETEX", "d", "PERSIST");
  p.call("GETEX", "c", "PX", "700");
  p.call("EXPIREAT", "f", String(now / 1000 + 30));
  p.call("EXPIRE", "b", "-1"); // in the past: the key goes, written as DEL
  p.call("SELECT", "2");
  p.call("SET", "k", "in2");
  p.call("SELECT", "0");
  p.call("DEL", "a");
  p.call("SET", "g", "v", "KEEPTTL");
  expect(written(p, dir)).toEqual([
    ["SELECT", "0"],
    ["SET", "a", "1"],
    ["SET", "b", "v", "PXAT", String(now + 100_000)],
    ["SET", "c", "w", "PXAT", String(now + 10_000)],
    ["SET", "d", "x", "PXAT", String(now + 1500)],
    ["PEXPIREAT", "a", String(now + 50_000)],
    ["SET", "f", "1.5"],
    ["SET", "f", "1.75", "KEEPTTL"],
    ["PERSIST", "d"],
    ["PEXPIREAT", "c", String(now + 700)],
    ["PEXPIREAT", "f", String(now + 30_000)],
    ["DEL", "b"],
    ["SELECT", "2"],
    ["SET", "k", "in2"],
    ["SELECT", "0"],
    ["DEL", "a"],
    ["SET", "g", "v", "KEEPTTL"],
  ]);
  p.server.aof.close();
});

test("keys the store expires or evicts are written as DEL, before the command that found them", () => {
  const { p, dir } = fresh();
  const now = 1_800_000_000_000;
  p.at(now);
  p.call("SET", "t", "1", "PX", "10");
  p.call("SET", "u", "1", "PX", "10");
  p.at(now + 20);
  p.call("GET", "t"); // lazily expired: DEL, and the GET itself is not written
  p.call("SET", "u", "2"); // u expired on lookup: DEL u, then the SET
  const cmds = written(p, dir);
  expect(cmds.slice(3)).toEqual([
    ["DEL", "t"],
    ["DEL", "u"],
    ["SET", "u", "2"],
  ]);
  p.server.aof.close();
});

test("beginUnit/endUnit wrap a transaction in MULTI ... EXEC (nested units count; empty ones vanish)", () => {
  const { p, dir } = fresh();
  const aof = p.server.aof;
  p.call("SET", "before", "1");
  aof.beginUnit();
  aof.endUnit(); // nothing written inside: no MULTI
  aof.beginUnit();
  p.call("SET", "x", "1");
  aof.beginUnit(); // nested (a script inside EXEC): still one unit
  p.call("SELECT", "1");
  p.call("SET", "y", "2");
  aof.endUnit();
  p.call("GET", "x");
  aof.endUnit();
  aof.endUnit(); // unbalanced end: ignored
  p.call("SET", "after", "3");
  expect(written(p, dir)).toEqual([
    ["SELECT", "0"],
    ["SET", "before", "1"],
    ["MULTI"],
    ["SET", "x", "1"],
    ["SELECT", "1"],
    ["SET", "y", "2"],
    ["EXEC"],
    ["SET", "after", "3"],
  ]);
  aof.close();
  // The unit loads back as one.
  const q = open(dir);
  expect(q.call("GET", "x")).toBe("1");
  q.call("SELECT", "1");
  expect(q.call("GET", "y")).toBe("2");
  expect(q.call("GET", "after")).toBe("3");
  q.server.aof.close();
});

test("a reload through the command table gives back the data, TTLs and databases", () => {
  const { p, dir } = fresh();
  const now = Date.now();
  p.call("SET", "s", "hello");
  p.call("APPEND", "s", " world");
  p.call("INCR", "n");
  p.call("INCRBY", "n", "41");
  p.call("SET", "ttl", "v", "EX", "1000");
  p.call("ZADD", "z", "1", "a", "2.5", "b", "-inf", "c");
  p.call("ZINCRBY", "z", "3", "a");
  p.call("ZREM", "z", "b");
  p.call("SELECT", "5");
  p.call("MSET", "m1", "1", "m2", "2");
  p.call("RENAME", "m1", "m3");
  p.call("SELECT", "0");
  p.call("SWAPDB", "0", "6");
  p.server.aof.close();
  const q = open(dir);
  q.call("SELECT", "6");
  expect(q.call("GET", "s")).toBe("hello world");
  expect(q.call("GET", "n")).toBe("42");
  const pttl = q.call("PTTL", "ttl") as number;
  expect(pttl).toBeGreaterThan(990_000 - (Date.now() - now));
  expect(pttl).toBeLessThanOrEqual(1_000_000);
  expect(q.call("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(["c", "-inf", "a", "4"]);
  q.call("SELECT", "5");
  expect(q.call("MGET", "m1", "m2", "m3")).toEqual([null, "2", "1"]);
  q.call("SELECT", "0");
  expect(q.call("DBSIZE")).toBe(0);
  q.server.aof.close();
});

test("CONFIG SET appendonly yes writes a base of the current data in the background; no turns it off", async () => {
  const dir = tempDir("cfg");
  dirs.push(dir);
  const p = new InProc(MODE_RESP2, { dir, appendfsync: "everysec" });
  p.server.aof.batchWrites = false;
  p.server.aof.start(); // appendonly no: nothing happens
  p.call("CONFIG", "SET", "aof-use-rdb-preamble", "no"); // an AOF-format base, read below
  p.call("SET", "pre", "1");
  p.call("SET", "ttl", "x", "PX", "500000");
  p.call("ZADD", "z", "1", "one", "2", "two");
  p.call("SELECT", "3");
  p.call("SET", "in3", "yes");
  expect(p.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
  // Redis's AOF_WAIT_REWRITE: enabled, a rewrite running, no manifest yet
  expect(p.server.aof.waitRewrite).toBe(true);
  const during = p.call("INFO", "persistence") as string;
  expect(during).toContain("aof_enabled:1");
  expect(during).toContain("aof_rewrite_in_progress:1");
  expect(existsSync(join(dir, "appendonlydir", "appendonly.aof.manifest"))).toBe(false);
  p.call("SET", "post", "2");
  for (let i = 0; i < 1000 && p.server.aof.rewriting; i++) await Bun.sleep(5);
  expect(p.server.aof.waitRewrite).toBe(false);
  expect(p.server.aof.on).toBe(true);
  const f = aofFiles(dir);
  expect(f.listing).toEqual([
    "appendonly.aof.1.base.aof",
    "appendonly.aof.1.incr.aof",
    "appendonly.aof.manifest",
  ]);
  const base = readCommands(f.base!);
  expect(base[0]).toEqual(["SELECT", "0"]);
  expect(base).toContainEqual(["SET", "pre", "1"]);
  expect(base).toContainEqual(["ZADD", "z", "1", "one", "2", "two"]);
  expect(base.find((c) => c[0] === "PEXPIREAT")?.[1]).toBe("ttl");
  expect(base).toContainEqual(["SELECT", "3"]);
  const info = p.call("INFO", "persistence") as string;
  expect(info).toContain("aof_enabled:1");
  expect(info).toMatch(/aof_base_size:[1-9]/);
  expect(p.call("CONFIG", "SET", "appendonly", "no")).toBe("OK");
  expect(p.server.aof.on).toBe(false);
  p.call("SET", "while-off", "x"); // not written anywhere
  const q = open(dir);
  expect(q.call("MGET", "pre", "post", "while-off")).toEqual(["1", null, null]);
  q.call("SELECT", "3");
  expect(q.call("GET", "post")).toBe("2"); // SET post ran in db 3
  expect(q.call("GET", "in3")).toBe("yes");
  q.server.aof.close();
});

test("BGREWRITEAOF replaces base and incr files; the old ones are deleted", async () => {
  const { p, dir } = fresh();
  p.call("CONFIG", "SET", "aof-use-rdb-preamble", "no"); // the AOF-format base (sliced walk)
  for (let i = 0; i < 300; i++) p.call("ZADD", "big", String(i), `m${i}`);
  p.call("SET", "x", "1");
  expect(p.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
  p.call("SET", "y", "2");
  for (let i = 0; i < 1000 && p.server.aof.rewriting; i++) await Bun.sleep(5);
  expect(p.server.aof.rewriting).toBe(false);
  // the old files are unlinked in the thread pool once the new manifest is on disk
  for (let i = 0; i < 1000 && aofFiles(dir).listing.length > 3; i++) await Bun.sleep(5);
  const f = aofFiles(dir);
  expect(f.listing).toEqual([
    "appendonly.aof.2.base.aof",
    "appendonly.aof.2.incr.aof",
    "appendonly.aof.manifest",
  ]);
  const base = readCommands(f.base!);
  const zadds = base.filter((c) => c[0] === "ZADD");
  expect(zadds.map((c) => (c.length - 2) / 2)).toEqual([64, 64, 64, 64, 44]); // 64 per command
  expect(written(p, dir)).toEqual([
    ["SELECT", "0"],
    ["SET", "y", "2"],
  ]);
  p.server.aof.close();
  const q = open(dir);
  expect(q.call("ZCARD", "big")).toBe(300);
  expect(q.call("MGET", "x", "y")).toEqual(["1", "2"]);
  q.server.aof.close();
});

test("a cut last command: everything before it loads, the file is cut back, a warning is logged", () => {
  const { p, dir } = fresh();
  p.call("SET", "a", "1");
  p.call("SET", "b", "2");
  p.server.aof.close();
  const f = aofFiles(dir);
  const whole = readCommands(f.lastIncr).length;
  writeFileSync(f.lastIncr, "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$2\r\n3", { flag: "a" });
  const q = open(dir);
  expect(q.call("MGET", "a", "b", "c")).toEqual(["1", "2", null]);
  q.call("SET", "d", "4"); // appended after the cut: the file stays valid
  q.server.aof.close();
  expect(readCommands(f.lastIncr).slice(whole)).toEqual([
    ["SELECT", "0"],
    ["SET", "d", "4"],
  ]);
  const r = open(dir);
  expect(r.call("GET", "d")).toBe("4");
  r.server.aof.close();
});

test("aof-load-truncated no refuses a cut file; corruption in the middle names the file and offset", () => {
  const { p, dir } = fresh();
  p.call("SET", "a", "1");
  p.server.aof.close();
  const f = aofFiles(dir);
  writeFileSync(f.lastIncr, "*2\r\n$3\r\nDEL", { flag: "a" });
  expect(() => open(dir, { "aof-load-truncated": "no" })).toThrow(/Unexpected end of file/);
  writeFileSync(
    f.lastIncr,
    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\nGARBAGE\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n",
  );
  let err: Error | null = null;
  try {
    open(dir);
  } catch (e) {
    err = e as Error;
  }
  expect(err).toBeInstanceOf(AofLoadError);
  expect(err!.message).toContain("appendonly.aof.1.incr.aof at offset 23");
});

test("an unknown command in the AOF stops the load", () => {
  const { p, dir } = fresh();
  p.server.aof.close();
  writeFileSync(aofFiles(dir).lastIncr, "*1\r\n$7\r\nNOSUCHX\r\n");
  expect(() => open(dir)).toThrow(/unknown command 'NOSUCHX'/);
});

test("a MULTI without EXEC at the end is dropped (and cut off the file)", () => {
  const { p, dir } = fresh();
  p.call("SET", "a", "1");
  p.server.aof.close();
  const f = aofFiles(dir);
  writeFileSync(f.lastIncr, "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n", {
    flag: "a",
  });
  const q = open(dir);
  expect(q.call("MGET", "a", "b")).toEqual(["1", null]);
  q.call("SET", "c", "3");
  q.server.aof.close();
  expect(readCommands(f.lastIncr)).toEqual([
    ["SELECT", "0"],
    ["SET", "a", "1"],
    ["SELECT", "0"],
    ["SET", "c", "3"],
  ]);
});

test("a redis-written manifest with several incr files and a comment loads in order", () => {
  const dir = tempDir("multi");
  dirs.push(dir);
  const d = join(dir, "appendonlydir");
  require("node:fs").mkdirSync(d);
  writeFileSync(join(d, "appendonly.aof.3.base.aof"), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n");
  writeFileSync(
    join(d, "appendonly.aof.4.incr.aof"),
    "*3\r\n$6\r\nAPPEND\r\n$1\r\nk\r\n$1\r\n2\r\n",
  );
  writeFileSync(
    join(d, "appendonly.aof.5.incr.aof"),
    "*3\r\n$6\r\nAPPEND\r\n$1\r\nk\r\n$1\r\n3\r\n",
  );
  writeFileSync(
    join(d, "appendonly.aof.manifest"),
    "# a comment\nfile appendonly.aof.3.base.aof seq 3 type b\nfile appendonly.aof.4.incr.aof seq 4 type i\nfile appendonly.aof.5.incr.aof seq 5 type i\n",
  );
  const p = open(dir);
  expect(p.call("GET", "k")).toBe("123");
  p.call("APPEND", "k", "4"); // appended to the last incr file
  p.server.aof.close();
  expect(readCommands(join(d, "appendonly.aof.5.incr.aof")).pop()).toEqual(["APPEND", "k", "4"]);
});

test("everysec: writes wait while an fsync runs, up to 2 s, then go and count aof_delayed_fsync", () => {
  const { p } = fresh();
  const aof = p.server.aof as unknown as {
    fsyncInProgress: boolean;
    postponeStart: number;
    bufferLength: number;
    delayedFsync: number;
  };
  aof.fsyncInProgress = true; // an fsync of the background kind is running
  p.call("SET", "a", "1");
  expect(aof.bufferLength).toBeGreaterThan(0); // postponed (the reply still left)
  p.call("SET", "b", "2");
  expect(aof.bufferLength).toBeGreaterThan(0);
  aof.postponeStart = Date.now() - 2100; // the fsync has now taken longer than 2 s
  p.call("SET", "c", "3");
  expect(aof.bufferLength).toBe(0);
  expect(aof.delayedFsync).toBe(1);
  expect(p.call("INFO", "persistence") as string).toContain("aof_delayed_fsync:1\r\n");
  aof.fsyncInProgress = false;
  p.server.aof.close();
});

test("MULTI/EXEC is written as one MULTI ... EXEC unit; an aborted or discarded one writes nothing", () => {
  const { p, dir } = fresh();
  p.call("MULTI");
  p.call("SET", "a", "1");
  p.call("INCR", "a");
  p.call("GET", "a");
  expect(p.call("EXEC")).toEqual(["OK", 2, "2"]);
  p.call("MULTI");
  p.call("SET", "b", "1");
  p.call("DISCARD");
  p.call("MULTI");
  p.call("SET", "c", "1");
  p.call("NOSUCHCOMMAND");
  p.call("EXEC"); // EXECABORT
  p.call("SET", "after", "1");
  // (SELECT goes inside the unit here, where Redis writes it before MULTI: both load alike.)
  expect(written(p, dir)).toEqual([
    ["MULTI"],
    ["SELECT", "0"],
    ["SET", "a", "1"],
    ["INCR", "a"],
    ["EXEC"],
    ["SET", "after", "1"],
  ]);
  p.server.aof.close();
});

test("SPOP is written as its effect: SREM of the popped members, DEL when the whole set goes", () => {
  const { p, dir } = fresh();
  p.call("SADD", "s", "a", "b", "c", "d", "e", "f");
  const one = p.call("SPOP", "s") as string;
  const two = p.call("SPOP", "s", "2") as string[];
  p.call("SPOP", "s", "10"); // the rest: the key goes
  p.call("SADD", "t", "x");
  const w = written(p, dir);
  expect(w[2]).toEqual(["SREM", "s", one]);
  expect(w[3]!.slice(0, 2)).toEqual(["SREM", "s"]);
  expect(w[3]!.slice(2).sort()).toEqual([...two].sort());
  expect(w[4]).toEqual(["DEL", "s"]);
  p.server.aof.close();
  // A reload gives the same sets, whatever the random picks were.
  const q = open(dir);
  expect(q.call("EXISTS", "s")).toBe(0);
  expect(q.call("SMEMBERS", "t")).toEqual(["x"]);
  q.server.aof.close();
});

test("a failed first rewrite of CONFIG SET appendonly yes publishes nothing and is tried again", async () => {
  const dir = tempDir("cfg-fail");
  dirs.push(dir);
  const p = new InProc(MODE_RESP2, { dir, appendfsync: "everysec" });
  p.server.aof.batchWrites = false;
  p.server.aof.start();
  p.call("CONFIG", "SET", "aof-use-rdb-preamble", "no");
  p.call("SET", "a", "1");
  // a non-empty directory where the base is renamed to: the rename fails
  const d = join(dir, "appendonlydir");
  mkdirSync(join(d, "appendonly.aof.1.base.aof", "x"), { recursive: true });
  expect(p.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
  p.call("SET", "b", "2");
  for (let i = 0; i < 1000 && p.server.aof.rewriting; i++) await Bun.sleep(5);
  // Redis: still AOF_WAIT_REWRITE, a new rewrite scheduled; nothing published
  expect(p.server.aof.waitRewrite).toBe(true);
  const info = p.call("INFO", "persistence") as string;
  expect(info).toContain("aof_enabled:1");
  expect(info).toContain("aof_last_bgrewrite_status:err");
  expect(info).toContain("aof_rewrite_scheduled:1");
  expect(readdirSync(d).sort()).toEqual(["appendonly.aof.1.base.aof"]);
  rmSync(join(d, "appendonly.aof.1.base.aof"), { recursive: true });
  p.server.aof.cron(Date.now()); // under 5 s since the failure: not yet
  expect(p.server.aof.rewriting).toBe(false);
  await Bun.sleep(5100);
  p.server.aof.cron(Date.now());
  expect(p.server.aof.rewriting).toBe(true);
  p.call("SET", "c", "3");
  for (let i = 0; i < 1000 && p.server.aof.rewriting; i++) await Bun.sleep(5);
  expect(p.server.aof.waitRewrite).toBe(false);
  expect(readdirSync(d).sort()).toEqual([
    "appendonly.aof.1.base.aof",
    "appendonly.aof.1.incr.aof",
    "appendonly.aof.manifest",
  ]);
  p.server.aof.close();
  const q = open(dir);
  expect(q.call("MGET", "a", "b", "c")).toEqual(["1", "2", "3"]);
  q.server.aof.close();
}, 20000);
