// Relative TTLs over RESP on the real server, side by side with redis-server: the same script on
// both, replies equal, or within a range where they depend on elapsed time.

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { RespConn, type RespValue } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("the TTL comparison (test/integration/expire-resp.test.ts)");
const servers = serverPair({ skip, imdsAlone: true });

type Check = RespValue | ((r: RespValue) => boolean);
const within = (lo: number, hi: number) => (r: RespValue) =>
  typeof r === "number" && r >= lo && r <= hi;

async function script(port: number): Promise<RespValue[]> {
  const c = await RespConn.open(port);
  const out: RespValue[] = [];
  const run = async (...args: (string | number)[]) => out.push(await c.call(...args));
  await run("set", "a", "1");
  await run("expire", "a", 100);
  await run("ttl", "a");
  await run("pttl", "a");
  await run("expiretime", "a");
  await run("pexpire", "a", 300);
  await run("pttl", "a");
  await run("set", "b", "2");
  await run("pexpire", "b", 60_000);
  await run("expire", "b", 30, "gt");
  await run("expire", "b", 30, "lt");
  await run("ttl", "b");
  await run("persist", "b");
  await run("ttl", "b");
  await Bun.sleep(400); // a expired
  await run("get", "a");
  await run("ttl", "a");
  await run("exists", "a");
  await run("expire", "a", 10);
  await run("set", "c", "3");
  await run("pexpire", "c", 200);
  await Bun.sleep(300);
  // untouched until now: lazily or actively removed, never returned
  await run("get", "c");
  c.close();
  return out;
}

const now = () => Math.floor(Date.now() / 1000);
const expected = (): Check[] => [
  "OK",
  1,
  within(99, 100),
  within(99_000, 100_000),
  within(now() + 98, now() + 101),
  1,
  within(1, 300),
  "OK",
  1,
  0,
  1,
  within(29, 30),
  1,
  -1,
  null,
  -2,
  0,
  0,
  "OK",
  1,
  null,
];

function check(got: RespValue[], want: Check[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (typeof w === "function") {
      if (!w(g)) throw new Error(`step ${i}: ${JSON.stringify(g)} out of range`);
    } else expect([i, g]).toEqual([i, w]);
  });
}

test("relative TTLs on imds over RESP", async () => {
  check(await script(servers.imds.port), expected());
});

test.skipIf(skip)("the same script gives the same answers on redis-server", async () => {
  check(await script(servers.redis.port), expected());
});
