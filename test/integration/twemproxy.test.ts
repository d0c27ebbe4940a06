// Sharding with twemproxy (nutcracker) in front of 3 imds nodes, as docs/SCALING.md describes:
// 10,000 keys written and read back through the proxy (pipelined, bounded batches), each node
// holds a fair share, and with one node killed only that node's keys fail (with a clear error)
// while every other key still reads.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { RespRawConn } from "../helpers/resp-conn.ts";
import { freePort, type Running, startImds } from "../helpers/servers.ts";

const NUTCRACKER =
  Bun.which("nutcracker") ?? Bun.which("nutcracker", { PATH: "/usr/sbin:/usr/bin" });
const KEYS = 10_000;
const BATCH = 500;

function nutcrackerMissing(): boolean {
  if (NUTCRACKER !== null) return false;
  if (process.env.IMDS_REQUIRE_REDIS)
    throw new Error("nutcracker (twemproxy) is required for the sharding test but not installed");
  console.warn("\n*** SKIPPED: twemproxy test needs nutcracker (apt-get install nutcracker) ***\n");
  return true;
}

/** The nutcracker pool config docs/SCALING.md shows, for these nodes. */
export function nutcrackerConfig(listen: number, nodes: { port: number }[]): string {
  return [
    "imds:",
    `  listen: 127.0.0.1:${listen}`,
    "  redis: true",
    "  hash: fnv1a_64",
    "  distribution: ketama",
    "  auto_eject_hosts: false",
    "  timeout: 2000",
    "  preconnect: false",
    "  servers:",
    ...nodes.map((n, i) => `    - 127.0.0.1:${n.port}:1 imds${i + 1}`),
    "",
  ].join("\n");
}

const nodes: Running[] = [];
let proxy: Subprocess | null = null;
const dir = mkdtempSync(join(tmpdir(), "imds-twem-"));
afterAll(async () => {
  proxy?.kill("SIGTERM");
  await proxy?.exited;
  for (const n of nodes) if (n.proc.exitCode === null) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const key = (i: number) => `user:${i}`;
const value = (i: number) => `v${i}-${"x".repeat(i % 17)}`;

test("3 imds nodes behind nutcracker: writes, reads, fair shares, one node down", async () => {
  if (nutcrackerMissing()) return;
  const started = Date.now();
  for (let i = 0; i < 3; i++) nodes.push(await startImds());
  const listen = freePort();
  const conf = join(dir, "nutcracker.yml");
  writeFileSync(conf, nutcrackerConfig(listen, nodes));
  const check = Bun.spawnSync([NUTCRACKER!, "-t", "-c", conf]);
  expect(check.exitCode).toBe(0);
  proxy = Bun.spawn(
    [
      NUTCRACKER!,
      "-c",
      conf,
      "-s",
      String(freePort()),
      "-a",
      "127.0.0.1",
      "-o",
      join(dir, "nc.log"),
      "-p",
      join(dir, "nc.pid"),
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  // Wait (bounded) until the proxy accepts and answers.
  let c: RespRawConn | null = null;
  for (let t = 0; c === null && t < 100; t++) {
    c = await RespRawConn.open(listen).catch(() => null);
    if (c === null) await Bun.sleep(50);
  }
  expect(c).not.toBeNull();
  const conn = c!;
  expect(await conn.call(["PING"])).toEqual(["+PONG\r\n"]);

  for (let i = 0; i < KEYS; i += BATCH) {
    const cmds = Array.from({ length: BATCH }, (_, k) => ["SET", key(i + k), value(i + k)]);
    const replies = await conn.call(...cmds);
    expect(replies.every((r) => r === "+OK\r\n")).toBe(true);
  }
  const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;
  for (let i = 0; i < KEYS; i += BATCH) {
    const cmds = Array.from({ length: BATCH }, (_, k) => ["GET", key(i + k)]);
    const replies = await conn.call(...cmds);
    for (let k = 0; k < BATCH; k++) expect(replies[k]).toBe(bulk(value(i + k)));
  }

  // Each node holds a fair share (ketama over 3 equal-weight nodes), and nothing else.
  const owner = new Map<string, number>();
  for (let n = 0; n < 3; n++) {
    const direct = await RespRawConn.open(nodes[n]!.port);
    const [size] = await direct.call(["DBSIZE"]);
    const count = Number(/^:(\d+)/.exec(size!)![1]);
    expect(count / KEYS).toBeGreaterThan(0.2);
    expect(count / KEYS).toBeLessThan(0.47);
    const [all] = await direct.call(["KEYS", "*"]);
    for (const m of all!.matchAll(/\$\d+\r\n(user:\d+)\r\n/g)) owner.set(m[1]!, n);
    direct.close();
  }
  expect(owner.size).toBe(KEYS);

  // Kill node 2: its keys get an error reply, every other key still reads.
  const dead = 1;
  nodes[dead]!.proc.kill("SIGKILL");
  await nodes[dead]!.proc.exited;
  let failed = 0;
  let errorText = "";
  for (let i = 0; i < KEYS; i += BATCH) {
    const cmds = Array.from({ length: BATCH }, (_, k) => ["GET", key(i + k)]);
    const replies = await conn.call(...cmds);
    for (let k = 0; k < BATCH; k++) {
      const on = owner.get(key(i + k));
      if (on === dead) {
        expect(replies[k]!.startsWith("-")).toBe(true);
        errorText ||= replies[k]!;
        failed++;
      } else expect(replies[k]).toBe(bulk(value(i + k)));
    }
  }
  expect(failed).toBe([...owner.values()].filter((n) => n === dead).length);
  console.log(`twemproxy error for a dead node: ${JSON.stringify(errorText)}`);
  expect(errorText).toMatch(/^-ERR .*(refused|Connection|closed)/i);
  expect(Date.now() - started).toBeLessThan(30_000);
}, 40_000);
