// Active expiry on the real server: keys nobody touches are reclaimed by the cron's sweep (INFO
// shows keys, expires, expired_keys and used_memory), and DEBUG SET-ACTIVE-EXPIRE 0 stops it.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseInfo, RespConn } from "../helpers/resp.ts";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
let c: RespConn;
beforeAll(async () => {
  srv = await startImds(["--hz", "50"]);
  c = await RespConn.open(srv.port);
});
afterAll(async () => {
  c?.close();
  await srv?.stop();
});

async function info(): Promise<Map<string, string>> {
  return parseInfo((await c.call("info", "everything")) as string);
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await Bun.sleep(20);
  }
  return cond();
}

test("untouched expired keys are reclaimed; DEBUG SET-ACTIVE-EXPIRE 0|1 stops and restarts it", async () => {
  const base = Number((await info()).get("used_memory"));
  expect(await c.call("debug", "set-active-expire", "0")).toBe("OK");
  const n = 20_000;
  const value = "v".repeat(200);
  for (let i = 0; i < n; i += 1000) {
    const cmds: (string | number)[][] = [];
    for (let j = i; j < i + 1000; j++) cmds.push(["set", `k${j}`, value, "px", 100 + (j % 100)]);
    await c.values(cmds);
  }
  await c.values(Array.from({ length: 100 }, (_, i) => ["set", `keep${i}`, value]));
  const filled = await info();
  expect(filled.get("db0")).toBe(
    `keys=${n + 100},expires=${n},avg_ttl=${filled.get("db0")!.match(/avg_ttl=(\d+)/)![1]}`,
  );
  const usedFilled = Number(filled.get("used_memory"));
  expect(usedFilled - base).toBeGreaterThan(n * 200);
  await Bun.sleep(400); // all expired now, but the sweep is off and nobody reads them
  const idle = await info();
  expect(idle.get("db0")).toStartWith(`keys=${n + 100},expires=${n},`);
  expect(idle.get("expired_keys")).toBe("0");
  expect(await c.call("debug", "set-active-expire", "1")).toBe("OK");
  const gone = await waitFor(
    async () => (await info()).get("db0")?.startsWith("keys=100,expires=0,") === true,
    5000,
  );
  expect(gone).toBe(true);
  const after = await info();
  expect(after.get("expired_keys")).toBe(String(n));
  // The value blocks are free again: used_memory fell by at least the values' bytes.
  expect(usedFilled - Number(after.get("used_memory"))).toBeGreaterThan(n * 200);
  expect(await c.call("get", "keep0")).toBe(value);
}, 30_000);

test("expired keys are never returned, even before the sweep runs", async () => {
  expect(await c.call("debug", "set-active-expire", "0")).toBe("OK");
  await c.call("set", "short", "x", "px", 30);
  await c.call("set", "short2", "x");
  await c.call("pexpire", "short2", 30);
  await Bun.sleep(60);
  expect(await c.call("get", "short")).toBe(null);
  expect(await c.call("exists", "short2")).toBe(0);
  expect(await c.call("ttl", "short2")).toBe(-2);
  expect(await c.call("debug", "set-active-expire", "1")).toBe("OK");
});
