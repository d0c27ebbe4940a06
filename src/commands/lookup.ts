// Key lookups as Redis's db.c does them for commands: lazy expiry and the access clock live in
// the keyspace (lookupRead/lookupWrite touch the key, lookupNoTouch does not); this adds the
// keyspace hit/miss statistics, which Redis counts for read lookups only (lookupKeyRead counts,
// lookupKeyWrite does not).
//
// Every key access of a command goes through one of these (never `table.find`), so expiry and
// the statistics are right on every path. A lookup returns the entry id (or -1) in the
// selected database's table, `ctx.table`, so the caller has both without searching again.

import type { CommandContext } from "./context.ts";

/** lookupKeyRead: entry id or -1; counts a keyspace hit or miss; touches the key. */
export function lookupRead(c: CommandContext, i: number): number {
  const a = c.argv;
  return counted(c, i, c.keyspace.lookupRead(c.db, a.buf, a.off(i), a.len(i)));
}

/** lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counts hits/misses, leaves the clock alone. */
export function lookupReadNoTouch(c: CommandContext, i: number): number {
  const a = c.argv;
  return counted(c, i, c.keyspace.lookupNoTouch(c.db, a.buf, a.off(i), a.len(i)));
}

/** OBJECT's lookup (LOOKUP_NOTOUCH | LOOKUP_NONOTIFY): counts hits/misses, no "keymiss" event. */
export function lookupReadNoTouchNoNotify(c: CommandContext, i: number): number {
  const a = c.argv;
  const e = c.keyspace.lookupNoTouch(c.db, a.buf, a.off(i), a.len(i));
  if (e >= 0) c.keyspace.hits++;
  else c.keyspace.misses++;
  return e;
}

/** Count a read lookup's hit or miss (a miss is also the "keymiss" event); passes e through. */
function counted(c: CommandContext, i: number, e: number): number {
  const ks = c.keyspace;
  if (e >= 0) ks.hits++;
  else {
    ks.misses++;
    if (ks.onKeyMiss !== null) ks.onKeyMiss(c.db, c.argv.buf, c.argv.off(i), c.argv.len(i));
  }
  return e;
}

/** lookupKeyWrite: entry id or -1; no statistics; touches the key. */
export function lookupWrite(c: CommandContext, i: number): number {
  const a = c.argv;
  return c.keyspace.lookupWrite(c.db, a.buf, a.off(i), a.len(i));
}

/** lookupKeyWrite of argument i in database `db` (MOVE, COPY ... DB). */
export function lookupWriteIn(c: CommandContext, db: number, i: number): number {
  const a = c.argv;
  return c.keyspace.lookupWrite(db, a.buf, a.off(i), a.len(i));
}

/** dbFind as MEMORY USAGE uses it: no statistics, no touch (lazy expiry still applies). */
export function lookupPeek(c: CommandContext, i: number): number {
  const a = c.argv;
  return c.keyspace.lookupNoTouch(c.db, a.buf, a.off(i), a.len(i));
}
