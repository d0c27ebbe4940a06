// DUMP payloads both ways against a real redis-server 7.0: Redis's DUMP of every encoding decodes
// to the right data with our reader, and our payloads RESTORE into Redis with the same data.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createDumpPayload,
  DUMP_ERR_VERSION_OR_CHECKSUM,
  decodeDumpPayload,
  type RdbValue,
} from "../../../src/persistence/rdb/index.ts";
import { RespConn } from "../../helpers/resp.ts";
import { type Running, redisMissing, startRedis } from "../../helpers/servers.ts";
import { b, canonFromRedis, canonValue, dumpFrom, latin1 } from "./helpers.ts";

const skip = redisMissing("RDB DUMP/RESTORE tests");

let redis: Running;
let c: RespConn;

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis(["--enable-debug-command", "yes"]);
  c = await RespConn.open(redis.port);
});
afterAll(async () => {
  c?.close();
  await redis?.stop();
});

const big = (n: number, seed: string) => {
  let s = "";
  let i = 0;
  while (s.length < n) s += `${seed}${i++ * 7919}:`;
  return s.slice(0, n);
};
const randomish = (n: number) => {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};

/** name -> [commands that build key "k", the OBJECT ENCODING expected] */
const cases: [string, (string | number | Uint8Array)[][], string][] = [
  ["int string", [["SET", "k", "12345"]], "int"],
  ["negative int string", [["SET", "k", "-2147483648"]], "int"],
  ["int beyond int32", [["SET", "k", "9007199254740993"]], "int"],
  ["embstr", [["SET", "k", "hello world"]], "embstr"],
  ["raw compressible (LZF)", [["SET", "k", big(5000, "abc")]], "raw"],
  ["raw incompressible", [["SET", "k", randomish(3000)]], "raw"],
  [
    "binary with NUL and high bytes",
    [["SET", "k", new Uint8Array([0, 255, 13, 10, 0, 128])]],
    "embstr",
  ],
  [
    "listpack zset",
    [["ZADD", "k", 1, "a", 2.5, "b", -3, "c", "inf", "d", "-inf", "e", 1e300, "f", 0.1, "g"]],
    "listpack",
  ],
  [
    "skiplist zset",
    [["ZADD", "k", ...Array.from({ length: 300 }, (_, i) => [i * 1.5 - 100, `m${i}`]).flat()]],
    "skiplist",
  ],
  ["skiplist zset (long member)", [["ZADD", "k", 1, "x".repeat(100), 2, "y"]], "skiplist"],
  [
    "listpack hash",
    [["HSET", "k", "f1", "v1", "f2", "123", "n", "-77", "big", "12345678901234"]],
    "listpack",
  ],
  [
    "hashtable hash",
    [["HSET", "k", ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat()]],
    "hashtable",
  ],
  ["hashtable hash (long value)", [["HSET", "k", "f", "v".repeat(100), "g", "1"]], "hashtable"],
  ["intset", [["SADD", "k", 1, 2, 3, -40000, 70000, 5000000000]], "intset"],
  ["hashtable set", [["SADD", "k", "a", "b", "1", "c"]], "hashtable"],
  [
    "big intset -> hashtable",
    [["SADD", "k", ...Array.from({ length: 600 }, (_, i) => i)]],
    "hashtable",
  ],
  [
    "small list (7.0 lists are always quicklists)",
    [["RPUSH", "k", "a", "1", "-5", "bbb", "", "9223372036854775807"]],
    "quicklist",
  ],
  [
    "quicklist list, many nodes",
    [["RPUSH", "k", ...Array.from({ length: 3000 }, (_, i) => `element-${i}`)]],
    "quicklist",
  ],
  [
    "quicklist list, huge elements",
    [["RPUSH", "k", "small", big(20000, "h"), randomish(70000), "tail"]],
    "quicklist",
  ],
  [
    "quicklist with PLAIN nodes",
    [
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"],
      ["RPUSH", "k", "a", big(500, "p"), "b", randomish(300)],
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1073741824"],
    ],
    "quicklist",
  ],
  [
    "compressed quicklist (list-compress-depth 1)",
    [
      ["CONFIG", "SET", "list-compress-depth", "1"],
      ["RPUSH", "k", ...Array.from({ length: 5000 }, (_, i) => `zz-${i % 50}`)],
      ["CONFIG", "SET", "list-compress-depth", "0"],
    ],
    "quicklist",
  ],
  [
    "stream with groups and PEL",
    [
      ["XADD", "k", "1-1", "a", "1", "b", "2"],
      ["XADD", "k", "1-2", "a", "3", "b", "4"],
      ["XADD", "k", "2-0", "other", "x"],
      ["XADD", "k", "3-0", "a", "5", "b", "6", "c", "7"],
      ["XADD", "k", "18446744073709551614-18446744073709551615", "a", "big"],
      ["XDEL", "k", "1-2"],
      ["XGROUP", "CREATE", "k", "g1", "0"],
      ["XGROUP", "CREATE", "k", "g2", "$"],
      ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "k", ">"],
      ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "k", ">"],
      ["XGROUP", "CREATECONSUMER", "k", "g2", "carol"],
    ],
    "stream",
  ],
  [
    "stream with many nodes",
    [
      ...Array.from({ length: 450 }, (_, i) => [
        "XADD",
        "k",
        `${1000 + i}-0`,
        "f",
        `v${i}`,
        "g",
        i % 3 === 0 ? "same" : big(40, "q"),
      ]),
      ["XADD", "k", "5000-0", "different", "fields"],
      ["XTRIM", "k", "MINID", "1100"],
    ],
    "stream",
  ],
  ["empty stream (MKSTREAM)", [["XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"]], "stream"],
];

