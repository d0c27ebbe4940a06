// redis-benchmark's string workloads against imds: `-t incr,mset` (and get/set) must run without
// errors, and leave the values redis-benchmark's commands imply.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { RespConn } from "../helpers/resp.ts";
import { type Running, startImds } from "../helpers/servers.ts";

const N = 20000;
const hasBenchmark = Bun.which("redis-benchmark") !== null;
if (!hasBenchmark) {
  if (process.env.IMDS_REQUIRE_REDIS) throw new Error("redis-benchmark is required in CI");
  console.warn(
    "\n*** SKIPPED: strings-benchmark.test.ts needs redis-benchmark (redis-tools) ***\n",
  );
}

let srv: Running;
beforeAll(async () => {
  if (hasBenchmark) srv = await startImds();
});
afterAll(async () => {
  await srv?.stop();
});

async function bench(args: string[]): Promise<string> {
  const proc = Bun.spawn(
    [
      "redis-benchmark",
      "-h",
      "127.0.0.1",
      "-p",
      String(srv.port),
      "-n",
      String(N),
      "--csv",
      ...args,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const timer = setTimeout(() => proc.kill(9), 60_000);
  const [out, err] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  expect(await proc.exited).toBe(0);
  // "Could not fetch server CONFIG" is a warning about CONFIG GET, not a command error
  expect(`${out}${err}`.replace(/WARNING: Could not fetch server CONFIG\n?/g, "")).not.toMatch(
    /error|ERR/i,
  );
  return out;
}

test.skipIf(!hasBenchmark)("redis-benchmark -t incr,mset,get,set runs without errors", async () => {
  const out = await bench(["-t", "incr,mset,get,set", "-P", "16"]);
  for (const name of ["INCR", "MSET (10 keys)", "GET", "SET"]) {
    const line = out.split("\n").find((l) => l.startsWith(`"${name}"`));
    expect(line, name).toBeDefined();
    const rps = Number(line!.split(",")[1]!.replace(/"/g, ""));
    expect(rps, name).toBeGreaterThan(0);
  }
  // Without -r, INCR hits one literal key N times and MSET writes 3-byte values to one key.
  const c = await RespConn.open(srv.port);
  expect(await c.call("GET", "counter:__rand_int__")).toBe(String(N));
  expect(await c.call("STRLEN", "key:__rand_int__")).toBe(3);
  c.close();
});

test.skipIf(!hasBenchmark)("random keys (-r) and 100-byte values (-d), not pipelined", async () => {
  await bench(["-t", "incr,mset", "-r", "1000", "-d", "100", "-c", "8"]);
  const c = await RespConn.open(srv.port);
  const keys = (await c.call("KEYS", "counter:*")) as string[];
  expect(keys.length).toBeGreaterThan(100);
  let total = 0;
  for (const k of keys) total += Number(await c.call("GET", k));
  expect(total).toBe(N + N); // every INCR of both runs landed exactly once
  c.close();
});
