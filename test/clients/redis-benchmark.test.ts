// redis-benchmark against imds: the PING (inline and multibulk), SET and GET
// tests run to completion without errors, with and without pipelining, and
// the keys it wrote are there.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RespRawConn } from "../helpers/resp-conn.ts";
import { type Running, redisMissing, startImds } from "../helpers/servers.ts";

const skip = redisMissing("redis-benchmark tests") || Bun.which("redis-benchmark") === null;

let imds: Running;
beforeAll(async () => {
  if (skip) return;
  imds = await startImds();
});
afterAll(async () => {
  await imds?.stop();
});

async function bench(args: string[]): Promise<{ rows: Map<string, number>; err: string }> {
  const p = Bun.spawn(
    ["redis-benchmark", "-h", "127.0.0.1", "-p", String(imds.port), "--csv", ...args],
    { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  const timer = setTimeout(() => p.kill(9), 60_000);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  expect(code).toBe(0);
  const rows = new Map<string, number>();
  for (const line of out.trim().split("\n").slice(1)) {
    const cols = line.split(",").map((c) => c.replace(/"/g, ""));
    rows.set(cols[0]!, Number(cols[1]));
  }
  return { rows, err };
}

describe.skipIf(skip)("redis-benchmark", () => {
  for (const pipeline of [1, 16]) {
    test(`-t ping,set,get -n 20000 -r 1000 -P ${pipeline}`, async () => {
      const c = await RespRawConn.open(imds.port);
      await c.call(["FLUSHALL"]);
      const { rows, err } = await bench([
        "-t",
        "ping,set,get",
        "-n",
        "20000",
        "-r",
        "1000",
        "-P",
        String(pipeline),
      ]);
      expect(err).not.toContain("Error");
      expect(err).not.toContain("WARNING"); // e.g. "Could not fetch server CONFIG"
      expect([...rows.keys()]).toEqual(["PING_INLINE", "PING_MBULK", "SET", "GET"]);
      for (const rps of rows.values()) expect(rps).toBeGreaterThan(0);
      // SET with -r 1000 wrote keys key:000000000000 .. key:000000000999 with 3-byte values
      // (the payload bytes are redis-benchmark's own choice).
      const [size] = await c.call(["DBSIZE"]);
      const n = Number(size!.slice(1, -2));
      expect(n).toBeGreaterThan(900);
      expect(n).toBeLessThanOrEqual(1000);
      const values = await c.call(["GET", "key:000000000000"], ["GET", "key:000000000999"]);
      for (const v of values) expect(v).toMatch(/^(\$3\r\n[\s\S]{3}\r\n|\$-1\r\n)$/);
      c.close();
    });
  }
});
