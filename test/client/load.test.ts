// bench/load.ts end to end: a short bounded run against the real server (and
// against redis-server in RESP mode when it is installed).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { connect } from "../../src/client/index.ts";
import { hasRedis, ROOT, type Running, startImds, startRedis } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

async function load(args: string[]) {
  const proc = Bun.spawn(["bun", resolve(ROOT, "bench/load.ts"), "--json", ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill(9), 25_000);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, err, result: code === 0 ? JSON.parse(out) : null };
}

test("bounded by request count: exact count, no errors, ordered quantiles, keys written", async () => {
  const { code, err, result } = await load([
    "--port",
    String(srv.port),
    "-n",
    "3000",
    "-c",
    "4",
    "-P",
    "8",
    "--ratio",
    "0:1",
    "--keyspace",
    "50",
    "--value-size",
    "100",
  ]);
  expect(code).toBe(0);
  expect(err).toContain("4 connections x pipeline 8");
  expect(result.requests).toBe(3000);
  expect(result.errors).toBe(0);
  const l = result.latencyMs;
  expect(l.min).toBeLessThanOrEqual(l.p50);
  expect(l.p50).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.p999);
  expect(l.p999).toBeLessThanOrEqual(l.max);
  // SET-only over 50 keys: every key exists with a 100-byte value.
  const db = await connect({ port: srv.port });
  const v = await db.get("key:000000000049");
  expect(v?.length).toBe(100);
  expect(await db.get("key:000000000050")).toBeNull();
  await db.close();
});

test("bounded by duration, with preload and a GET-heavy mix", async () => {
  const { code, result } = await load([
    "--port",
    String(srv.port),
    "-d",
    "0.5",
    "-c",
    "2",
    "-P",
    "4",
    "--ratio",
    "9:1",
    "--preload",
    "--keyspace",
    "1000",
  ]);
  expect(code).toBe(0);
  expect(result.requests).toBeGreaterThan(100);
  expect(result.seconds).toBeGreaterThanOrEqual(0.5);
  expect(result.seconds).toBeLessThan(15);
});

test("bad options and refused connections fail clearly", async () => {
  const bad = await load(["-P", "0"]);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain("-P must be a number");
  const refused = await load(["--port", "1", "-n", "10"]);
  expect(refused.code).toBe(1);
  expect(refused.err).toContain("could not connect to 127.0.0.1:1: ECONNREFUSED");
});

test.skipIf(!hasRedis)("--resp drives redis-server", async () => {
  const redis = await startRedis();
  try {
    const { code, result } = await load([
      "--resp",
      "--port",
      String(redis.port),
      "-n",
      "2000",
      "-c",
      "4",
      "-P",
      "16",
      "--keyspace",
      "10",
    ]);
    expect(code).toBe(0);
    expect(result.requests).toBe(2000);
    expect(result.errors).toBe(0);
  } finally {
    await redis.stop();
  }
});
