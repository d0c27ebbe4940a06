// An RDB base file (`appendonly.aof.N.base.rdb`, what redis-server 7.0 writes with
// aof-use-rdb-preamble yes, its default): read with the RDB codec (src/persistence/rdb/) and
// replayed as commands through the same Replayer as AOF files (SELECT, SET / RPUSH / SADD /
// ZADD / HSET in batches of 64, PEXPIREAT), so every type the command table knows loads and
// nothing here knows the store. Streams are refused until their family can take them.

import { Args } from "../protocol/args.ts";
import type { DecodeLimits } from "../protocol/framing.ts";
import { formatDouble } from "../protocol/number.ts";
import { decodeResp } from "../protocol/resp.ts";
import { CommandWriter } from "./aof-encode.ts";
import { AofLoadError, type Replayer } from "./aof-loader.ts";
import { ITEMS_PER_CMD } from "./aof-rewrite.ts";
import { readRdbFile } from "./rdb/reader.ts";
import type { RdbValue } from "./rdb/value.ts";

const LIMITS: DecodeLimits = {
  maxArgs: 1 << 30,
  maxBulkLen: 0x7fffffff,
  maxInlineLen: 64 * 1024,
  unauthenticated: false,
};

/** Load an RDB base through `r`; returns the number of keys. Throws AofLoadError. */
export function loadRdbBase(path: string, name: string, r: Replayer): number {
  const w = new CommandWriter();
  const args = new Args();
  let db = -1;
  const run = () => {
    const o = w.out;
    let pos = o.start;
    while (pos < o.end) {
      pos = decodeResp(o.buf, pos, o.end, args, LIMITS);
      const err = r.run(args);
      if (err !== null) throw new AofLoadError(`Error loading the RDB base ${name}: ${err}`);
    }
    o.consumed(o.pending);
  };
  const batched = (cmd: string, key: Uint8Array, items: Uint8Array[][]) => {
    for (let i = 0; i < items.length; i += ITEMS_PER_CMD) {
      const part = items.slice(i, i + ITEMS_PER_CMD);
      w.begin(2 + part.length * (part[0]?.length ?? 0));
      w.str(cmd);
      w.bulk(key, 0, key.length);
      for (const it of part) for (const b of it) w.bulk(b, 0, b.length);
    }
  };
  const enc = new TextEncoder();
  try {
    const res = readRdbFile(path, {
      onKey(kdb: number, key: Uint8Array, v: RdbValue, expireMs: number) {
        if (kdb !== db) {
          w.begin(2);
          w.str("SELECT");
          w.int(kdb);
          db = kdb;
        }
        switch (v.type) {
          case "string":
            w.begin(3);
            w.str("SET");
            w.bulk(key, 0, key.length);
            w.bulk(v.bytes, 0, v.bytes.length);
            break;
          case "list":
            batched(
              "RPUSH",
              key,
              v.items.map((x) => [x]),
            );
            break;
          case "set":
            batched(
              "SADD",
              key,
              v.members.map((x) => [x]),
            );
            break;
          case "zset":
            batched(
              "ZADD",
              key,
              v.entries.map(([m, s]) => [enc.encode(formatDouble(s)), m]),
            );
            break;
          case "hash":
            batched(
              "HSET",
              key,
              v.entries.map(([f, x]) => [f, x]),
            );
            break;
          default:
            throw new AofLoadError(
              `The RDB base ${name} holds a ${v.type} key, which imds cannot load from RDB yet`,
            );
        }
        if (expireMs >= 0) {
          w.begin(3);
          w.str("PEXPIREAT");
          w.bulk(key, 0, key.length);
          w.int(expireMs);
        }
        run();
      },
    });
    return res.keys;
  } catch (e) {
    if (e instanceof AofLoadError) throw e;
    throw new AofLoadError(`Bad RDB base file ${name}: ${(e as Error).message}`);
  }
}
