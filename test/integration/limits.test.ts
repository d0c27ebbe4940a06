// Explicit limits, at and past the bound: output buffer hard limit, maxclients.

import { expect, test } from "bun:test";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { RawConn } from "../helpers/raw.ts";
import { startImds } from "../helpers/servers.ts";

test("client-output-buffer-limit normal <hard>: a reply past it disconnects that client only", async () => {
  const srv = await startImds(["--client-output-buffer-limit", "normal", "1mb", "0", "0"]);
  const c = await RawConn.open(srv.port);
  const mb = 1024 * 1024;
  await c.send(encodeV1Request(["set", "fits", new Uint8Array(mb - 100)]));
  await c.send(encodeV1Request(["set", "toobig", new Uint8Array(mb + 100)]));
  expect((await c.readV1()).status).toBe(0);
  expect((await c.readV1()).status).toBe(0);
  await c.send(encodeV1Request(["get", "fits"]));
  expect((await c.readV1()).payload.length).toBe(mb - 100);
  await c.send(encodeV1Request(["get", "toobig"]));
  await c.readUntilClosed();
  expect(srv.output()).toContain("closed for overcoming of output buffer limits");
  const other = await RawConn.open(srv.port);
  await other.send(encodeV1Request(["get", "fits"]));
  expect((await other.readV1()).status).toBe(0);
  other.close();
  await srv.stop();
});

test("maxclients: the connection past the limit is refused with Redis's error", async () => {
  const srv = await startImds(["--maxclients", "3"]);
  const conns = await Promise.all([1, 2, 3].map(() => RawConn.open(srv.port)));
  for (const c of conns) {
    await c.send(encodeV1Request(["set", "k", "v"]));
    expect((await c.readV1()).status).toBe(0);
  }
  const extra = await RawConn.open(srv.port);
  const got = new TextDecoder().decode(await extra.readUntilClosed());
  expect(got).toBe("-ERR max number of clients reached\r\n");
  conns[0]!.close();
  await Bun.sleep(100);
  const again = await RawConn.open(srv.port);
  await again.send(encodeV1Request(["get", "k"]));
  expect((await again.readV1()).status).toBe(0);
  for (const c of [...conns.slice(1), again]) c.close();
  await srv.stop();
});

test("timeout <seconds>: idle clients are closed, busy ones are not", async () => {
  const srv = await startImds(["--timeout", "1"]);
  const idle = await RawConn.open(srv.port);
  const busy = await RawConn.open(srv.port);
  const deadline = Date.now() + 2600;
  while (Date.now() < deadline) {
    await busy.send(encodeV1Request(["get", "x"]));
    expect((await busy.readV1()).status).toBe(1);
    await Bun.sleep(200);
  }
  await idle.readUntilClosed(5000);
  expect(busy.closed).toBe(false);
  busy.close();
  await srv.stop();
});
