// Bun's built-in RedisClient against imds: connect (HELLO 3 handshake; URL
// with a database and a password), auto-pipelining, binary values, errors.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

const BINARY = new Uint8Array(Array.from({ length: 256 }, (_, i) => (i * 7) & 0xff));

test("Bun RedisClient: handshake, commands, pipeline, binary, errors", async () => {
  const r = new RedisClient(`redis://127.0.0.1:${srv.port}/4`, { autoReconnect: false });
  try {
    await r.connect();
    expect(await r.send("FLUSHDB", [])).toBe("OK");
    expect(await r.send("PING", [])).toBe("PONG");
    const info = (await r.send("CLIENT", ["INFO"])) as string;
    expect(info).toContain(" db=4 ");
    expect(info).toContain(" resp=3");
    expect(await r.set("k", "v")).toBe("OK");
    expect(await r.get("k")).toBe("v");
    expect(await r.get("nokey")).toBeNull();
    expect(await r.send("DBSIZE", [])).toBe(1);

    // Auto-pipelining: commands issued in one tick go out together.
    const sets = Array.from({ length: 500 }, (_, i) => r.set(`p:${i}`, String(i)));
    const gets = Array.from({ length: 500 }, (_, i) => r.get(`p:${i}`));
    expect(await Promise.all(sets)).toEqual(Array(500).fill("OK"));
    expect(await Promise.all(gets)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));

    await r.set(BINARY, BINARY);
    expect(Buffer.compare(Buffer.from((await r.getBuffer(BINARY))!), Buffer.from(BINARY))).toBe(0);

    await expect(r.send("NOSUCH", ["x"])).rejects.toThrow(
      "ERR unknown command 'NOSUCH', with args beginning with: 'x' ",
    );
    await expect(r.send("GET", [])).rejects.toThrow(
      "ERR wrong number of arguments for 'get' command",
    );
    expect(await r.get("k")).toBe("v");
    // RESP3 map reply.
    expect(await r.send("CONFIG", ["GET", "maxmemory"])).toEqual({ maxmemory: "0" });
  } finally {
    r.close();
  }
});

test("Bun RedisClient with a password", async () => {
  const s = await startImds(["--requirepass", "pw"]);
  try {
    const ok = new RedisClient(`redis://:pw@127.0.0.1:${s.port}`, { autoReconnect: false });
    await ok.connect();
    expect(await ok.send("PING", [])).toBe("PONG");
    ok.close();
    const bad = new RedisClient(`redis://:nope@127.0.0.1:${s.port}`, { autoReconnect: false });
    // Bun reports a refused HELLO AUTH as a closed connection (it does the same with redis-server).
    await expect(bad.connect()).rejects.toThrow("Connection closed");
    bad.close();
  } finally {
    await s.stop();
  }
});
