// The real server over real sockets: concurrency, pipelining, backpressure,
// bad input. Replies are checked byte for byte against PROTOCOL-v1.md.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { concatBytes } from "../../src/store/bytes.ts";
import { RawConn } from "../helpers/raw.ts";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds(["--loglevel", "verbose"]);
});
afterAll(async () => {
  await srv.stop();
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("100 concurrent clients each see their own writes", async () => {
  const clients = await Promise.all(Array.from({ length: 100 }, () => RawConn.open(srv.port)));
  await Promise.all(
    clients.map(async (c, i) => {
      for (let round = 0; round < 5; round++) {
        await c.send(encodeV1Request(["set", `client:${i}`, `value:${i}:${round}`]));
        expect(await c.readV1()).toEqual({ status: 0, payload: new TextEncoder().encode("OK") });
        await c.send(encodeV1Request(["get", `client:${i}`]));
        const r = await c.readV1();
        expect(r.status).toBe(0);
        expect(text(r.payload)).toBe(`value:${i}:${round}`);
      }
    }),
  );
  for (const c of clients) c.close();
});

test("10,000 pipelined requests in one write come back in order", async () => {
  const c = await RawConn.open(srv.port);
  const reqs: Uint8Array[] = [];
  for (let i = 0; i < 10000; i++) {
    if (i % 3 === 0) reqs.push(encodeV1Request(["set", `p:${i % 100}`, `v${i}`]));
    else if (i % 3 === 1) reqs.push(encodeV1Request(["get", `p:${(i - 1) % 100}`]));
    else reqs.push(encodeV1Request(["del", `nokey:${i}`]));
  }
  await c.send(concatBytes(reqs));
  for (let i = 0; i < 10000; i++) {
    const r = await c.readV1();
    if (i % 3 === 0) expect(text(r.payload)).toBe("OK");
    else if (i % 3 === 1) expect(text(r.payload)).toBe(`v${i - 1}`);
    else expect(r.status).toBe(1);
  }
  c.close();
});

test("a request arriving one byte per write is answered once complete", async () => {
  const c = await RawConn.open(srv.port);
  const wire = concatBytes([
    encodeV1Request(["set", "slow", "drip"]),
    encodeV1Request(["get", "slow"]),
  ]);
  for (const byte of wire) {
    await c.send(new Uint8Array([byte]));
    await Bun.sleep(1);
  }
  expect(text((await c.readV1()).payload)).toBe("OK");
  expect(text((await c.readV1()).payload)).toBe("drip");
  c.close();
});

test("binary keys and values, including empty ones, round-trip", async () => {
  const c = await RawConn.open(srv.port);
  const key = new Uint8Array([0, 255, 10, 13, 0]);
  const value = new Uint8Array(70000).map((_, i) => (i * 7) & 255);
  await c.send(encodeV1Request(["set", key, value]));
  expect((await c.readV1()).status).toBe(0);
  await c.send(encodeV1Request(["get", key]));
  expect([...(await c.readV1()).payload]).toEqual([...value]);
  await c.send(encodeV1Request(["set", new Uint8Array(0), new Uint8Array(0)]));
  expect((await c.readV1()).status).toBe(0);
  await c.send(encodeV1Request(["get", new Uint8Array(0)]));
  expect(await c.readV1()).toEqual({ status: 0, payload: new Uint8Array(0) });
  c.close();
});

test("a client that sends but never reads is paused, then served in full", async () => {
  const c = await RawConn.open(srv.port);
  const big = "x".repeat(64 * 1024);
  await c.send(encodeV1Request(["set", "big", big]));
  expect((await c.readV1()).status).toBe(0);
  // Stop reading: 400 GETs ask for 25 MiB of replies, far past the 1 MiB pause threshold.
  c.socket.pause();
  const n = 400;
  await c.send(concatBytes(Array.from({ length: n }, () => encodeV1Request(["get", "big"]))));
  const deadline = Date.now() + 10000;
  while (!srv.output().includes("Pausing reads") && Date.now() < deadline) await Bun.sleep(20);
  expect(srv.output()).toContain("Pausing reads");
  // Others are still served while it is paused.
  const other = await RawConn.open(srv.port);
  await other.send(encodeV1Request(["get", "nothing-here"]));
  expect((await other.readV1()).status).toBe(1);
  other.close();
  // Read everything: every reply arrives, intact and in order.
  c.socket.resume();
  for (let i = 0; i < n; i++) {
    const r = await c.readV1(20000);
    expect(r.status).toBe(0);
    expect(r.payload.length).toBe(big.length);
  }
  c.close();
});

test("too many strings: an error naming the limit, then close; others unaffected", async () => {
  const bystander = await RawConn.open(srv.port);
  const c = await RawConn.open(srv.port);
  await c.send(encodeV1Request(Array.from({ length: 1025 }, () => "x")));
  const r = await c.readV1();
  expect(r.status).toBe(2);
  expect(text(r.payload)).toContain("v1-max-args 1024");
  await c.readUntilClosed();
  await bystander.send(encodeV1Request(["set", "still", "here"]));
  expect(text((await bystander.readV1()).payload)).toBe("OK");
  bystander.close();
});

test("an oversized string is refused from its header, then close", async () => {
  const c = await RawConn.open(srv.port);
  // Declares a 600 MB value (> proto-max-bulk-len 512mb) but sends only the header.
  const head = new Uint8Array(4 + 4 + 3 + 4 + 1 + 4);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, 3);
  dv.setUint32(4, 3);
  head.set(new TextEncoder().encode("set"), 8);
  dv.setUint32(11, 1);
  head[15] = 107;
  dv.setUint32(16, 600_000_000);
  await c.send(head);
  const r = await c.readV1();
  expect(r.status).toBe(2);
  expect(text(r.payload)).toContain("proto-max-bulk-len");
  await c.readUntilClosed();
});

test("garbage after a valid request: the valid one is answered, then error and close", async () => {
  const c = await RawConn.open(srv.port);
  await c.send(
    concatBytes([encodeV1Request(["get", "nothing"]), new Uint8Array([0x7f, 1, 2, 3, 4, 5])]),
  );
  expect((await c.readV1()).status).toBe(1);
  const r = await c.readV1();
  expect(r.status).toBe(2);
  await c.readUntilClosed();
});

test("wrong arity and unknown commands keep the original texts", async () => {
  const c = await RawConn.open(srv.port);
  for (const req of [["get"], ["set", "a"], ["del"], ["get", "a", "b"]]) {
    await c.send(encodeV1Request(req));
    expect(await c.readV1()).toEqual({
      status: 2,
      payload: new TextEncoder().encode("ERR wrong number of arguments"),
    });
  }
  await c.send(encodeV1Request(["nosuchcommand", "x"]));
  expect(await c.readV1()).toEqual({
    status: 2,
    payload: new TextEncoder().encode("ERR unknown command"),
  });
  await c.send(encodeV1Request([]));
  expect(await c.readV1()).toEqual({
    status: 2,
    payload: new TextEncoder().encode("ERR unknown command"),
  });
  c.close();
});
