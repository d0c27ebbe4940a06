// INCRBYFLOAT against redis-server: Redis adds in x87 long double and prints "%.17Lf" trimmed;
// imds emulates that exactly (src/protocol/longdouble.ts). Thousands of random operands (long
// mantissas, extreme exponents, hex floats, chains that accumulate rounding) must give the same
// bytes.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { RespConn, showBytes } from "../helpers/resp.ts";
import { type Running, redisMissing, startRedis } from "../helpers/servers.ts";

const skip = redisMissing("the INCRBYFLOAT comparison (test/commands/strings-float.test.ts)");
let redis: Running | undefined;
let conn: RespConn;

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  conn = await RespConn.open(redis.port);
});
afterAll(async () => {
  conn?.close();
  await redis?.stop();
});

function digits(r: Prng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String(r.int(10));
  return s;
}

function operand(r: Prng): string {
  const sign = pick(r, ["", "-", "+"]);
  switch (r.int(6)) {
    case 0:
      return `${sign}${digits(r, 1 + r.int(25))}`;
    case 1:
      return `${sign}${digits(r, 1 + r.int(10))}.${digits(r, 1 + r.int(25))}`;
    case 2:
      return `${sign}${digits(r, 1 + r.int(3))}.${digits(r, r.int(5))}e${r.int(80) - 40}`;
    case 3:
      return `${sign}${digits(r, 1 + r.int(20))}e${pick(r, ["", "+", "-"])}${r.int(4950)}`;
    case 4:
      return `${sign}0x${r.u32().toString(16)}.${r.u32().toString(16)}p${r.int(200) - 100}`;
    default:
      return String((r.u32() - 2 ** 31) / 2 ** r.int(64));
  }
}

function pick<T>(r: Prng, xs: T[]): T {
  return xs[r.int(xs.length)]!;
}

test.skipIf(skip)("INCRBYFLOAT replies are byte-identical to redis-server", async () => {
  const r = new Prng(4242);
  const p = new InProc(MODE_RESP2);
  const cmds: string[][] = [];
  for (let i = 0; i < 6000; i++) {
    const key = `f${r.int(40)}`; // chains of additions on 40 keys
    if (r.int(10) === 0) cmds.push(["SET", key, operand(r)]);
    else cmds.push(["INCRBYFLOAT", key, operand(r)]);
  }
  const want = await conn.pipeline(cmds);
  let ok = 0;
  for (let i = 0; i < cmds.length; i++) {
    const got = p.exec(...cmds[i]!);
    const a = showBytes(want[i]!.bytes);
    const b = showBytes(got);
    if (a !== b) throw new Error(`${JSON.stringify(cmds[i])}: redis ${a}, imds ${b}`);
    if (want[i]!.bytes[0] === 36) ok++;
  }
  expect(ok).toBeGreaterThan(3000); // most operands were valid numbers, not just errors
});
