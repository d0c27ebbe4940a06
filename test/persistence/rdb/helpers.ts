// Shared by the RDB tests: a canonical text form of a value, built either from the codec's
// neutral model or from what a real redis-server answers, so the two can be compared.

import type { RdbValue, StreamId } from "../../../src/persistence/rdb/index.ts";
import type { RespConn, RespValue } from "../../helpers/resp.ts";

export const enc = new TextEncoder();
export const b = (s: string): Uint8Array => enc.encode(s);
export const latin1 = (u: Uint8Array): string => Buffer.from(u).toString("latin1");
export const fromLatin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));

const ids = (id: StreamId) => `${id.ms}-${id.seq}`;
const sortStr = (a: string, c: string) => (a < c ? -1 : a > c ? 1 : 0);

/** Redis's own text for a score (as ZRANGE WITHSCORES prints it in RESP2, "%.17g"). */
export function scoreText(s: number): string {
  if (s === Number.POSITIVE_INFINITY) return "inf";
  if (s === Number.NEGATIVE_INFINITY) return "-inf";
  return String(s);
}

/** Canonical form of a neutral value (orders that do not matter are sorted away). */
export function canonValue(v: RdbValue): unknown {
  switch (v.type) {
    case "string":
      return ["string", latin1(v.bytes)];
    case "list":
      return ["list", v.items.map(latin1)];
    case "set":
      return ["set", v.members.map(latin1).sort(sortStr)];
    case "zset": {
      const e = v.entries.map(([m, s]) => [latin1(m), s] as [string, number]);
      e.sort((x, y) => x[1] - y[1] || sortStr(x[0], y[0]));
      return ["zset", e.map(([m, s]) => [m, scoreText(s)])];
    }
    case "hash":
      return [
        "hash",
        v.entries
          .map(([f, x]) => [latin1(f), latin1(x)] as [string, string])
          .sort((x, y) => sortStr(x[0], y[0])),
      ];
    case "stream":
      return [
        "stream",
        {
          length: v.length,
          lastId: ids(v.lastId),
          maxDeletedId: ids(v.maxDeletedId),
          entriesAdded: v.entriesAdded,
          firstId: ids(v.firstId),
          entries: v.entries.map((e) => [ids(e.id), e.fields.map(latin1)]),
          groups: v.groups
            .map((g) => ({
              name: latin1(g.name),
              lastId: ids(g.lastId),
              entriesRead: g.entriesRead,
              pel: g.pending
                .map((p) => [ids(p.id), latin1(p.consumer), p.deliveryTimeMs, p.deliveryCount])
                .sort(),
              consumers: g.consumers
                .map((c) => ({
                  name: latin1(c.name),
                  seen: c.seenTimeMs,
                  pel: g.pending
                    .filter((p) => latin1(p.consumer) === latin1(c.name))
                    .map((p) => ids(p.id)),
                }))
                .sort((x, y) => sortStr(x.name, y.name)),
            }))
            .sort((x, y) => sortStr(x.name, y.name)),
        },
      ];
  }
}

function kv(a: RespValue): Map<string, RespValue> {
  const m = new Map<string, RespValue>();
  const arr = a as RespValue[];
  for (let i = 0; i < arr.length; i += 2) m.set(arr[i] as string, arr[i + 1]!);
  return m;
}

/** Canonical form of key `key` as redis-server reports it (latin1 bulk strings). */
export async function canonFromRedis(c: RespConn, key: string | Uint8Array): Promise<unknown> {
  const [type] = (await c.values([["TYPE", key]])) as string[];
  switch (type) {
    case "string":
      return ["string", (await c.values([["GET", key]]))[0]];
    case "list":
      return ["list", (await c.values([["LRANGE", key, 0, -1]]))[0]];
    case "set":
      return ["set", ((await c.values([["SMEMBERS", key]]))[0] as string[]).sort(sortStr)];
    case "zset": {
      const flat = (await c.values([["ZRANGE", key, 0, -1, "WITHSCORES"]]))[0] as string[];
      const out: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2)
        out.push([flat[i]!, scoreText(Number(flat[i + 1]!.replace("inf", "Infinity")))]);
      return ["zset", out];
    }
    case "hash": {
      const flat = (await c.values([["HGETALL", key]]))[0] as string[];
      const out: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
      return ["hash", out.sort((x, y) => sortStr(x[0], y[0]))];
    }
    case "stream": {
      const info = kv((await c.values([["XINFO", "STREAM", key, "FULL", "COUNT", 0]]))[0]!);
      const entries = (info.get("entries") as RespValue[][]).map(([id, f]) => [id, f]);
      const groups = (info.get("groups") as RespValue[]).map((gv) => {
        const g = kv(gv);
        const pel = (g.get("pending") as RespValue[][]).map(([id, cons, t, n]) => [id, cons, t, n]);
        return {
          name: g.get("name"),
          lastId: g.get("last-delivered-id"),
          entriesRead: g.get("entries-read") ?? -1,
          pel: pel.sort(),
          consumers: (g.get("consumers") as RespValue[])
            .map((cv) => {
              const cm = kv(cv);
              return {
                name: cm.get("name"),
                seen: cm.get("seen-time"),
                pel: (cm.get("pending") as RespValue[][]).map(([id]) => id),
              };
            })
            .sort((x, y) => sortStr(x.name as string, y.name as string)),
        };
      });
      return [
        "stream",
        {
          length: info.get("length"),
          lastId: info.get("last-generated-id"),
          maxDeletedId: info.get("max-deleted-entry-id"),
          entriesAdded: info.get("entries-added"),
          firstId: info.get("recorded-first-entry-id"),
          entries,
          groups: groups.sort((x, y) => sortStr(x.name as string, y.name as string)),
        },
      ];
    }
    default:
      throw new Error(`canonFromRedis: key ${String(key)} has type ${type}`);
  }
}

/** A DUMP payload from redis as bytes. */
export async function dumpFrom(c: RespConn, key: string): Promise<Uint8Array> {
  const [v] = await c.values([["DUMP", key]]);
  if (typeof v !== "string") throw new Error(`DUMP ${key} -> ${String(v)}`);
  return fromLatin1(v);
}
