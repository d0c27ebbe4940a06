// node-redis (the `redis` package) against imds: connect with RESP2 and RESP3
// (HELLO, CLIENT SETINFO, SELECT, SETNAME in the handshake), auto-pipelining,
// binary values, error replies, AUTH.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { createClient, RESP_TYPES } from "redis";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));

for (const RESP of [2, 3] as const) {
  test(`node-redis, RESP${RESP}: handshake, commands, pipeline, binary, errors`, async () => {
    const client = createClient({
      socket: { host: "127.0.0.1", port: srv.port, reconnectStrategy: false },
      RESP,
      database: 3,
      name: `nr${RESP}`,
    });
    const errors: Error[] = [];
    client.on("error", (e: Error) => errors.push(e));
    await client.connect();
    try {
      await client.flushDb();
      expect(await client.ping()).toBe("PONG");
      expect(await client.clientGetName()).toBe(`nr${RESP}`);
      const info = await client.clientInfo();
      expect(info.db).toBe(3);
      expect(await client.set("k", "v")).toBe("OK");
      expect(await client.get("k")).toBe("v");
      expect(await client.get("nokey")).toBeNull();
      expect(await client.dbSize()).toBe(1);

      // Commands issued together go out as one pipeline.
      const sets = Array.from({ length: 500 }, (_, i) => client.set(`p:${i}`, String(i)));
      const gets = Array.from({ length: 500 }, (_, i) => client.get(`p:${i}`));
      expect(await Promise.all(sets)).toEqual(Array(500).fill("OK"));
      expect(await Promise.all(gets)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));

      // Binary values, read back as a Buffer.
      await client.set(BINARY, BINARY);
      const raw = await client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(BINARY);
      expect(Buffer.compare(raw as unknown as Buffer, BINARY)).toBe(0);

      // Error replies.
      await expect(client.sendCommand(["NOSUCH"])).rejects.toThrow(
        "ERR unknown command 'NOSUCH', with args beginning with: ",
      );
      await expect(client.sendCommand(["SELECT", "x"])).rejects.toThrow(
        "ERR value is not an integer or out of range",
      );
      // The connection is still usable after errors.
      expect(await client.get("k")).toBe("v");
      const cfg = await client.configGet("maxmemory");
      expect(cfg).toEqual({ maxmemory: "0" });
      expect(errors).toEqual([]);
    } finally {
      client.destroy();
    }
  });
}

test("node-redis AUTH (requirepass)", async () => {
  const s = await startImds(["--requirepass", "pw"]);
  try {
    const ok = createClient({
      socket: { host: "127.0.0.1", port: s.port, reconnectStrategy: false },
      password: "pw",
      RESP: 3,
    });
    ok.on("error", () => {});
    await ok.connect();
    expect(await ok.ping()).toBe("PONG");
    ok.destroy();
    const bad = createClient({
      socket: { host: "127.0.0.1", port: s.port, reconnectStrategy: false },
      password: "nope",
    });
    bad.on("error", () => {});
    await expect(bad.connect()).rejects.toThrow(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    bad.destroy();
  } finally {
    await s.stop();
  }
});
