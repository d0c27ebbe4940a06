#!/usr/bin/env bun
// `bun run server [path/to/imds.conf] [--name value ...]`, like redis-server.

import { readFileSync } from "node:fs";
import { ConfigError, loadConfig } from "./config.ts";
import { ListenError, Server } from "./server/server.ts";

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
}

let server: Server | null = null;

// Installed before listening: a signal that arrives right after the
// "listening" line must still shut down cleanly (exit 0).
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    server?.log.notice(`Received ${sig} scheduling shutdown...`);
    server?.stop();
    server?.log.notice("imds is now ready to exit, bye bye...");
    process.exit(0);
  });
}

try {
  const config = loadConfig(process.argv.slice(2), (p) => readFileSync(p, "utf8"));
  server = new Server(config);
  server.start();
} catch (e) {
  if (e instanceof ConfigError || e instanceof ListenError) fail(e.message);
  throw e;
}
