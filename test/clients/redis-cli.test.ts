// redis-cli against imds, compared with redis-server 7.0: commands piped to
// its stdin (RESP2 and RESP3 output formatting), and `--pipe` mass insertion.

import { describe, expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { encodeCommand } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("redis-cli tests") || Bun.which("redis-cli") === null;

const servers = serverPair({ skip });

async function cli(
  port: number,
  args: string[],
  stdin: string | Uint8Array,
): Promise<{ out: string; err: string; code: number }> {
  const p = Bun.spawn(["redis-cli", "-p", String(port), ...args], {
    stdin: typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin,
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 60_000);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  return { out, err, code };
}

const SESSION = [
  "FLUSHALL",
  "SET a 1",
  'SET "key with space" "value\\twith tab"',
  'GET "key with space"',
  "GET a",
  "GET nokey",
  "PING",
  "PING hi",
  "NOSUCH x",
  "SELECT 20",
  "SELECT 1",
  "DBSIZE",
  "CLIENT SETNAME foo",
  "CLIENT GETNAME",
  "CONFIG GET maxmemory",
  "ECHO bytes\\x00here",
  "HELLO 3",
  "CONFIG GET maxmemory",
  "GET nokey",
  "COMMAND INFO get",
  "INFO keyspace",
].join("\n");

const maskId = (s: string) =>
  s
    .replace(/^id\n\d+$/m, "id\nN")
    .replace(/^id \d+$/m, "id N")
    .replace(/"id" => \(integer\) \d+/, '"id" => N');

describe.skipIf(skip)("redis-cli", () => {
  for (const [name, flags] of [
    ["piped session, default output", []],
    ["piped session, --no-raw", ["--no-raw"]],
    ["piped session, RESP3 (-3)", ["-3", "--no-raw"]],
  ] as [string, string[]][]) {
    test(`${name}: same output as with redis-server`, async () => {
      const [a, b] = await Promise.all([
        cli(servers.imds.port, flags, SESSION),
        cli(servers.redis.port, flags, SESSION),
      ]);
      expect(b.out.length).toBeGreaterThan(50);
      expect(maskId(a.out)).toBe(maskId(b.out));
      expect(a.code).toBe(b.code);
    });
  }

  test("--pipe mass insertion of 100k keys", async () => {
    const n = 100_000;
    const parts: Uint8Array[] = [encodeCommand(["SELECT", "5"]), encodeCommand(["FLUSHDB"])];
    for (let i = 0; i < n; i++) parts.push(encodeCommand(["SET", `key:${i}`, `value:${i}`]));
    const input = Buffer.concat(parts);
    const r = await cli(servers.imds.port, ["--pipe"], input);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`errors: 0, replies: ${n + 2}`);
    const check = await cli(servers.imds.port, ["-n", "5"], "DBSIZE\nGET key:0\nGET key:99999\n");
    expect(check.out).toBe(`${n}\nvalue:0\nvalue:99999\n`);
  });

  test("--pipe with an error in the stream counts it, as redis-server", async () => {
    const input = Buffer.concat([
      encodeCommand(["SET", "x", "1"]),
      encodeCommand(["NOSUCH"]),
      encodeCommand(["GET", "x"]),
    ]);
    const [a, b] = await Promise.all([
      cli(servers.imds.port, ["--pipe"], input),
      cli(servers.redis.port, ["--pipe"], input),
    ]);
    expect(b.out).toContain("errors: 1, replies: 3");
    expect(a.out).toBe(b.out);
  });
});
