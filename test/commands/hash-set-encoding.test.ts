// Hash and set encodings against a real redis-server 7.0: the same commands on both, at and past
// every conversion bound (hash-max-listpack-entries/value, set-max-intset-entries, canonical
// integers, results of the set algebra, runtime CONFIG SET), comparing OBJECT ENCODING and the
// replies. Hashtable iteration order is Redis's own, so those replies compare sorted.

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { parseReply } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("hash/set encodings vs redis-server");

const servers = serverPair({ skip, connect: true });

const range = (n: number, f: (i: number) => string[]) =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

/** Scenarios: commands run in order on both servers; every reply is compared. */
const scenarios: string[][][] = [
  [
    ["HSET", "h", ...range(512, (i) => [`f${i}`, `v${i}`])],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSET", "h", ...range(513, (i) => [`f${i}`, `v${i}`])],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSET", "h", ...range(511, (i) => [`f${i}`, `v${i}`])],
    ["HSETNX", "h", "new", "x"],
    ["OBJECT", "ENCODING", "h"],
    ["HSETNX", "h", "new2", "x"],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSET", "h", "f", "x".repeat(64)],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSET", "h", "f", "x".repeat(65)],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSET", "h", "f".repeat(65), "x"],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSETNX", "h", "f", "x".repeat(65)],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HINCRBYFLOAT", "h", "f".repeat(65), "1"],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HSET", "h", "f", "1e60"],
    ["HINCRBYFLOAT", "h", "f", "1"],
    ["OBJECT", "ENCODING", "h"],
  ],
  [
    ["HINCRBY", "h", "f".repeat(64), "1"],
    ["OBJECT", "ENCODING", "h"],
    ["HGETALL", "h"],
  ],
  [
    ["HSET", "h", "a", "1", "b", "2"],
    ["HDEL", "h", "a"],
    ["HSET", "h", "c", "3", "a", "4"],
    ["HGETALL", "h"],
    ["HSCAN", "h", "0"],
    ["HKEYS", "h"],
    ["HRANDFIELD", "h", "10", "WITHVALUES"],
  ],
  [
    ["SADD", "s", ...range(512, (i) => [String(i)])],
    ["OBJECT", "ENCODING", "s"],
  ],
  [
    ["SADD", "s", ...range(513, (i) => [String(i)])],
    ["OBJECT", "ENCODING", "s"],
  ],
  [
    ["SADD", "s", "1", "-0"],
    ["OBJECT", "ENCODING", "s"],
  ],
  [
    ["SADD", "s", "+1"],
    ["OBJECT", "ENCODING", "s"],
  ],
  [
    ["SADD", "s", "9223372036854775807", "-9223372036854775808"],
    ["OBJECT", "ENCODING", "s"],
    ["SMEMBERS", "s"],
  ],
  [
    ["SADD", "s", "9223372036854775808"],
    ["OBJECT", "ENCODING", "s"],
  ],
  [
    ["SADD", "s", "a", "1"],
    ["SREM", "s", "a"],
    ["OBJECT", "ENCODING", "s"],
  ],
  [
    ["SADD", "a", "1", "x", "2", "3"],
    ["SADD", "b", "2", "3", "4"],
    ["SINTERSTORE", "d", "a", "b"],
    ["OBJECT", "ENCODING", "d"],
    ["SMEMBERS", "d"],
    ["SDIFFSTORE", "d", "a", "b"],
    ["OBJECT", "ENCODING", "d"],
    ["SUNIONSTORE", "d", "b", "b"],
    ["OBJECT", "ENCODING", "d"],
    ["SUNION", "b", "d"],
    ["SDIFF", "a", "x"],
    ["SMOVE", "a", "new", "x"],
    ["OBJECT", "ENCODING", "new"],
    ["SMOVE", "b", "new2", "4"],
    ["OBJECT", "ENCODING", "new2"],
    ["ZINTERSTORE", "z", "2", "a", "b"],
    ["OBJECT", "ENCODING", "z"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ],
  [
    ["SADD", "a", ...range(600, (i) => [String(i)])],
    ["SADD", "b", "1"],
    ["SDIFFSTORE", "d", "a", "b"],
    ["OBJECT", "ENCODING", "d"],
    ["SINTERSTORE", "d", "a", "a"],
    ["OBJECT", "ENCODING", "d"],
    ["SCARD", "d"],
  ],
  [
    ["CONFIG", "SET", "hash-max-listpack-entries", "3"],
    ["CONFIG", "SET", "hash-max-listpack-value", "4"],
    ["CONFIG", "SET", "set-max-intset-entries", "2"],
    ["HSET", "h", "a", "1", "b", "2", "c", "3"],
    ["OBJECT", "ENCODING", "h"],
    ["HSET", "h", "d", "4"],
    ["OBJECT", "ENCODING", "h"],
    ["HSET", "h2", "a", "12345"],
    ["OBJECT", "ENCODING", "h2"],
    ["SADD", "s", "1", "2"],
    ["OBJECT", "ENCODING", "s"],
    ["SADD", "s", "3"],
    ["OBJECT", "ENCODING", "s"],
    ["SADD", "a", "1", "2", "3"],
    ["SINTERSTORE", "d", "a", "a"],
    ["OBJECT", "ENCODING", "d"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
    ["CONFIG", "SET", "hash-max-listpack-value", "64"],
    ["CONFIG", "SET", "set-max-intset-entries", "512"],
  ],
];

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/** A reply as text; a hashtable's element order is Redis's own, so arrays compare sorted. */
function normal(b: Uint8Array, sorted: boolean): string {
  if (!sorted) return latin1(b);
  const v = parseReply(b, 0, true)![0];
  return Array.isArray(v) ? JSON.stringify(v.map((x) => JSON.stringify(x)).sort()) : latin1(b);
}

test.skipIf(skip)("OBJECT ENCODING and replies match redis-server at every bound", async () => {
  for (const cmds of scenarios) {
    await Promise.all([
      servers.redisConn.pipeline([["FLUSHALL"]]),
      servers.imdsConn.pipeline([["FLUSHALL"]]),
    ]);
    const [ra, rb] = await Promise.all([
      servers.redisConn.pipeline(cmds),
      servers.imdsConn.pipeline(cmds),
    ]);
    let hashtable = false;
    for (let i = 0; i < cmds.length; i++) {
      const a = normal(ra[i]!.bytes, hashtable);
      const b = normal(rb[i]!.bytes, hashtable);
      expect(`${cmds[i]!.join(" ").slice(0, 60)} -> ${b}`).toBe(
        `${cmds[i]!.join(" ").slice(0, 60)} -> ${a}`,
      );
      if (a.includes("hashtable")) hashtable = true;
    }
  }
});
