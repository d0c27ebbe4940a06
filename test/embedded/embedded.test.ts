// `import { startServer } from "imds"`: a real imds in this process, driven by ioredis.

import { expect, test } from "bun:test";
import { ConfigError, startServer } from "imds";
import Redis from "ioredis";
import { freePort } from "../helpers/servers.ts";

test("embedded server: ioredis set/get, options from the config table, stop", async () => {
  const srv = await startServer({ maxmemory: "10mb", "maxmemory-policy": "allkeys-lru" });
  expect(srv.host).toBe("127.0.0.1");
  expect(srv.port).toBeGreaterThan(0);
  expect(srv.url).toBe(`redis://127.0.0.1:${srv.port}`);
  const r = new Redis(srv.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await r.connect();
    expect(await r.set("k", "v")).toBe("OK");
    expect(await r.get("k")).toBe("v");
    expect(await r.config("GET", "maxmemory*")).toContain("allkeys-lru");
    expect(srv.config.int("maxmemory")).toBe(10 * 1024 * 1024);
  } finally {
    r.disconnect();
  }
  await srv.stop();
  // Stopped: the port no longer accepts connections.
  const refused = await Bun.connect({
    hostname: "127.0.0.1",
    port: srv.port,
    socket: { data() {} },
  }).then(
    (s) => {
      s.end();
      return false;
    },
    () => true,
  );
  expect(refused).toBe(true);
  await srv.stop(); // idempotent
});

test("embedded server: bad options throw Redis's error; two servers side by side; metrics", async () => {
  await expect(startServer({ hz: "fast" })).rejects.toBeInstanceOf(ConfigError);
  const mport = freePort();
  const a = await startServer({ "metrics-port": mport });
  const b = await startServer();
  try {
    expect(a.port).not.toBe(b.port);
    expect(a.metricsUrl).toBe(`http://127.0.0.1:${mport}/metrics`);
    const page = await (await fetch(a.metricsUrl!)).text();
    expect(page).toContain("redis_up 1");
  } finally {
    await a.stop();
    await b.stop();
  }
});
