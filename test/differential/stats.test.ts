// Keyspace statistics: after a random stream of string, key, expiry, sorted set, hash and set commands, INFO's keyspace_hits
// and keyspace_misses must equal redis-server's, i.e. every read lookup is counted exactly as
// Redis's lookupKeyRead counts it (and write lookups are not). Families join STATS_FAMILIES once
// their commands count lookups the same way.

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { Prng } from "../helpers/prng.ts";
import { parseReply, type RespConn } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";
import { expireFamily } from "./families/expire.ts";
import { hashFamily } from "./families/hash.ts";
import { keysFamily } from "./families/keys.ts";
import { setFamily } from "./families/set.ts";
import { stringsFamily } from "./families/strings.ts";
import { zsetFamily } from "./families/zset.ts";
import type { Arg, Family } from "./gen.ts";
import { commandStream } from "./stream.ts";

/**
 * Read commands whose replies differ between the servers (relative TTLs, random members), so
 * the reply comparison (diff.test.ts) leaves them out; only their lookups are counted here.
 */
const countedOnly: Family = {
  name: "counted-only",
  weight: 1,
  gens: [
    (r, k) => [r.int(2) === 0 ? "ttl" : "pttl", k.key()],
    (r, k) => ["zrandmember", k.key(), ...(r.int(2) === 0 ? [] : [String(r.int(7) - 3)])],
    (r, k) => ["zrandmember", k.key(), String(r.int(7) - 3), "withscores"],
    (r, k) => ["hrandfield", k.key(), ...(r.int(2) === 0 ? [] : [String(r.int(7) - 3)])],
    (r, k) => ["hrandfield", k.key(), String(r.int(7) - 3), "withvalues"],
    (r, k) => ["srandmember", k.key(), ...(r.int(2) === 0 ? [] : [String(r.int(7) - 3)])],
    (r, k) => ["spop", k.key(), ...(r.int(2) === 0 ? [] : [String(r.int(4))])],
  ],
};
const STATS_FAMILIES = [
  stringsFamily,
  keysFamily,
  expireFamily,
  zsetFamily,
  hashFamily,
  setFamily,
  countedOnly,
];
const N = Math.max(1000, Math.floor(Number(process.env.DIFF_N ?? 5000) / 2));
const SEED = Number(process.env.DIFF_SEED ?? 20261125);
const skip = redisMissing("the keyspace statistics comparison (test/differential/stats.test.ts)");

const servers = serverPair({ skip, connect: true });

function counters(b: Uint8Array): string {
  return Buffer.from(b)
    .toString("latin1")
    .split("\r\n")
    .filter((l) => /^keyspace_(hits|misses):/.test(l))
    .join(" ");
}

/** SCAN to the end (a single call visits a different set of keys on each server). */
async function fullScan(c: RespConn, opts: Arg[]): Promise<void> {
  let cursor = "0";
  for (let calls = 0; calls < 10_000; calls++) {
    const [r] = await c.pipeline([["SCAN", cursor, ...opts]]);
    const v = parseReply(r!.bytes, 0, true)![0];
    if (!Array.isArray(v)) return;
    cursor = v[0] as string;
    if (cursor === "0") return;
  }
  throw new Error("SCAN did not finish");
}

test.skipIf(skip)(`keyspace_hits/misses equal redis-server's (N=${N}, seed=${SEED})`, async () => {
  const stream = commandStream(new Prng(SEED), STATS_FAMILIES);
  let batch: Arg[][] = [];
  const flush = async () => {
    await Promise.all([servers.redisConn.pipeline(batch), servers.imdsConn.pipeline(batch)]);
    batch = [];
  };
  for (let i = 0; i < N; i++) {
    const cmd = stream.next();
    const name = String(cmd[0]).toLowerCase();
    if (name === "randomkey") continue; // random picks delete different expired keys
    if (name === "scan" && cmd[1] === "0") {
      await flush();
      await Promise.all([
        fullScan(servers.redisConn, cmd.slice(2)),
        fullScan(servers.imdsConn, cmd.slice(2)),
      ]);
      continue;
    }
    batch.push(cmd);
    if (batch.length >= 200) await flush();
  }
  await flush();
  const [[ia], [ib]] = await Promise.all([
    servers.redisConn.pipeline([["INFO", "stats"]]),
    servers.imdsConn.pipeline([["INFO", "stats"]]),
  ]);
  const want = counters(ia!.bytes);
  expect(want).toMatch(/^keyspace_hits:[1-9]\d* keyspace_misses:[1-9]\d*$/);
  expect(counters(ib!.bytes)).toBe(want);
});

/** expired_keys, keyspace_hits and keyspace_misses from INFO stats. */
function expiryCounters(b: Uint8Array): string {
  return Buffer.from(b)
    .toString("latin1")
    .split("\r\n")
    .filter((l) => /^(expired_keys|keyspace_hits|keyspace_misses):/.test(l))
    .join(" ");
}

test.skipIf(skip)(
  "writes over expired keys count them as expired, as Redis's lookupKeyWrite",
  async () => {
    const setup = [
      ["FLUSHALL"],
      ["CONFIG", "RESETSTAT"],
      ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
      ...["a", "b", "c", "d", "e", "f", "g", "h"].map((k) => ["SET", k, "1", "PX", "1"]),
    ];
    await Promise.all([servers.redisConn.pipeline(setup), servers.imdsConn.pipeline(setup)]);
    await Bun.sleep(20);
    const writes = [
      ["SET", "a", "2"], // SET over an expired key
      ["MSET", "b", "2", "c", "3"],
      ["SET", "d", "x", "NX"],
      ["SET", "e", "x", "XX", "EX", "100"],
      ["SETNX", "f", "1"],
      ["MSETNX", "g", "1", "zz", "2"],
      ["APPEND", "h", "x"],
      ["INFO", "stats"],
      ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ];
    const [ra, rb] = await Promise.all([
      servers.redisConn.pipeline(writes),
      servers.imdsConn.pipeline(writes),
    ]);
    const want = expiryCounters(ra[7]!.bytes);
    expect(want).toContain("expired_keys:8");
    expect(expiryCounters(rb[7]!.bytes)).toBe(want);
  },
);
