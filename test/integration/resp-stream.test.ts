// RESP through the real server under stress: large requests split over many
// reads (the decoder's resume and need-hint paths) and deep pipelines mixing
// inline and multibulk requests.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeCommand } from "../helpers/resp.ts";
import { RespRawConn } from "../helpers/resp-conn.ts";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

test("a 100k-argument DEL and a 8 MiB value, sent in small pieces", async () => {
  const c = await RespRawConn.open(srv.port);
  const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}`);
  const big = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const stream = Buffer.concat([
    encodeCommand(["SET", "k7", "x"]),
    encodeCommand(["DEL", ...keys]),
    encodeCommand(["SET", "big", big]),
    encodeCommand(["STRLEN", "big"]),
    encodeCommand(["GETRANGE", "big", "1000", "1003"]),
  ]);
  // Pieces of 1..64 KiB so requests straddle many reads.
  for (let at = 0, n = 1; at < stream.length; n++) {
    const len = 1024 * (1 + ((n * 37) % 64));
    await c.sendRaw(stream.subarray(at, at + len));
    at += len;
  }
  const want = [...big.subarray(1000, 1004)].map((b) => String.fromCharCode(b)).join("");
  expect(await c.replies(5, 30_000)).toEqual([
    "+OK\r\n",
    ":1\r\n",
    "+OK\r\n",
    ":8388608\r\n",
    `$4\r\n${want}\r\n`,
  ]);
  c.close();
});

test("200k pipelined requests (multibulk and inline mixed), all replies in order", async () => {
  const c = await RespRawConn.open(srv.port);
  const n = 200_000;
  const one = Buffer.concat([
    encodeCommand(["SET", "p", "value"]),
    encodeCommand(["GET", "p"]),
    Buffer.from("PING\r\n"),
  ]);
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
  const batches = Math.floor(n / 3000);
  for (let i = 0; i < batches; i++) await c.sendRaw(batch);
  const rest = n - batches * 3000;
  await c.sendRaw(Buffer.concat(Array.from({ length: rest }, () => Buffer.from("PING\r\n"))));
  const replies = await c.replies(n, 60_000);
  expect(replies.length).toBe(n);
  const cycle = ["+OK\r\n", "$5\r\nvalue\r\n", "+PONG\r\n"];
  let bad = 0;
  const full = batches * 3000;
  for (let i = 0; i < full; i++) if (replies[i] !== cycle[i % 3]) bad++;
  for (let i = full; i < n; i++) if (replies[i] !== "+PONG\r\n") bad++;
  expect(bad).toBe(0);
  c.close();
});

test("a huge declared count with small arguments allocates nothing big; the server stays up", async () => {
  const c = await RespRawConn.open(srv.port);
  const parts = ["*2147483647\r\n"];
  for (let i = 0; i < 1000; i++) parts.push("$1\r\nx\r\n");
  parts.push("$1\r\n"); // stop inside an argument: the decoder's hint path
  await c.sendRaw(new TextEncoder().encode(parts.join("")));
  await Bun.sleep(100);
  const other = await RespRawConn.open(srv.port);
  expect(await other.call(["PING"])).toEqual(["+PONG\r\n"]);
  // The waiting client's input buffer (CLIENT LIST qbuf = carry capacity) stays small.
  const [list] = await other.call(["CLIENT", "LIST"]);
  const qbufs = [...list!.matchAll(/qbuf=(\d+)/g)].map((m) => Number(m[1]));
  expect(Math.max(...qbufs)).toBeGreaterThan(0);
  expect(Math.max(...qbufs)).toBeLessThan(1024 * 1024);
  expect(c.closed).toBe(false); // still waiting for the rest, as redis-server does
  other.close();
  c.close();
});
