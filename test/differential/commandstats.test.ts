// INFO commandstats: after fixed edge cases (arity errors, a failing command, subcommands,
// unknown commands and subcommands, CONFIG RESETSTAT) and a random stream of every family,
// calls, rejected_calls and failed_calls per command equal redis-server's (usec is timing:
// only its format and usec_per_call = usec / calls are checked).

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { Prng } from "../helpers/prng.ts";
import { RespConn } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";
import { families } from "./families/index.ts";
import type { Arg } from "./gen.ts";
import { commandStream } from "./stream.ts";

const N = Math.max(500, Math.floor(Number(process.env.DIFF_N ?? 5000) / 5));
const SEED = Number(process.env.DIFF_SEED ?? 20261125);
const skip = redisMissing(
  "the INFO commandstats comparison (test/differential/commandstats.test.ts)",
);

const servers = serverPair({ skip, connect: true });

const LINE =
  /^cmdstat_([a-z_|-]+):calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$/;

/** name -> "calls/rejected/failed", in name order; checks each line's format and average. */
async function commandstats(c: RespConn): Promise<string> {
  const [r] = await c.pipeline([["INFO", "commandstats"]]);
  const lines = Buffer.from(r!.bytes).toString("latin1").split("\r\n").slice(1, -1);
  expect(lines[0]).toBe("# Commandstats");
  const rows: string[] = [];
  for (const l of lines.slice(1)) {
    if (l === "") continue;
    const m = LINE.exec(l);
    if (m === null) throw new Error(`bad commandstats line: ${JSON.stringify(l)}`);
    const [, name, calls, usec, per, rejected, failed] = m;
    const expected = Number(calls) === 0 ? 0 : Number(usec) / Number(calls);
    expect(Math.abs(Number(per) - expected)).toBeLessThanOrEqual(0.005 + 1e-9);
    rows.push(`${name} ${calls}/${rejected}/${failed}`);
  }
  return rows.sort().join("\n");
}

async function both(cmds: Arg[][]): Promise<void> {
  await Promise.all([servers.redisConn.pipeline(cmds), servers.imdsConn.pipeline(cmds)]);
}

const s = (line: string): Arg[] => line.split(" ");

test.skipIf(skip)("INFO commandstats: edge cases and CONFIG RESETSTAT", async () => {
  // Commands not used since the last reset are not listed.
  await both([s("CONFIG RESETSTAT")]);
  await both(
    [
      "SET a 1",
      "GET a",
      "INCR a",
      "SET a x",
      "INCR a", // failed
      "GET", // rejected (arity)
      "CONFIG GET maxmemory", // config|get
      "CONFIG GET", // rejected config|get
      "CONFIG", // rejected config
      "CONFIG NOSUCH", // unknown subcommand: not counted
      "NOSUCHCMD x", // unknown command: not counted
      "ZADD z 1 m",
      "ZADD z nan m", // failed
      "ZADD z x", // rejected
      "ZSCORE z m",
      "ZRANGE z 0 -1 WITHSCORES",
      "CLIENT SETNAME x y", // rejected client|setname
      "CLIENT REPLY", // rejected client|reply
      "INCR a", // failed
    ].map(s),
  );
  const want = await commandstats(servers.redisConn);
  expect(want).toContain("incr 3/0/2");
  expect(want).toContain("get 1/1/0");
  expect(want).toContain("config 0/1/0");
  expect(await commandstats(servers.imdsConn)).toBe(want);
  // RESETSTAT clears everything; the reset itself is then counted, as in Redis.
  await both([s("CONFIG RESETSTAT")]);
  const after = await commandstats(servers.redisConn);
  expect(after).toBe("config|resetstat 1/0/0");
  expect(await commandstats(servers.imdsConn)).toBe(after);
});

