// Whole RDB files both ways against a real redis-server 7.0 and redis-check-rdb:
//  - our writer's dump.rdb (every type, TTLs, LRU idle, several dbs, a function) is accepted by
//    redis-check-rdb and a redis-server started on it holds the same data;
//  - redis-server's SAVE (DEBUG POPULATE plus every type) is read fully by our reader, streaming
//    from the file, and matches what the server reports.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RdbValue,
  RdbWriter,
  readRdb,
  readRdbFile,
} from "../../../src/persistence/rdb/index.ts";
import { RespConn } from "../../helpers/resp.ts";
import { type Running, redisMissing, startRedis } from "../../helpers/servers.ts";
import { b, canonFromRedis, canonValue, latin1 } from "./helpers.ts";

const skip = redisMissing("RDB file tests");
const dirs: string[] = [];
const running: Running[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "imds-rdb-"));
  dirs.push(d);
  return d;
}

afterAll(async () => {
  for (const r of running) await r.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startOn(dir: string, extra: string[] = []): Promise<[Running, RespConn]> {
  const r = await startRedis([
    "--dir",
    dir,
    "--dbfilename",
    "dump.rdb",
    "--enable-debug-command",
    "yes",
    ...extra,
  ]);
  running.push(r);
  return [r, await RespConn.open(r.port)];
}

function checkRdb(path: string): { code: number; out: string } {
  const p = Bun.spawnSync(["redis-check-rdb", path], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString() + p.stderr.toString() };
}

const LIB = "#!lua name=rdblib\nredis.register_function('rdbf', function() return 7 end)";

/** db -> key -> [value, expireMs, idleSec] */
function dataset(): Map<number, [string, RdbValue, number, number][]> {
  const future = Date.now() + 3_600_000;
  const stream: RdbValue = {
    type: "stream",
    entries: [
      { id: { ms: 1n, seq: 0n }, fields: [b("a"), b("1"), b("b"), b("2")] },
      { id: { ms: 1n, seq: 1n }, fields: [b("a"), b("3"), b("b"), b("4")] },
      { id: { ms: 5n, seq: 0n }, fields: [b("z"), b("x".repeat(300))] },
    ],
    length: 3,
    lastId: { ms: 9n, seq: 0n },
    firstId: { ms: 1n, seq: 0n },
    maxDeletedId: { ms: 7n, seq: 0n },
    entriesAdded: 5,
    groups: [
      {
        name: b("grp"),
        lastId: { ms: 1n, seq: 1n },
        entriesRead: 2,
        pending: [
          {
            id: { ms: 1n, seq: 0n },
            consumer: b("alice"),
            deliveryTimeMs: 1700000000123,
            deliveryCount: 2,
          },
          {
            id: { ms: 1n, seq: 1n },
            consumer: b("bob"),
            deliveryTimeMs: 1700000000456,
            deliveryCount: 1,
          },
        ],
        consumers: [
          { name: b("alice"), seenTimeMs: 1700000000999 },
          { name: b("bob"), seenTimeMs: 1700000000888 },
          { name: b("idle"), seenTimeMs: 1700000000777 },
        ],
      },
      { name: b("empty"), lastId: { ms: 0n, seq: 0n }, entriesRead: 0, pending: [], consumers: [] },
    ],
  };
  const bigList = Array.from({ length: 5000 }, (_, i) => b(`item-${i}-${"p".repeat(i % 40)}`));
  return new Map([
    [
      0,
      [
        ["s:int", { type: "string", bytes: b("123456") }, -1, -1],
        ["s:raw", { type: "string", bytes: b("compress me ".repeat(100)) }, future, -1],
        ["s:bin", { type: "string", bytes: new Uint8Array([0, 1, 2, 255, 254]) }, -1, 1000],
        ["l:small", { type: "list", items: [b("a"), b("-1"), b("")] }, -1, -1],
        ["l:big", { type: "list", items: bigList }, future + 5, -1],
        ["set:int", { type: "set", members: [b("3"), b("1"), b("2")] }, -1, -1],
        ["set:str", { type: "set", members: [b("x"), b("y")] }, -1, -1],
        [
          "z:lp",
          {
            type: "zset",
            entries: [
              [b("m"), 2],
              [b("n"), -1.5],
            ],
          },
          -1,
          -1,
        ],
        [
          "z:sl",
          {
            type: "zset",
            entries: Array.from(
              { length: 200 },
              (_, i) => [b(`m${i}`), i / 7] as [Uint8Array, number],
            ),
          },
          -1,
          -1,
        ],
        [
          "h:lp",
          {
            type: "hash",
            entries: [
              [b("f"), b("1")],
              [b("g"), b("two")],
            ],
          },
          -1,
          -1,
        ],
        [
          "h:ht",
          {
            type: "hash",
            entries: Array.from(
              { length: 600 },
              (_, i) => [b(`f${i}`), b(`v${i}`)] as [Uint8Array, Uint8Array],
            ),
          },
          -1,
          -1,
        ],
        ["st", stream, -1, -1],
      ],
    ],
    [3, [["db3key", { type: "string", bytes: b("three") }, future, -1]]],
    [
      15,
      [
        ["last", { type: "list", items: [b("fifteen")] }, -1, -1],
        ["h", { type: "hash", entries: [[b("k"), b("v")]] }, -1, -1],
      ],
    ],
  ]);
}

describe.skipIf(skip)("our writer -> redis-check-rdb and redis-server", () => {
  for (const compression of [true, false]) {
    for (const checksum of [true, false]) {
      test(`rdbcompression ${compression}, rdbchecksum ${checksum}`, async () => {
        const dir = tmp();
        const path = join(dir, "dump.rdb");
        const chunks: Uint8Array[] = [];
        const w = new RdbWriter({
          compression,
          checksum,
          chunkBytes: 4096,
          sink: (c) => chunks.push(c.slice()),
        });
        w.writeHeader();
        w.writeStandardAux({ usedMem: 1234567 });
        w.writeFunction(LIB);
        const data = dataset();
        for (const [db, keys] of data) {
          w.writeSelectDb(db);
          w.writeResizeDb(keys.length, keys.filter((k) => k[2] >= 0).length);
          for (const [k, v, expireMs, idleSec] of keys) w.writeKey(b(k), v, { expireMs, idleSec });
        }
        expect(w.finish()).toBeNull();
        writeFileSync(path, Buffer.concat(chunks));
        expect(chunks.length).toBeGreaterThan(3); // really streamed in bounded chunks

        const chk = checkRdb(path);
        expect(chk.out).toContain("RDB looks OK");
        expect(chk.code).toBe(0);

        const [, c] = await startOn(dir);
        try {
          for (const [db, keys] of data) {
            await c.values([["SELECT", db]]);
            expect((await c.values([["DBSIZE"]]))[0]).toBe(keys.length);
            for (const [k, v, expireMs, idleSec] of keys) {
              // OBJECT IDLETIME first: reading the value resets the LRU clock
              const [pttl, idle] = await c.values([
                ["PEXPIRETIME", k],
                ["OBJECT", "IDLETIME", k],
              ]);
              expect(await canonFromRedis(c, k)).toEqual(canonValue(v));
              expect(pttl).toBe(expireMs >= 0 ? expireMs : -1);
              if (idleSec >= 0) expect(idle as number).toBeGreaterThanOrEqual(idleSec);
            }
          }
          await c.values([["SELECT", 0]]);
          expect((await c.values([["OBJECT", "ENCODING", "set:int"]]))[0]).toBe("intset");
          expect((await c.values([["OBJECT", "ENCODING", "z:sl"]]))[0]).toBe("skiplist");
          expect((await c.values([["OBJECT", "ENCODING", "h:lp"]]))[0]).toBe("listpack");
          expect((await c.values([["FCALL", "rdbf", 0]]))[0]).toBe(7);
          // and the file Redis writes back from it reads the same with our reader
          await c.values([["SAVE"]]);
          const keysBack = new Map<string, unknown>();
          const r = readRdbFile(path, {
            onKey: (db, key, value) => keysBack.set(`${db}/${latin1(key)}`, canonValue(value)),
            onFunction: () => {},
          });
          expect(r.keys).toBe([...data.values()].reduce((n, k) => n + k.length, 0));
          for (const [db, keys] of data) {
            for (const [k, v] of keys) expect(keysBack.get(`${db}/${k}`)).toEqual(canonValue(v));
          }
        } finally {
          c.close();
        }
      });
    }
  }
});

describe.skipIf(skip)("redis-server SAVE -> our reader", () => {
  test("DEBUG POPULATE plus every type, TTLs, LFU, several dbs", async () => {
    const dir = tmp();
    const [, c] = await startOn(dir, ["--maxmemory-policy", "allkeys-lfu"]);
    try {
      await c.values([
        ["DEBUG", "POPULATE", 20000, "pop", 16],
        ["SET", "s:lzf", "y".repeat(2000)],
        ["SET", "s:ttl", "v", "PX", 3_600_000],
        ["RPUSH", "l", ...Array.from({ length: 1000 }, (_, i) => `e${i}`)],
        ["SADD", "si", 1, 2, 3],
        ["SADD", "ss", "a", "b"],
        ["ZADD", "zl", 1, "a", 2, "b"],
        ["ZADD", "zs", ...Array.from({ length: 200 }, (_, i) => [i, `m${i}`]).flat()],
        ["HSET", "hl", "a", "1"],
        ["HSET", "hh", "a", "x".repeat(100)],
        ["XADD", "st", "*", "f", "v"],
        ["XGROUP", "CREATE", "st", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">"],
        ["FUNCTION", "LOAD", LIB],
        ["SELECT", 7],
        ["SET", "in7", "seven", "EX", 1000],
        ["HSET", "h7", "x", "y"],
        ["SELECT", 0],
      ]);
      for (let i = 0; i < 20; i++) await c.values([["GET", "s:lzf"]]); // raise its LFU counter
      expect((await c.values([["SAVE"]]))[0]).toBe("OK");

      const seen = new Map<string, { value: RdbValue; expireMs: number; freq: number }>();
      const aux = new Map<string, string>();
      const functions: string[] = [];
      const dbs: number[] = [];
      const res = readRdbFile(
        join(dir, "dump.rdb"),
        {
          onAux: (k, v) => aux.set(latin1(k), latin1(v)),
          onSelectDb: (db) => dbs.push(db),
          onFunction: (code) => functions.push(latin1(code)),
          onKey: (db, key, value, expireMs, _idle, freq) =>
            seen.set(`${db}/${latin1(key)}`, { value, expireMs, freq }),
        },
        { chunkBytes: 4096 },
      );
      expect(res.version).toBe(10);
      expect(res.checksumVerified).toBe(true);
      expect(dbs).toEqual([0, 7]);
      expect(aux.get("redis-ver")).toBe("7.0.15");
      expect(aux.get("redis-bits")).toBe("64");
      expect(functions).toEqual([LIB]);
      expect(res.keys).toBe(20000 + 12);

      for (const db of [0, 7]) {
        await c.values([["SELECT", db]]);
        let cursor = "0";
        let n = 0;
        do {
          const [[next, keys]] = (await c.values([["SCAN", cursor, "COUNT", 1000]])) as [
            [string, string[]],
          ];
          cursor = next;
          for (const k of keys) {
            const got = seen.get(`${db}/${k}`);
            expect(got).toBeDefined();
            if (!k.startsWith("pop:") || n++ % 500 === 0) {
              expect(canonValue(got!.value)).toEqual(await canonFromRedis(c, k));
            }
            const [pexp, freq] = await c.values([
              ["PEXPIRETIME", k],
              ["OBJECT", "FREQ", k],
            ]);
            expect(got!.expireMs).toBe(pexp as number);
            expect(got!.freq).toBeGreaterThanOrEqual(0);
            void freq;
          }
        } while (cursor !== "0");
      }
      expect(seen.get("0/s:lzf")!.freq).toBeGreaterThan(5);
      // the same file read from memory gives the same result
      const again = readRdb(new Uint8Array(readFileSync(join(dir, "dump.rdb"))), {
        onKey: () => {},
        onFunction: () => {},
      });
      expect(again.keys).toBe(res.keys);
      expect(again.bytes).toBe(res.bytes);
    } finally {
      c.close();
    }
  });
});
