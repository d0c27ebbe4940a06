// RDB snapshots on the real `bun src/main.ts` process: BGSAVE while a client writes (the file
// is the data at the start), kill -9 during BGSAVE (the old snapshot survives), save points,
// MISCONF after a failed BGSAVE, SHUTDOWN / SIGTERM saving, LASTSAVE, DEBUG RELOAD.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RdbValue, readRdbFile } from "../../src/persistence/rdb/index.ts";
import { RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const dirs: string[] = [];
const running: Running[] = [];
afterAll(async () => {
  for (const r of running) if (r.proc.exitCode === null) await r.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "imds-snapsrv-"));
  dirs.push(d);
  return d;
}
async function start(dir: string, flags: string[] = []): Promise<[Running, RespConn]> {
  const r = await startImds(["--dir", dir, ...flags]);
  running.push(r);
  return [r, await RespConn.open(r.port)];
}

async function fill(c: RespConn, n: number, prefix: string, value: (i: number) => string) {
  for (let i = 0; i < n; i += 5000) {
    const batch: string[][] = [];
    for (let k = i; k < Math.min(n, i + 5000); k++) batch.push(["SET", `${prefix}${k}`, value(k)]);
    await c.pipeline(batch, 60000);
  }
}

function field(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)$`, "m").exec(info);
  return m ? m[1]!.trim() : "";
}

async function waitSaved(c: RespConn, ms = 30000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = (await c.call("INFO", "persistence")) as string;
    if (field(info, "rdb_bgsave_in_progress") === "0") return;
    if (Date.now() > deadline) throw new Error("BGSAVE did not finish");
    await Bun.sleep(20);
  }
}

function readKeys(path: string): Map<string, string> {
  const m = new Map<string, string>();
  const dec = new TextDecoder();
  readRdbFile(path, {
    onKey(db: number, key: Uint8Array, v: RdbValue) {
      m.set(`${db}/${dec.decode(key)}`, v.type === "string" ? dec.decode(v.bytes) : v.type);
    },
  });
  return m;
}

describe("BGSAVE on the server", () => {
  test("a client writing during BGSAVE does not change the file: it is the data at the start", async () => {
    const dir = tmp();
    const [, c] = await start(dir);
    const N = 150_000;
    await fill(c, N, "key:", (i) => `v0-${i}`);
    await c.call("ZADD", "z", 1, "a", 2, "b");
    const w = await RespConn.open((running.at(-1) as Running).port);
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    expect(await c.call("BGSAVE")).toMatchObject({
      message: "ERR Background save already in progress",
    });
    expect(await c.call("SAVE")).toMatchObject({
      message: "ERR Background save already in progress",
    });
    // the writer: overwrite, delete and create keys while the save runs, in small batches
    let during = 0;
    for (let round = 0; round < 200; round++) {
      const batch: (string | number)[][] = [];
      for (let k = 0; k < 100; k++) {
        const i = (round * 7919 + k * 104729) % N;
        batch.push(["SET", `key:${i}`, `v1-${i}`]);
        batch.push(["DEL", `key:${(i + 1) % N}`]);
        batch.push(["SET", `new:${round}:${k}`, "x"]);
      }
      batch.push(["ZADD", "z", 3, `c${round}`]);
      batch.push(["INFO", "persistence"]);
      const r = await w.pipeline(batch);
      const info = r.at(-1)!.value as string;
      if (field(info, "rdb_bgsave_in_progress") === "1") during++;
      else break;
    }
    expect(during).toBeGreaterThan(0); // writes really happened during the save
    await waitSaved(c);
    const info = (await c.call("INFO", "persistence")) as string;
    expect(field(info, "rdb_last_bgsave_status")).toBe("ok");
    expect(Number(field(info, "rdb_last_cow_size"))).toBeGreaterThan(0);
    const saved = readKeys(join(dir, "dump.rdb"));
    expect(saved.size).toBe(N + 1);
    for (let i = 0; i < N; i++) {
      const v = saved.get(`0/key:${i}`);
      if (v !== `v0-${i}`) expect([i, v]).toEqual([i, `v0-${i}`]);
    }
    expect(saved.get("0/z")).toBe("zset");
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
    c.close();
    w.close();
  }, 120000);

  test("INCR during BGSAVE (digits rewritten in place in the block): the file has the values at the start", async () => {
    const dir = tmp();
    const [, c] = await start(dir);
    const N = 150_000;
    const start0 = (i: number) => String(1000 + (i % 8000)); // 4 digits: INCR keeps the length
    await fill(c, N, "n:", start0);
    const w = await RespConn.open((running.at(-1) as Running).port);
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    let during = 0;
    for (let round = 0; round < 300; round++) {
      const batch: (string | number)[][] = [];
      for (let k = 0; k < 200; k++)
        batch.push(["INCRBY", `n:${(round * 7919 + k * 104729) % N}`, 3]);
      batch.push(["INFO", "persistence"]);
      const r = await w.pipeline(batch);
      const info = r.at(-1)!.value as string;
      if (field(info, "rdb_bgsave_in_progress") === "1") during++;
      else break;
    }
    expect(during).toBeGreaterThan(0);
    await waitSaved(c);
    const saved = readKeys(join(dir, "dump.rdb"));
    expect(saved.size).toBe(N);
    for (let i = 0; i < N; i++) {
      const v = saved.get(`0/n:${i}`);
      if (v !== start0(i)) expect([i, v]).toEqual([i, start0(i)]);
    }
    // and the live values moved on: some key was incremented in place meanwhile
    const after = (
      await c.pipeline(Array.from({ length: 1000 }, (_, i) => ["GET", `n:${(i * 104729) % N}`]))
    ).map((x) => x.value as string);
    expect(after.some((v, i) => v !== start0((i * 104729) % N))).toBe(true);
    c.close();
    w.close();
  }, 120000);

  test("kill -9 during BGSAVE: the previous snapshot is intact after restart", async () => {
    const dir = tmp();
    const [r, c] = await start(dir);
    await fill(c, 20_000, "old:", (i) => `a${i}`);
    await c.call("SET", "generation", "1");
    expect(await c.call("SAVE")).toBe("OK");
    const before = readFileSync(join(dir, "dump.rdb"));
    await fill(c, 200_000, "more:", (i) => `b${i}`);
    await c.call("SET", "generation", "2");
    // BGSAVE, then kill as soon as the temp file has some bytes (the walk is under way)
    await c.pipeline([["BGSAVE"]]);
    const deadline = Date.now() + 10000;
    let sawTemp = false;
    while (Date.now() < deadline) {
      const tmpFile = readdirSync(dir).find((f) => f.startsWith("temp-"));
      if (tmpFile && readFileSync(join(dir, tmpFile)).length > 0) {
        sawTemp = true;
        break;
      }
      await Bun.sleep(1);
    }
    r.proc.kill(9);
    await r.proc.exited;
    expect(sawTemp).toBe(true);
    expect(readFileSync(join(dir, "dump.rdb")).equals(before)).toBe(true);
    const [, c2] = await start(dir);
    expect(await c2.call("GET", "generation")).toBe("1");
    expect(await c2.call("DBSIZE")).toBe(20_001);
    // the killed save's temp file was removed at start (src/persistence/temp-files.ts)
    expect(readdirSync(dir).filter((f) => f.startsWith("temp-"))).toEqual([]);
    c2.close();
  }, 120000);

  test("big values written across slices while a client changes them: the file is the start, and redis-server loads it", async () => {
    const dir = tmp();
    const [r, c] = await start(dir);
    const N = 60_000; // hashtable hash / set, skiplist zset: each split over many slices
    for (let i = 0; i < N; i += 2000) {
      const z: (string | number)[] = ["ZADD", "bigz"];
      const h: (string | number)[] = ["HSET", "bigh"];
      const st: (string | number)[] = ["SADD", "bigs"];
      for (let k = i; k < i + 2000; k++) {
        z.push(k, `m${k}`);
        h.push(`f${k}`, `v${k}`);
        st.push(`s${k}`);
      }
      await c.pipeline([z, h, st, ["ZADD", "bigz2", i, `x${i}`]]);
    }
    await fill(c, 50_000, "key:", (i) => `v0-${i}`);
    const w = await RespConn.open(r.port);
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    let during = 0;
    for (let round = 0; round < 400; round++) {
      const r2 = await w.pipeline([
        ["ZADD", "bigz", -1, `new${round}`],
        ["HSET", "bigh", `nf${round}`, "x"],
        ["SADD", "bigs", `ns${round}`],
        ["SET", `key:${(round * 7919) % 50_000}`, "changed"],
        ...(round === 3 ? [["DEL", "bigz2"]] : []),
        ["INFO", "persistence"],
      ]);
      if (field(r2.at(-1)!.value as string, "rdb_bgsave_in_progress") === "1") during++;
      else break;
    }
    expect(during).toBeGreaterThan(0);
    await waitSaved(c);
    expect(field((await c.call("INFO", "persistence")) as string, "rdb_last_bgsave_status")).toBe(
      "ok",
    );
    const sizes = new Map<string, number>();
    readRdbFile(join(dir, "dump.rdb"), {
      onKey(_db: number, key: Uint8Array, v: RdbValue) {
        const k = new TextDecoder().decode(key);
        if (v.type === "zset") sizes.set(k, v.entries.length);
        else if (v.type === "hash") sizes.set(k, v.entries.length);
        else if (v.type === "set") sizes.set(k, v.members.length);
        else if (v.type === "string" && new TextDecoder().decode(v.bytes) === "changed")
          sizes.set("changed", (sizes.get("changed") ?? 0) + 1);
      },
    });
    expect(sizes.get("bigz")).toBe(N);
    expect(sizes.get("bigh")).toBe(N);
    expect(sizes.get("bigs")).toBe(N);
    expect(sizes.get("bigz2")).toBe(N / 2000);
    expect(sizes.get("changed")).toBeUndefined();
    c.close();
    w.close();
    if (redisMissing("loading a sliced BGSAVE into redis-server")) return;
    const check = Bun.spawnSync(["redis-check-rdb", join(dir, "dump.rdb")]);
    expect(check.exitCode).toBe(0);
    const redis = await startRedis(["--dir", dir, "--dbfilename", "dump.rdb"]);
    try {
      const rc = await RespConn.open(redis.port);
      expect(await rc.call("ZCARD", "bigz")).toBe(N);
      expect(await rc.call("HLEN", "bigh")).toBe(N);
      expect(await rc.call("SCARD", "bigs")).toBe(N);
      expect(await rc.call("ZSCORE", "bigz", `m${N - 1}`)).toBe(String(N - 1));
      expect(await rc.call("HGET", "bigh", "f123")).toBe("v123");
      expect(await rc.call("ZSCORE", "bigz", "new0")).toBeNull();
      expect(await rc.call("OBJECT", "ENCODING", "bigz")).toBe("skiplist");
      rc.close();
    } finally {
      await redis.stop();
    }
  }, 180000);
});

describe("save points, MISCONF, SHUTDOWN", () => {
  test("save <seconds> <changes> starts a BGSAVE; CONFIG GET/SET save", async () => {
    const dir = tmp();
    const [, c] = await start(dir, ["--save", "1 2"]);
    expect(await c.call("CONFIG", "GET", "save")).toEqual(["save", "1 2"]);
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "2");
    const deadline = Date.now() + 10000;
    while (!existsSync(join(dir, "dump.rdb")) && Date.now() < deadline) await Bun.sleep(50);
    await waitSaved(c);
    expect(readKeys(join(dir, "dump.rdb")).get("0/b")).toBe("2");
    const info = (await c.call("INFO", "persistence")) as string;
    expect(field(info, "rdb_changes_since_last_save")).toBe("0");
    expect(await c.call("CONFIG", "SET", "save", "bogus")).toMatchObject({
      message: expect.stringContaining("Invalid save parameters"),
    });
    expect(await c.call("CONFIG", "SET", "save", "")).toBe("OK");
    expect(await c.call("CONFIG", "GET", "save")).toEqual(["save", ""]);
    c.close();
  }, 30000);

  test("a failed BGSAVE with save points denies writes with MISCONF until a save works", async () => {
    const dir = tmp();
    const sub = join(dir, "sub");
    mkdirSync(sub);
    const [, c] = await start(sub, ["--save", "3600 1"]);
    await c.call("SET", "a", "1");
    rmSync(sub, { recursive: true }); // the temp file cannot be created now
    const r = await c.call("BGSAVE");
    const info = (await c.call("INFO", "persistence")) as string;
    expect([r, field(info, "rdb_last_bgsave_status")]).toMatchObject([expect.anything(), "err"]);
    const denied = (await c.call("SET", "b", "2")) as { message: string };
    expect(denied.message).toStartWith("MISCONF Redis is configured to save RDB snapshots");
    expect(await c.call("GET", "a")).toBe("1"); // reads still work
    expect(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")).toBe("OK");
    expect(await c.call("SET", "b", "2")).toBe("OK");
    expect(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")).toBe("OK");
    mkdirSync(sub);
    expect(await c.call("SAVE")).toBe("OK");
    expect(await c.call("SET", "c", "3")).toBe("OK");
    c.close();
  }, 30000);

  test("SHUTDOWN saves with save points, SHUTDOWN NOSAVE does not; SIGTERM saves", async () => {
    const dir = tmp();
    const [r, c] = await start(dir, ["--save", "3600 1000"]);
    await c.call("SET", "k", "v1");
    const t0 = Number(await c.call("LASTSAVE"));
    await c.pipeline([["SHUTDOWN"]]).catch(() => {});
    expect(await r.proc.exited).toBe(0);
    expect(readKeys(join(dir, "dump.rdb")).get("0/k")).toBe("v1");
    const [r2, c2] = await start(dir, ["--save", "3600 1000"]);
    expect(await c2.call("GET", "k")).toBe("v1");
    expect(Number(await c2.call("LASTSAVE"))).toBeGreaterThanOrEqual(t0);
    await c2.call("SET", "k", "v2");
    await c2.pipeline([["SHUTDOWN", "NOSAVE"]]).catch(() => {});
    expect(await r2.proc.exited).toBe(0);
    expect(readKeys(join(dir, "dump.rdb")).get("0/k")).toBe("v1");
    const [r3, c3] = await start(dir, ["--save", "3600 1000"]);
    await c3.call("SET", "k", "v3");
    r3.proc.kill("SIGTERM");
    expect(await r3.proc.exited).toBe(0);
    expect(readKeys(join(dir, "dump.rdb")).get("0/k")).toBe("v3");
    c.close();
    c2.close();
    c3.close();
  }, 60000);

  test("DEBUG RELOAD keeps the data; LASTSAVE moves; BGSAVE SCHEDULE", async () => {
    const dir = tmp();
    const [, c] = await start(dir);
    await c.call("SET", "a", "1");
    await c.call("PEXPIRE", "a", 100000);
    await c.call("ZADD", "z", 1, "x");
    expect(await c.call("DEBUG", "RELOAD")).toBe("OK");
    expect(await c.call("GET", "a")).toBe("1");
    expect(Number(await c.call("PTTL", "a"))).toBeGreaterThan(90000);
    expect(await c.call("ZSCORE", "z", "x")).toBe("1");
    expect(await c.call("BGSAVE", "SCHEDULE")).toBe("Background saving started");
    await waitSaved(c);
    expect(await c.call("BGSAVE", "NOW")).toMatchObject({ message: "ERR syntax error" });
    c.close();
  }, 30000);

  test("DEBUG RELOAD NOSAVE replaces the data with the file's; bad options and no file are errors", async () => {
    const dir = tmp();
    const [, c] = await start(dir);
    expect(await c.call("DEBUG", "RELOAD", "NOSAVE")).toMatchObject({
      message: "ERR Error trying to load the RDB dump: no such file",
    });
    await c.call("SET", "a", "saved");
    expect(await c.call("SAVE")).toBe("OK");
    await c.call("SET", "a", "not saved");
    await c.call("SET", "b", "not saved either");
    expect(await c.call("DEBUG", "RELOAD", "nosave")).toBe("OK");
    expect(await c.call("GET", "a")).toBe("saved");
    expect(await c.call("EXISTS", "b")).toBe(0);
    expect(await c.call("DEBUG", "RELOAD", "FOO")).toMatchObject({
      message: "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
    });
    expect(await c.call("DEBUG", "RELOAD", "NOFLUSH", "MERGE")).toMatchObject({
      message: "ERR DEBUG RELOAD MERGE and NOFLUSH are not supported by imds",
    });
    expect(await c.call("GET", "a")).toBe("saved");
    c.close();
  }, 30000);
});
