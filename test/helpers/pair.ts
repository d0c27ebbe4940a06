// The imds and redis-server a differential test file runs against, started in the file's
// beforeAll and stopped in its afterAll. Kept apart from servers.ts so that bench scripts can
// import servers.ts without bun:test.

import { afterAll, beforeAll } from "bun:test";
import { RespConn } from "./resp.ts";
import { type Running, startImds, startRedis } from "./servers.ts";

/** Filled in by beforeAll: read the fields inside tests, not at the file's top level. */
export interface ServerPair {
  imds: Running;
  redis: Running;
  /** With `connect`: one connection to each. */
  redisConn: RespConn;
  imdsConn: RespConn;
}

export interface ServerPairOptions {
  /** redis-server is missing (redisMissing(...)): start nothing, or only imds with `imdsAlone`. */
  skip: boolean;
  /** Start imds even when skip is set (the file has tests that need only imds). */
  imdsAlone?: boolean;
  /** Open `redisConn` and `imdsConn`. */
  connect?: boolean;
  /** Extra `--name value` flags for each server. */
  imdsFlags?: string[];
  redisFlags?: string[];
}

/** Register this file's beforeAll/afterAll for a pair of servers; returns what they fill in. */
export function serverPair(opts: ServerPairOptions): ServerPair {
  const pair: Partial<ServerPair> = {};
  beforeAll(async () => {
    if (opts.skip) {
      if (opts.imdsAlone) pair.imds = await startImds(opts.imdsFlags);
      return;
    }
    [pair.imds, pair.redis] = await Promise.all([
      startImds(opts.imdsFlags),
      startRedis(opts.redisFlags),
    ]);
    if (opts.connect) {
      [pair.redisConn, pair.imdsConn] = await Promise.all([
        RespConn.open(pair.redis.port),
        RespConn.open(pair.imds.port),
      ]);
    }
  });
  afterAll(async () => {
    pair.redisConn?.close();
    pair.imdsConn?.close();
    await Promise.all([pair.imds?.stop(), pair.redis?.stop()]);
  });
  return pair as ServerPair;
}
