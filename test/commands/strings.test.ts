// String command semantics the differential test cannot see: TTL bookkeeping, keyspace
// statistics, the proto-max-bulk-len bound, int64 edges, and the reply types per protocol.
// (Reply bytes for random streams are compared with redis-server in test/differential.)

import { describe, expect, test } from "bun:test";
import { MODE_RESP2, MODE_RESP3 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import type { RespError } from "../helpers/resp.ts";

const enc = new TextEncoder();

function ttlOf(p: InProc, key: string): number {
  const t = p.server.keyspace.db(0);
  const k = enc.encode(key);
  const e = t.find(k, 0, k.length);
  if (e < 0) return -2;
  const at = t.expireAt[e]!;
  return at === 0 ? -1 : at - p.server.keyspace.now;
}

describe("TTL bookkeeping", () => {
  test("SET EX/PX/EXAT/PXAT set it, a plain SET clears it, KEEPTTL keeps it", () => {
    const p = new InProc(MODE_RESP2);
    expect(p.call("SET", "k", "v", "EX", "100")).toBe("OK");
    expect(ttlOf(p, "k")).toBeGreaterThan(99_000);
    expect(ttlOf(p, "k")).toBeLessThanOrEqual(100_000);
    expect(p.call("SET", "k", "v2", "KEEPTTL")).toBe("OK");
    expect(ttlOf(p, "k")).toBeGreaterThan(99_000);
    expect(p.call("SET", "k", "v3")).toBe("OK");
    expect(ttlOf(p, "k")).toBe(-1);
    p.call("SET", "k", "v", "PX", "5000");
    expect(ttlOf(p, "k")).toBeGreaterThan(4_000);
    p.call("SET", "k", "v", "PXAT", "4000000000000");
    expect(p.server.keyspace.db(0).expireAt[0]).toBe(4000000000000);
    p.call("SET", "k", "v", "EXAT", "4000000000");
    expect(p.server.keyspace.db(0).expireAt[0]).toBe(4000000000000);
    // a time in the past: set, then gone at the next access
    expect(p.call("SET", "k", "v", "PXAT", "1")).toBe("OK");
    expect(p.call("GET", "k")).toBe(null);
  });

  test("which commands keep the TTL and which clear it (as Redis)", () => {
    const p = new InProc(MODE_RESP2);
    const keeps = [
      ["INCR", "n"],
      ["INCRBY", "n", "5"],
      ["DECR", "n"],
      ["INCRBYFLOAT", "n", "1.5"],
      ["APPEND", "n", "0"],
      ["SETRANGE", "n", "0", "7"],
      ["SET", "n", "1", "KEEPTTL"],
      ["SET", "n", "1", "XX", "KEEPTTL"],
      ["GETEX", "n"],
    ];
    for (const cmd of keeps) {
      p.call("SET", "n", "10", "EX", "100");
      p.call(...cmd);
      expect(ttlOf(p, "n"), cmd.join(" ")).toBeGreaterThan(0);
    }
    const clears = [
      ["SET", "n", "1"],
      ["GETSET", "n", "1"],
      ["MSET", "n", "1"],
      ["SET", "n", "1", "GET"],
      ["GETEX", "n", "PERSIST"],
    ];
    for (const cmd of clears) {
      p.call("SET", "n", "10", "EX", "100");
      p.call(...cmd);
      expect(ttlOf(p, "n"), cmd.join(" ")).toBe(-1);
    }
    // GETEX EXAT in the past deletes the key after replying with it
    p.call("SET", "n", "10");
    expect(p.call("GETEX", "n", "EXAT", "1")).toBe("10");
    expect(ttlOf(p, "n")).toBe(-2);
    // SETEX / PSETEX
    p.call("SETEX", "s", "50", "v");
    expect(ttlOf(p, "s")).toBeGreaterThan(49_000);
    p.call("PSETEX", "s", "1500", "v");
    expect(ttlOf(p, "s")).toBeLessThanOrEqual(1500);
  });

  test("invalid expire times name the command", () => {
    const p = new InProc(MODE_RESP2);
    const err = (cmd: string[]) => (p.call(...cmd) as RespError).message;
    expect(err(["SET", "k", "v", "EX", "0"])).toBe("ERR invalid expire time in 'set' command");
    expect(err(["SETEX", "k", "-1", "v"])).toBe("ERR invalid expire time in 'setex' command");
    expect(err(["PSETEX", "k", "0", "v"])).toBe("ERR invalid expire time in 'psetex' command");
    p.call("SET", "k", "v");
    expect(err(["GETEX", "k", "PX", "0"])).toBe("ERR invalid expire time in 'getex' command");
    expect(err(["SET", "k", "v", "EX", "9223372036854776"])).toBe(
      "ERR invalid expire time in 'set' command",
    );
    expect(p.call("SET", "k", "v", "EXAT", "9223372036854775")).toBe("OK");
    expect(err(["SET", "k", "v", "EX", "1.5"])).toBe("ERR value is not an integer or out of range");
    expect(err(["SET", "k", "v", "EX", "10", "KEEPTTL"])).toBe("ERR syntax error");
  });
});

test("keyspace hits and misses are counted for reads only, like Redis", () => {
  const p = new InProc(MODE_RESP2);
  const s = p.server.keyspace;
  p.call("SET", "a", "1"); // write: not counted
  p.call("INCR", "a"); // write lookup: not counted
  expect([s.hits, s.misses]).toEqual([0, 0]);
  p.call("GET", "a");
  p.call("GET", "nope");
  p.call("MGET", "a", "nope", "a");
  p.call("STRLEN", "a");
  p.call("EXISTS", "a", "nope");
  expect([s.hits, s.misses]).toEqual([5, 3]);
  p.call("ZADD", "nothing"); // unknown or arity error: nothing counted
  p.call("SET", "a", "x", "GET"); // GET option reads
  p.call("GETDEL", "a");
  p.call("GETDEL", "a");
  expect([s.hits, s.misses]).toEqual([7, 4]);
});

describe("limits", () => {
  test("APPEND and SETRANGE stop at proto-max-bulk-len, exactly", () => {
    const p = new InProc(MODE_RESP2, (c) => c.set("proto-max-bulk-len", "1mb", true));
    const max = 1024 * 1024;
    const TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    expect(p.call("SETRANGE", "s", String(max - 1), "x")).toBe(max);
    expect((p.call("APPEND", "s", "y") as RespError).message).toBe(TOO_BIG);
    expect((p.call("SETRANGE", "s", String(max), "y") as RespError).message).toBe(TOO_BIG);
    expect((p.call("SETRANGE", "new", String(max - 1), "yy") as RespError).message).toBe(TOO_BIG);
    expect(p.call("EXISTS", "new")).toBe(0);
    expect(p.call("STRLEN", "s")).toBe(max);
    expect(p.call("SETRANGE", "s", String(max + 100), "")).toBe(max); // nothing to write
    expect(p.call("APPEND", "t", "a".repeat(1000))).toBe(1000);
    expect(p.call("APPEND", "t", "b".repeat(max - 1000))).toBe(max);
    // the zero-filled gap and the bytes written land where they should
    expect(p.call("GETRANGE", "s", String(max - 3), "-1")).toBe("\0\0x");
  });

  test("INCR family at the int64 edges", () => {
    const p = new InProc(MODE_RESP2);
    p.call("SET", "n", "9223372036854775806");
    expect(p.call("INCR", "n")).toBe(9223372036854775807n);
    expect((p.call("INCR", "n") as RespError).message).toBe(
      "ERR increment or decrement would overflow",
    );
    expect(p.call("GET", "n")).toBe("9223372036854775807");
    expect(p.call("INCRBY", "n", "-9223372036854775807")).toBe(0);
    expect(p.call("DECRBY", "n", "9223372036854775807")).toBe(-9223372036854775807n);
    expect(p.call("DECR", "n")).toBe(-9223372036854775808n);
    expect((p.call("DECR", "n") as RespError).message).toBe(
      "ERR increment or decrement would overflow",
    );
    expect((p.call("DECRBY", "x", "-9223372036854775808") as RespError).message).toBe(
      "ERR decrement would overflow",
    );
    // crossing 2^53 both ways stays exact
    p.call("SET", "m", "9007199254740991");
    expect(p.call("INCR", "m")).toBe(9007199254740992n);
    expect(p.call("INCR", "m")).toBe(9007199254740993n);
    expect(p.call("DECRBY", "m", "2")).toBe(9007199254740991);
    expect(p.call("GET", "m")).toBe("9007199254740991");
  });
});

test("reply types in RESP3: strings are bulk, counts are integers, absent is null", () => {
  const p = new InProc(MODE_RESP3);
  expect(p.raw("SET", "k", "1")).toBe("+OK\r\n");
  expect(p.raw("GET", "nope")).toBe("_\r\n");
  expect(p.raw("INCR", "k")).toBe(":2\r\n");
  expect(p.raw("INCRBYFLOAT", "k", "0.5")).toBe("$3\r\n2.5\r\n");
  expect(p.raw("MGET", "k", "nope")).toBe("*2\r\n$3\r\n2.5\r\n_\r\n");
  expect(p.raw("SET", "k", "v", "NX")).toBe("_\r\n");
  expect(p.raw("SETNX", "k", "v")).toBe(":0\r\n");
});

test("LCS: the documented example, and the transient memory bound", () => {
  const p = new InProc(MODE_RESP2, (c) => c.set("proto-max-bulk-len", "1mb", true));
  p.call("MSET", "key1", "ohmytext", "key2", "mynewtext");
  expect(p.call("LCS", "key1", "key2")).toBe("mytext");
  expect(p.call("LCS", "key1", "key2", "LEN")).toBe(6);
  expect(p.call("LCS", "key1", "key2", "IDX")).toEqual([
    "matches",
    [
      [
        [4, 7],
        [5, 8],
      ],
      [
        [2, 3],
        [0, 1],
      ],
    ],
    "len",
    6,
  ]);
  expect(p.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")).toEqual([
    "matches",
    [[[4, 7], [5, 8], 4]],
    "len",
    6,
  ]);
  // (alen+1)*(blen+1)*4 bytes may not exceed proto-max-bulk-len (1 MB here): 511^2*4 fits
  p.call("SET", "a", "x".repeat(510));
  p.call("SET", "b", "x".repeat(510));
  expect(p.call("LCS", "a", "b", "LEN")).toBe(510);
  p.call("SET", "b", "x".repeat(600));
  expect((p.call("LCS", "a", "b") as RespError).message).toBe(
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
  );
});
