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

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("set/get/del answer byte for byte as PROTOCOL-v1.md", async () => {
  const c = await RawConn.open(srv.port);
  await c.send(encodeV1Request(["set", "foo", "bar"]));
  expect(hex(await c.read(10))).toBe("00000006000000004f4b");
  await c.send(encodeV1Request(["get", "foo"]));
  expect(hex(await c.read(11))).toBe("0000000700000000626172");
  await c.send(encodeV1Request(["get", "nope"]));
  expect(hex(await c.read(8))).toBe("0000000400000001");
  await c.send(encodeV1Request(["DEL", "foo"]));
  expect(hex(await c.read(10))).toBe("00000006000000004f4b");
  await c.send(encodeV1Request(["del", "foo"]));
  expect(hex(await c.read(8))).toBe("0000000400000001");
  c.close();
});
