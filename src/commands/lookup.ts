// Key lookups as Redis's db.c does them for commands: lazy expiry (in the keyspace), keyspace
// hit/miss statistics for reads (lookupKeyRead counts, lookupKeyWrite does not), and the access
// clock that OBJECT IDLETIME / OBJECT FREQ report (the `clock` column).
//
// The clock column holds, like Redis's robj.lru:
// - LRU policies and noeviction: the unix time in ms (mod 2^32) of the last access;
// - LFU policies: (minutes since epoch & 0xffff) << 8 | a logarithmic access counter.
// New keys start at the keyspace's "accessed now" word (Table.clockInit).

import type { Client } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { CLOCK_LFU } from "../store/keyspace.ts";
import type { Table } from "../store/table.ts";

export { LFU_INIT_VAL } from "../store/keyspace.ts";

// One clock implementation: the keyspace's (src/store/keyspace.ts, docs/EXPIRY.md). Its lookups
// touch the key (ms-resolution LRU time, or Redis's LFU word under *-lfu policies); the helpers
// below are the views OBJECT and the write paths need.

/** True under an LFU maxmemory-policy (set by Server.applyConfig). */
export function lfuPolicy(server: Server): boolean {
  return server.keyspace.clockMode === CLOCK_LFU;
}

/** LFUDecrAndReturn: the counter after decaying one step per lfu-decay-time minutes idle. */
export function lfuCounter(server: Server, clock: number): number {
  return server.keyspace.lfuDecayed(clock);
}

/** Seconds since the last access (OBJECT IDLETIME under LRU policies). */
export function idleSeconds(server: Server, clock: number): number {
  return Math.floor(server.keyspace.idleMsOf(clock) / 1000);
}

/** Stamp a key just created or overwritten (Redis: a new object's lru field). */
export function stampNew(server: Server, t: Table, e: number): void {
  server.keyspace.stampNew(t, e);
}

/** lookupKeyRead: entry id or -1; counts a keyspace hit or miss; the keyspace touches the key. */
export function lookupRead(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  const e = server.keyspace.lookupRead(c.db, a.buf, a.off(i), a.len(i));
  if (e < 0) {
    server.stats.keyspaceMisses++;
    return -1;
  }
  server.stats.keyspaceHits++;
  return e;
}

/** lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counts hits/misses, leaves the clock alone. */
export function lookupReadNoTouch(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  const e = server.keyspace.lookupNoTouch(c.db, a.buf, a.off(i), a.len(i));
  if (e < 0) server.stats.keyspaceMisses++;
  else server.stats.keyspaceHits++;
  return e;
}

/** lookupKeyWrite: entry id or -1; no statistics; the keyspace touches the key. */
export function lookupWrite(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  return server.keyspace.lookupWrite(c.db, a.buf, a.off(i), a.len(i));
}
