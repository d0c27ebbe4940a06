// Key lookups as Redis's db.c does them for commands: lazy expiry (in the keyspace), keyspace
// hit/miss statistics for reads (lookupKeyRead counts, lookupKeyWrite does not), and the access
// clock that OBJECT IDLETIME / OBJECT FREQ report (the `clock` column).
//
// The clock column holds, like Redis's robj.lru:
// - LRU policies and noeviction: the unix time in seconds of the last access;
// - LFU policies: (minutes since epoch & 0xffff) << 8 | a logarithmic access counter.
// Keys created elsewhere start at 0, which reads as "accessed just now".

import type { Client } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import type { Table } from "../store/table.ts";

/** Redis's LFU_INIT_VAL: the counter a new key starts with. */
export const LFU_INIT_VAL = 5;

// The eviction policy, re-read from the config at most once per clock tick (not per request).
let policyCheckedAt = -1;
let lfu = false;
let lfuLogFactor = 10;
let lfuDecayTime = 1;

export function lfuPolicy(server: Server): boolean {
  const now = server.keyspace.now;
  if (now !== policyCheckedAt) {
    policyCheckedAt = now;
    const c = server.config;
    lfu = c.get("maxmemory-policy").endsWith("-lfu");
    lfuLogFactor = c.int("lfu-log-factor");
    lfuDecayTime = c.int("lfu-decay-time");
  }
  return lfu;
}

function minutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** LFUDecrAndReturn: the counter after decaying one step per lfu-decay-time minutes idle. */
export function lfuCounter(server: Server, clock: number): number {
  if (clock === 0) return LFU_INIT_VAL;
  lfuPolicy(server);
  const last = clock >>> 8;
  let counter = clock & 0xff;
  const now = minutes(server.keyspace.now);
  const elapsed = now >= last ? now - last : 65535 - last + now;
  const periods = lfuDecayTime > 0 ? Math.floor(elapsed / lfuDecayTime) : 0;
  if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

/** Seconds since the last access (OBJECT IDLETIME under LRU policies). */
export function idleSeconds(server: Server, clock: number): number {
  if (clock === 0) return 0;
  const now = Math.floor(server.keyspace.now / 1000);
  return now > clock ? now - clock : 0;
}

/** Record an access to entry e (Redis: on every lookup without LOOKUP_NOTOUCH). */
export function touch(server: Server, t: Table, e: number): void {
  if (!lfuPolicy(server)) {
    t.clock[e] = Math.floor(server.keyspace.now / 1000);
    return;
  }
  let counter = lfuCounter(server, t.clock[e]!);
  if (counter < 255) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (Math.random() < 1 / (base * lfuLogFactor + 1)) counter++;
  }
  t.clock[e] = (minutes(server.keyspace.now) << 8) | counter;
}

/** Stamp a key just created (Redis: a new object's lru field). */
export function stampNew(server: Server, t: Table, e: number): void {
  t.clock[e] = lfuPolicy(server)
    ? (minutes(server.keyspace.now) << 8) | LFU_INIT_VAL
    : Math.floor(server.keyspace.now / 1000);
}

/** lookupKeyRead: entry id or -1; counts a keyspace hit or miss; touches the key. */
export function lookupRead(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  const e = server.keyspace.lookupRead(c.db, a.buf, a.off(i), a.len(i));
  if (e < 0) {
    server.stats.keyspaceMisses++;
    return -1;
  }
  server.stats.keyspaceHits++;
  touch(server, server.keyspace.db(c.db), e);
  return e;
}

/** lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counts hits/misses, leaves the clock alone. */
export function lookupReadNoTouch(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  const e = server.keyspace.lookupRead(c.db, a.buf, a.off(i), a.len(i));
  if (e < 0) server.stats.keyspaceMisses++;
  else server.stats.keyspaceHits++;
  return e;
}

/** lookupKeyWrite: entry id or -1; no statistics; touches the key. */
export function lookupWrite(c: Client, i: number): number {
  const a = c.argv;
  const server = c.server;
  const e = server.keyspace.lookupWrite(c.db, a.buf, a.off(i), a.len(i));
  if (e >= 0) touch(server, server.keyspace.db(c.db), e);
  return e;
}
