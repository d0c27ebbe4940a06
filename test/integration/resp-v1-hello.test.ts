// HELLO on a v1 (binary protocol) connection: HELLO 1 keeps the original
// untyped replies, HELLO 2/3 switch to typed v1 replies; RESET goes back.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { RawConn } from "../helpers/raw.ts";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

test("HELLO switches a v1 connection between untyped and typed replies", async () => {
  const c = await RawConn.open(srv.port);
  const call = async (...parts: string[]) => {
    await c.send(encodeV1Request(parts));
    return c.readV1();
  };
  // Untyped: an integer is status 0 with decimal text.
  let r = await call("DBSIZE");
  expect([r.status, text(r.payload)]).toEqual([0, "0"]);
  // HELLO without a version answers the map and changes nothing.
  r = await call("HELLO");
  expect(r.status).toBe(0);
  expect(text(r.payload)).toContain("7.0.15");
  expect(text(r.payload)).toContain("proto\n1");
  r = await call("HELLO", "3");
  expect(r.status).toBe(6); // V1_MAP
  r = await call("DBSIZE");
  expect(r.status).toBe(3); // V1_INT, 8 bytes
  expect(r.payload.length).toBe(8);
  expect(new DataView(r.payload.buffer, r.payload.byteOffset).getBigInt64(0)).toBe(0n);
  r = await call("HELLO", "4");
  expect([r.status, text(r.payload)]).toEqual([2, "NOPROTO unsupported protocol version"]);
  r = await call("HELLO", "1");
  expect(r.status).toBe(0);
  r = await call("DBSIZE");
  expect([r.status, text(r.payload)]).toEqual([0, "0"]);
  await call("HELLO", "2");
  r = await call("RESET");
  expect([r.status, text(r.payload)]).toEqual([0, "RESET"]);
  r = await call("DBSIZE");
  expect([r.status, text(r.payload)]).toEqual([0, "0"]);
  // The original protocol's replies are untouched.
  r = await call("get", "nokey");
  expect(r.status).toBe(1);
  c.close();
});
