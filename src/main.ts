#!/usr/bin/env bun
// `imds-server [path/to/imds.conf] [--name value ...]` (also `bun run server`), like redis-server.

import { appendFileSync, readFileSync } from "node:fs";
import { ConfigError, inertWarning, loadConfig } from "./config.ts";
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
    // RDB: save when save points are configured (as Redis on SIGTERM/SIGINT); a failed save
    // is logged and the process exits anyway, as Redis's shutdown-on-sig* default.
    server?.snapshots.saveOnShutdown("default");
    server?.stop();
    server?.log.notice("imds is now ready to exit, bye bye...");
    process.exit(0);
  });
}

try {
  const config = loadConfig(process.argv.slice(2), (p) =>
    readFileSync(p === "-" ? "/dev/stdin" : p, "utf8"),
  );
  server = new Server(config);
  const logfile = config.get("logfile");
  if (logfile !== "") {
    try {
      appendFileSync(logfile, "");
    } catch (e) {
      fail(`Can't open the log file: ${(e as Error).message}`);
    }
    server.log.file = logfile;
  }
  // One line naming every option given that imds accepts but does not act on.
  const inert = inertWarning(config);
  if (inert !== null) server.log.warn(inert);
  server.start();
} catch (e) {
  if (e instanceof ConfigError || e instanceof ListenError) fail(e.message);
  throw e;
}
