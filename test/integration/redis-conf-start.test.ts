// The real server starts from Debian's redis.conf and from a file with every Redis 7.0 option at
// its default (paths and port overridden by flags, as a test must); options that do not apply
// are named in one warning line; CONFIG GET answers for old names as 7.0 does.

import { expect, test } from "bun:test";
import { resolve } from "node:path";
import Redis from "ioredis";
import { ROOT, startImdsCommand } from "../helpers/servers.ts";

const FIX = resolve(ROOT, "test/config/fixtures");

async function startWith(file: string, flags: string[]) {
  const imds = await startImdsCommand([
    "bun",
    resolve(ROOT, "src/main.ts"),
    file,
    "--port",
    "0",
    ...flags,
  ]);
  return { p: imds.proc, text: imds.output(), port: imds.port };
}

for (const [file, flags] of [
  ["debian-redis-7.0.conf", ["--bind", "127.0.0.1", "--logfile", ""]],
  ["redis-7.0-defaults.conf", []],
] as const) {
  test(`starts from ${file}`, async () => {
    const { p, text, port } = await startWith(resolve(FIX, file), [...flags]);
    try {
      const warn = text.split("\n").filter((l) => l.includes("accepted but not used by imds"));
      expect(warn.length).toBe(1);
      expect(warn[0]).toContain("replica-serve-stale-data");
      expect(warn[0]).not.toMatch(/[:,] (port|maxmemory-policy|hz)(,|$)/);
      const r = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await r.connect();
      try {
        expect(await r.config("GET", "hash-max-ziplist-entries")).toEqual([
          "hash-max-ziplist-entries",
          "512",
        ]);
        expect(await r.config("GET", "replica-read-only")).toEqual(["replica-read-only", "yes"]);
        expect(await r.set("a", "1")).toBe("OK");
      } finally {
        r.disconnect();
      }
    } finally {
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    }
  });
}
