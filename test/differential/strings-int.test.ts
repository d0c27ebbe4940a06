// Differential test of integer-valued strings against redis-server 7.0: a random stream of SET
// (integer-like and other values), the INCR family (rewritten in place by imds), INCRBYFLOAT,
// APPEND, SETRANGE, GETRANGE, STRLEN, GETSET, COPY, OBJECT ENCODING / REFCOUNT and DUMP, on a
// few keys, sent to both servers; the raw reply bytes must be identical. DUMP's payload is the
// RDB string encoding (an integer as RDB_ENC_INT8/16/32, with Redis's CRC), so equal bytes mean
// the same encoding choice; RESTORE of the other server's payload is checked as well.
//
//   STRINT_N=20000 STRINT_SEED=3 bun test test/differential/strings-int.test.ts

import { afterAll, beforeAll, expect, test } from "bun:test";
import { Prng } from "../helpers/prng.ts";
import { RespConn, showBytes } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const N = Number(process.env.STRINT_N ?? 3000);
const SEED = Number(process.env.STRINT_SEED ?? 20261202);
const BATCH = 100;
const skip = redisMissing("the integer strings differential test");

let redis: Running | undefined;
let imds: Running | undefined;
let A: RespConn;
let B: RespConn;

beforeAll(async () => {
  if (skip) return;
  [redis, imds] = await Promise.all([startRedis(), startImds()]);
  [A, B] = await Promise.all([RespConn.open(redis.port), RespConn.open(imds.port)]);
});

afterAll(async () => {
  A?.close();
  B?.close();
  await Promise.all([redis?.stop(), imds?.stop()]);
});

const VALUES = [
  "0",
  "1",
  "-1",
  "9",
  "10",
  "-10",
  "99",
  "9999",
  "10000",
  "-9999",
  "007",
  "-0",
  "+5",
  " 5",
  "5 ",
  "",
  "-",
  "abc",
  "1e3",
  "1.5",
  "0x10",
  "2147483647",
  "2147483648",
  "-2147483648",
  "-2147483649",
  "32767",
  "32768",
  "-32768",
  "127",
  "128",
  "-128",
  "-129",
  "99999999999",
  "999999999999",
  "9007199254740991",
  "9007199254740993",
  "-9007199254740993",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "12345678901234567890",
  "123456789012345678901",
  "1".repeat(44),
  "1".repeat(45),
];
const INCREMENTS = [
  "1",
  "-1",
  "0",
  "5",
  "-5",
  "1000",
  "-100000",
  "2147483647",
  "9007199254740993",
  "9223372036854775807",
  "-9223372036854775808",
  "x",
  "",
  "+1",
  "1.0",
];
const KEYS = ["a", "b", "c"];

function gen(r: Prng): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)]!;
  const k = pick(KEYS);
  const v = () => (r.int(3) === 0 ? String(r.int(40000) - 20000) : pick(VALUES));
  switch (r.int(20)) {
    case 0:
    case 1:
    case 2:
      return ["SET", k, v()];
    case 3:
      return ["MSET", k, v(), pick(KEYS), v()];
    case 4:
    case 5:
      return [pick(["INCR", "DECR"]), k];
    case 6:
    case 7:
      return [pick(["INCRBY", "DECRBY"]), k, pick(INCREMENTS)];
    case 8:
      return ["INCRBYFLOAT", k, pick(["1", "-1", "0.5", "10", "1e2", "x"])];
    case 9:
      return ["APPEND", k, pick(["", "0", "7", "x"])];
    case 10:
      return ["SETRANGE", k, String(r.int(6)), pick(["", "0", "1", "-", "x"])];
    case 11:
      return [pick(["GETRANGE", "SUBSTR"]), k, String(r.int(10) - 5), String(r.int(10) - 5)];
    case 12:
      return ["STRLEN", k];
    case 13:
      return ["GETSET", k, v()];
    case 14:
      return ["COPY", k, pick(KEYS), "REPLACE"];
    case 15:
    case 16:
      return ["OBJECT", "ENCODING", k];
    case 17:
      return ["OBJECT", "REFCOUNT", k];
    case 18:
      return ["DUMP", k];
    default:
      return ["GET", k];
  }
}

test.skipIf(skip)(
  `integer strings: replies, OBJECT ENCODING and DUMP equal redis-server's (seed ${SEED}, ${N})`,
  async () => {
    const r = new Prng(SEED);
    const history: string[][] = [];
    let dumps = 0;
    for (let i = 0; i < N; i += BATCH) {
      const cmds = Array.from({ length: Math.min(BATCH, N - i) }, () => gen(r));
      const [ra, rb] = await Promise.all([A.pipeline(cmds), B.pipeline(cmds)]);
      for (let j = 0; j < cmds.length; j++) {
        history.push(cmds[j]!);
        const a = showBytes(ra[j]!.bytes);
        const b = showBytes(rb[j]!.bytes);
        if (a !== b) {
          const ctx = history
            .slice(-12)
            .map((c) => `    ${JSON.stringify(c)}`)
            .join("\n");
          expect(`#${i + j} ${JSON.stringify(cmds[j])}\n  imds ${b}\n  preceded by:\n${ctx}`).toBe(
            `#${i + j} ${JSON.stringify(cmds[j])}\n  imds ${a}\n  preceded by:\n${ctx}`,
          );
        }
        // RESTORE each server's DUMP on the other: the same value and encoding both ways
        if (cmds[j]![0] === "DUMP" && ra[j]!.value !== null) {
          dumps++;
          const payload = ra[j]!.bytes.subarray(ra[j]!.bytes.indexOf(10) + 1, -2);
          const check = [
            ["RESTORE", "r", "0", payload, "REPLACE"],
            ["GET", "r"],
            ["OBJECT", "ENCODING", "r"],
          ];
          const [xa, xb] = await Promise.all([A.pipeline(check), B.pipeline(check)]);
          expect(xb.map((x) => showBytes(x.bytes))).toEqual(xa.map((x) => showBytes(x.bytes)));
        }
      }
    }
    expect(dumps).toBeGreaterThan(N / 40); // the RDB encodings were really compared
  },
  120000,
);
