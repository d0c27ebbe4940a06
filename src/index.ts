// imds as a library: `import { startServer } from "imds"` runs a real imds server inside the
// caller's process (same listeners, command table and cron as `imds-server`).
//
//   const srv = await startServer({ maxmemory: "100mb", "maxmemory-policy": "allkeys-lru" });
//   // ... connect any Redis client or the imds client to srv.port ...
//   await srv.stop();

import { type Config, configFromObject, type OptionValue } from "./config.ts";
import { Server } from "./server/server.ts";

export type { OptionValue } from "./config.ts";
export { ConfigError } from "./config.ts";

export interface EmbeddedServer {
  /** The address the first `bind` listens on, and its port (a free one when port is 0). */
  readonly host: string;
  readonly port: number;
  /** redis://host:port, for clients that take a URL. */
  readonly url: string;
  /** Metrics endpoint when metrics-port was given, else null. */
  readonly metricsUrl: string | null;
  /** The live option table (CONFIG GET/SET read the same one). */
  readonly config: Config;
  /** Close the listeners and every client connection. */
  stop(): Promise<void>;
}

/**
 * Start imds in this process. Options are redis.conf names -> values, validated like a config
 * file (bad ones throw a ConfigError with Redis's text); port defaults to 0 (a free port) and
 * bind to 127.0.0.1. A port in use throws a ListenError. Signals are left to the caller.
 */
export async function startServer(
  options: Readonly<Record<string, OptionValue>> = {},
): Promise<EmbeddedServer> {
  const config = configFromObject({ port: 0, ...options });
  const server = new Server(config);
  server.start();
  let stopped = false;
  const m = server.metrics;
  return {
    host: server.host,
    port: server.port,
    url: `redis://${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}`,
    metricsUrl: m === null ? null : `http://${m.host}:${m.port}/metrics`,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.stop();
      await Bun.sleep(0); // let the closed sockets' callbacks run
    },
  };
}
export { ListenError } from "./server/server.ts";
