// Key lookups as Redis's db.c does them for commands: lazy expiry and the access clock live in
// the keyspace (lookupRead/lookupWrite touch the key, lookupNoTouch does not); this adds the
// keyspace hit/miss statistics, which Redis counts for read lookups only (lookupKeyRead counts,
// lookupKeyWrite does not).

import type { Client } from "../server/client.ts";

/** lookupKeyRead: entry id or -1; counts a keyspace hit or miss; touches the key. */
export function lookupRead(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  const e = server.keyspace.lookupRead(c.db, a.buf, a.off(i), a.len(i));
  if (e < 0) server.stats.keyspaceMisses++;
  else server.stats.keyspaceHits++;
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

/** lookupKeyWrite: entry id or -1; no statistics; touches the key. */
export function lookupWrite(c: Client, i: number): number {
  const a = c.argv;
  return c.server.keyspace.lookupWrite(c.db, a.buf, a.off(i), a.len(i));
}