test.skipIf(skip)(`INFO commandstats after a random stream (N=${N}, seed=${SEED})`, async () => {
  await both([s("CONFIG RESETSTAT")]);
  const stream = commandStream(new Prng(SEED), families);
  let batch: Arg[][] = [];
  for (let i = 0; i < N; i++) {
    batch.push(stream.next());
    if (batch.length >= 200) {
      await both(batch);
      batch = [];
    }
  }
  await both(batch);
  await both([["DISCARD"]]); // the stream may end inside MULTI (families/multi.ts)
  const want = await commandstats(servers.redisConn);
  expect(want.split("\n").length).toBeGreaterThan(20);
  expect(want).toMatch(/\/[1-9]\d*$/m); // some failed calls
  expect(await commandstats(servers.imdsConn)).toBe(want);
});

test.skipIf(skip)(
  "INFO commandstats: NOAUTH is a rejected call, a wrong AUTH a failed one",
  async () => {
    await both([s("CONFIG RESETSTAT"), s("CONFIG SET requirepass pw")]);
    const [a2, b2] = await Promise.all([
      RespConn.open(servers.redis.port),
      RespConn.open(servers.imds.port),
    ]);
    try {
      const cmds = ["GET a", "ZCARD z", "AUTH nope", "AUTH pw", "GET a"].map(s);
      await Promise.all([a2.pipeline(cmds), b2.pipeline(cmds)]);
    } finally {
      a2.close();
      b2.close();
    }
    // The first connections were authenticated before the password was set.
    await both([s("AUTH pw"), ["CONFIG", "SET", "requirepass", ""]]);
    const want = await commandstats(servers.redisConn);
    expect(want).toContain("get 1/1/0");
    expect(want).toContain("auth 3/0/1");
    expect(await commandstats(servers.imdsConn)).toBe(want);
  },
);

/** The Errorstats section's lines and total_error_replies, as one comparable string. */
async function errorstats(c: RespConn): Promise<string> {
  const [r, st] = await c.pipeline([
    ["INFO", "errorstats"],
    ["INFO", "stats"],
  ]);
  const lines = Buffer.from(r!.bytes).toString("latin1").split("\r\n").slice(1, -1);
  expect(lines[0]).toBe("# Errorstats");
  const total = /total_error_replies:(\d+)/.exec(Buffer.from(st!.bytes).toString("latin1"));
  expect(total).not.toBeNull();
  return [...lines.slice(1).filter((l) => l !== ""), `total=${total![1]}`].join("\n");
}

test.skipIf(skip)(
  "INFO errorstats and total_error_replies count error replies by code",
  async () => {
    await both([s("CONFIG RESETSTAT")]);
    await both(
      [
        "SET a x",
        "INCR a", // ERR
        "GET", // ERR (arity, rejected before running)
        "NOSUCHCMD x", // ERR (unknown command)
        "ZADD a 1 m", // WRONGTYPE
        "CONFIG NOSUCH", // ERR unknown subcommand
        "ZADD z nan m", // ERR not a valid float
        "GET a",
      ].map(s),
    );
    const want = await errorstats(servers.redisConn);
    expect(want).toContain("errorstat_ERR:count=");
    expect(want).toContain("errorstat_WRONGTYPE:count=1");
    expect(await errorstats(servers.imdsConn)).toBe(want);
    // And after a random stream of every family.
    await both([s("CONFIG RESETSTAT")]);
    const stream = commandStream(new Prng(SEED + 1), families);
    let batch: Arg[][] = [];
    for (let i = 0; i < N; i++) {
      batch.push(stream.next());
      if (batch.length >= 200) {
        await both(batch);
        batch = [];
      }
    }
    await both(batch);
    await both([["DISCARD"]]); // the stream may end inside MULTI (families/multi.ts)
    const after = await errorstats(servers.redisConn);
    expect(after).toMatch(/errorstat_ERR:count=[1-9]/);
    expect(await errorstats(servers.imdsConn)).toBe(after);
  },
);