describe.skipIf(skip)("DUMP from redis-server -> our reader", () => {
  for (const [name, cmds, encoding] of cases) {
    test(name, async () => {
      await c.values([["DEL", "k"]]);
      const rs = await c.values(cmds);
      for (const r of rs) expect(String(r)).not.toStartWith("ERR");
      expect((await c.values([["OBJECT", "ENCODING", "k"]]))[0]).toBe(encoding);
      const payload = await dumpFrom(c, "k");
      const got = decodeDumpPayload(payload);
      if (!got.ok) throw new Error(got.error);
      expect(canonValue(got.value)).toEqual(await canonFromRedis(c, "k"));
    });
  }
});

describe.skipIf(skip)("our DUMP payload -> RESTORE into redis-server", () => {
  for (const [name, cmds] of cases) {
    test(name, async () => {
      await c.values([["DEL", "k", "k2"]]);
      await c.values(cmds);
      const theirs = decodeDumpPayload(await dumpFrom(c, "k"));
      if (!theirs.ok) throw new Error(theirs.error);
      const ours = createDumpPayload(theirs.value);
      const [r] = await c.values([["RESTORE", "k2", 0, ours]]);
      expect(r).toBe("OK");
      expect(await canonFromRedis(c, "k2")).toEqual(await canonFromRedis(c, "k"));
    });
  }

  test("values built from plain data, in the encodings Redis would pick", async () => {
    const values: [RdbValue, string][] = [
      [{ type: "string", bytes: b("42") }, "int"],
      [{ type: "string", bytes: b("x".repeat(1000)) }, "raw"],
      [{ type: "list", items: Array.from({ length: 2000 }, (_, i) => b(`i${i}`)) }, "quicklist"],
      [{ type: "set", members: [b("1"), b("-5"), b("99999999999")] }, "intset"],
      [{ type: "set", members: [b("1"), b("a")] }, "hashtable"],
      [{ type: "set", members: Array.from({ length: 513 }, (_, i) => b(String(i))) }, "hashtable"],
      [
        {
          type: "zset",
          entries: [
            [b("a"), 1],
            [b("b"), 2.5],
            [b("c"), -0.1],
            [b("d"), Infinity],
          ],
        },
        "listpack",
      ],
      [
        {
          type: "zset",
          entries: Array.from({ length: 129 }, (_, i) => [b(`m${i}`), i] as [Uint8Array, number]),
        },
        "skiplist",
      ],
      [
        {
          type: "hash",
          entries: [
            [b("f"), b("v")],
            [b("n"), b("10")],
          ],
        },
        "listpack",
      ],
      [{ type: "hash", entries: [[b("f"), b("v".repeat(65))]] }, "hashtable"],
    ];
    for (const [v, encoding] of values) {
      await c.values([["DEL", "k2"]]);
      const [r] = await c.values([["RESTORE", "k2", 0, createDumpPayload(v)]]);
      expect(r).toBe("OK");
      expect((await c.values([["OBJECT", "ENCODING", "k2"]]))[0]).toBe(encoding);
      expect(await canonFromRedis(c, "k2")).toEqual(canonValue(v));
    }
  });

  test("bad checksum and newer version: both sides give Redis's error", async () => {
    const p = createDumpPayload({ type: "string", bytes: b("hello") });
    const badCrc = p.slice();
    badCrc[badCrc.length - 1]! ^= 1;
    const newer = p.slice();
    newer[newer.length - 10] = 11;
    for (const bad of [badCrc, newer, p.subarray(0, 9)]) {
      const [r] = await c.values([["RESTORE", "k3", 0, bad]]);
      expect(String(r)).toBe(DUMP_ERR_VERSION_OR_CHECKSUM);
      const ours = decodeDumpPayload(bad);
      expect(ours.ok ? "ok" : ours.error).toBe(DUMP_ERR_VERSION_OR_CHECKSUM);
    }
    expect(latin1(p.subarray(p.length - 10, p.length - 8))).toBe("\x0a\x00");
  });
});
