// ioredis against imds: connect (HELLO 3 + CLIENT SETINFO handshake, INFO
// ready check), RESP2 too, pipelines, binary values, error replies.

import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

for (const protocol of [3, 2] as const) {
  test(`ioredis, RESP${protocol}: handshake, commands, pipeline, binary, errors`, async () => {
    const r = new Redis({
      host: "127.0.0.1",
      port: srv.port,
      protocol,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectionName: `io${protocol}`,
      db: 2,
    });
    try {
      await r.connect();
      expect(await r.flushdb()).toBe("OK");
      expect(await r.ping()).toBe("PONG");
      expect(await r.client("GETNAME")).toBe(`io${protocol}`);
      const info = (await r.client("INFO")) as string;
      expect(info).toContain(` db=2 `);
      expect(info).toContain(` resp=${protocol}`);
      expect(await r.set("k", "v")).toBe("OK");
      expect(await r.get("k")).toBe("v");
      expect(await r.get("nokey")).toBeNull();
      expect(await r.dbsize()).toBe(1);

      // Pipeline: many commands in one write, replies in order.
      const p = r.pipeline();
      for (let i = 0; i < 500; i++) p.set(`p:${i}`, String(i));
      for (let i = 0; i < 500; i++) p.get(`p:${i}`);
      const res = (await p.exec())!;
      expect(res.length).toBe(1000);
      expect(res.slice(0, 500).every(([e, v]) => e === null && v === "OK")).toBe(true);
      expect(res.slice(500).map(([, v]) => v)).toEqual(
        Array.from({ length: 500 }, (_, i) => String(i)),
      );

      // Binary keys and values, every byte value.
      await r.set(BINARY, BINARY);
      expect(Buffer.compare((await r.getBuffer(BINARY))!, BINARY)).toBe(0);

      // Error replies reject with Redis's text.
      await expect(r.call("NOSUCH", "a")).rejects.toThrow(
        "ERR unknown command 'NOSUCH', with args beginning with: 'a' ",
      );
      await expect(r.call("GET")).rejects.toThrow(
        "ERR wrong number of arguments for 'get' command",
      );
      // A pipeline with an error in the middle: the others still succeed.
      const mixed = (await r.pipeline().set("a", "1").call("SELECT", "99").get("a").exec())!;
      expect(mixed[0]).toEqual([null, "OK"]);
      expect(String(mixed[1]![0])).toContain("ERR DB index is out of range");
      expect(mixed[2]).toEqual([null, "1"]);
      // CONFIG GET comes back as a flat array in both protocols (ioredis's legacy mapping).
      expect(await r.config("GET", "maxmemory")).toEqual(["maxmemory", "0"]);
    } finally {
      r.disconnect();
    }
  });
}

test("ioredis with a password (requirepass): AUTH in the handshake, bad password refused", async () => {
  const s = await startImds(["--requirepass", "secret"]);
  const opts = {
    host: "127.0.0.1",
    port: s.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  };
  const good = new Redis({ ...opts, password: "secret" });
  const bad = new Redis({ ...opts, password: "wrong" });
  try {
    await good.connect();
    expect(await good.ping()).toBe("PONG");
    const errors: string[] = [];
    bad.on("error", (e: Error) => errors.push(e.message));
    await expect(bad.connect().then(() => bad.ping())).rejects.toThrow();
    expect(errors.join("\n")).toContain("WRONGPASS invalid username-password pair");
  } finally {
    good.disconnect();
    bad.disconnect();
    await s.stop();
  }
});
