// IdleGc (src/server/idle-gc.ts): one collection per quiet period after work, none while
// commands keep coming or a background job runs; the real server's cron runs it (its verbose
// log line names each collection). What it gives back is measured in docs/BENCHMARKS.md.
import { expect, test } from "bun:test";
import { IdleGc } from "../../src/server/idle-gc.ts";
import { RespConn } from "../helpers/resp.ts";
import { startImds } from "../helpers/servers.ts";

test("collects once per quiet period after work, never under steady commands or a job", () => {
  let n = 0;
  const gc = new IdleGc(
    () => n++,
    1000,
    () => 0,
  );
  // Start-up counts as work: one collection after the first quiet second.
  expect(gc.tick(0, 0, false)).toBe(false);
  expect(gc.tick(999, 0, false)).toBe(false);
  expect(gc.tick(1000, 0, false)).toBe(true);
  expect(gc.tick(5000, 0, false)).toBe(false); // still quiet: nothing new to collect
  expect(n).toBe(1);
  // Steady commands: every tick sees new ones, no collection however long it lasts.
  for (let t = 6000, c = 1; t < 20000; t += 100, c++) expect(gc.tick(t, c, false)).toBe(false);
  expect(n).toBe(1);
  // Quiet again, but a background job (BGSAVE, AOF rewrite) runs: wait for it to end.
  expect(gc.tick(21000, 141, false)).toBe(false);
  expect(gc.tick(23000, 141, true)).toBe(false);
  expect(gc.tick(23100, 141, false)).toBe(true);
  expect(gc.tick(30000, 141, false)).toBe(false);
  expect(n).toBe(2);
});

test("a JS heap past the bound is not collected at once (the pause would be too long)", () => {
  let n = 0;
  let heap = 4 << 20;
  const gc = new IdleGc(
    () => n++,
    1000,
    () => heap,
    8 << 20,
  );
  expect(gc.tick(0, 5, false)).toBe(false);
  expect(gc.tick(1000, 5, false)).toBe(true);
  heap = 64 << 20; // e.g. many sorted sets: their objects are on the JS heap
  expect(gc.tick(2000, 9, false)).toBe(false);
  expect(gc.tick(3000, 9, false)).toBe(false);
  expect(gc.tick(9000, 9, false)).toBe(false); // skipped for this quiet period, not retried
  heap = 4 << 20;
  expect(gc.tick(9100, 10, false)).toBe(false);
  expect(gc.tick(10100, 10, false)).toBe(true);
  expect(n).toBe(2);
});

test("the real server collects once after start and once after a burst, then stays quiet", async () => {
  const srv = await startImds(["--save", "", "--loglevel", "verbose"]);
  const collections = () =>
    srv.output().match(/Idle GC: [\d.]+ ms, RSS [+-][\d.]+ MB/g)?.length ?? 0;
  const c = await RespConn.open(srv.port);
  try {
    // Opening the connection ran no command: the start-up collection comes after 1 s.
    await Bun.sleep(2000);
    expect(collections()).toBe(1);
    const cmds: string[][] = [];
    for (let i = 0; i < 2000; i++) cmds.push(["SET", `k${i}`, "x".repeat(100)]);
    await c.values(cmds);
    await Bun.sleep(2000);
    expect(collections()).toBe(2);
    await Bun.sleep(1500); // no command since: nothing new to collect
    expect(collections()).toBe(2);
  } finally {
    c.close();
    await srv.stop();
  }
}, 30000);
