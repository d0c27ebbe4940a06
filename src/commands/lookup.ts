// Key lookups as Redis's db.c does them for commands: lazy expiry and the access clock live in
// the keyspace (lookupRead/lookupWrite touch the key, lookupNoTouch does not); this adds the
// keyspace hit/miss statistics, which Redis counts for read lookups only (lookupKeyRead counts,
// lookupKeyWrite does not).

import type { Client } from "../server/client.ts";

/** lookupKeyRead: entry id or -1; counts a keyspace hit or miss; touches the key. */
export function lookupRead(c: Client, i: number): number {
  const a = c.argv;
  return counted(c, c.server.keyspace.lookupRead(c.db, a.buf, a.off(i), a.len(i)));
}

/** lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counts hits/misses, leaves the clock alone. */
export function lookupReadNoTouch(c: Client, i: number): number {
  const a = c.argv;
  return counted(c, c.server.keyspace.lookupNoTouch(c.db, a.buf, a.off(i), a.len(i)));
}

/** Count a read lookup's hit or miss; passes the entry id through. */
function counted(c: Client, e: number): number {
  const stats = c.server.stats;
  if (e < 0) stats.keyspaceMisses++;
  else stats.keyspaceHits++;
  return e;
}

/** lookupKeyWrite: entry id or -1; no statistics; touches the key. */
export function lookupWrite(c: Client, i: number): number {
  const a = c.argv;
  return c.server.keyspace.lookupWrite(c.db, a.buf, a.off(i), a.len(i));
}
