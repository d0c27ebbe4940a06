// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX/XX/GT/LT), TTL, PTTL, EXPIRETIME,
// PEXPIRETIME, PERSIST, and DEBUG SET-ACTIVE-EXPIRE's handler. Times are unix ms in the table's
// expireAt column; a time already past deletes the key (Redis 7.0 expireGenericCommand).

import { parseInt64Big } from "../protocol/number.ts";
import { NOTIFY_GENERIC } from "../store/notify.ts";
import type { CommandContext } from "./context.ts";
import { NOT_INT } from "./errors.ts";
import { lookupReadNoTouch, lookupWrite } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
/** Below this, seconds*1000 + basetime cannot overflow int64 and doubles stay exact. */
const SAFE_WHEN = 2 ** 40;

const FLAG_NX = 1;
const FLAG_XX = 2;
const FLAG_GT = 4;
const FLAG_LT = 8;

/** Parse NX/XX/GT/LT from argv[3..]; replies with Redis's error and returns -1 if invalid. */
function parseFlags(c: CommandContext): number {
  const a = c.argv;
  let flags = 0;
  for (let j = 3; j < a.count; j++) {
    if (a.is(j, "nx")) flags |= FLAG_NX;
    else if (a.is(j, "xx")) flags |= FLAG_XX;
    else if (a.is(j, "gt")) flags |= FLAG_GT;
    else if (a.is(j, "lt")) flags |= FLAG_LT;
    else {
      c.reply.error(`ERR Unsupported option ${a.str(j)}`);
      return -1;
    }
  }
  if (flags & FLAG_NX && flags & (FLAG_XX | FLAG_GT | FLAG_LT)) {
    c.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return -1;
  }
  if (flags & FLAG_GT && flags & FLAG_LT) {
    c.reply.error("ERR GT and LT options at the same time are not compatible");
    return -1;
  }
  return flags;
}

/**
 * Absolute unix ms for `when` (argv[2]) in `unitMs` units after `basetime`, with Redis's
 * overflow checks; NaN after replying with the error. Exact in int64 via BigInt for big inputs.
 */
export function parseExpireTime(
  c: CommandContext,
  i: number,
  unitMs: number,
  basetime: number,
): number {
  const a = c.argv;
  const n = a.int(i);
  if (!Number.isNaN(n) && Math.abs(n) < SAFE_WHEN) return n * unitMs + basetime;
  const big = parseInt64Big(a.buf, a.off(i), a.len(i));
  if (big === null) {
    c.reply.error(NOT_INT);
    return Number.NaN;
  }
  let when = big;
  if (unitMs === 1000) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) {
      c.reply.error(`ERR invalid expire time in '${c.commandName}' command`);
      return Number.NaN;
    }
    when *= 1000n;
  }
  if (when > LLONG_MAX - BigInt(basetime)) {
    c.reply.error(`ERR invalid expire time in '${c.commandName}' command`);
    return Number.NaN;
  }
  return Number(when + BigInt(basetime));
}

function expireGeneric(c: CommandContext, unitMs: number, relative: boolean): void {
  const flags = parseFlags(c);
  if (flags < 0) return;
  const ks = c.keyspace;
  const when = parseExpireTime(c, 2, unitMs, relative ? ks.now : 0);
  if (Number.isNaN(when)) return;
  const e = lookupWrite(c, 1);
  if (e < 0) return c.reply.int(0);
  const t = c.table;
  if (flags !== 0) {
    const cur = t.expireAt[e]!; // 0 = no TTL (Redis's -1: an infinite TTL)
    if (flags & FLAG_NX && cur !== 0) return c.reply.int(0);
    if (flags & FLAG_XX && cur === 0) return c.reply.int(0);
    if (flags & FLAG_GT && (cur === 0 || when <= cur)) return c.reply.int(0);
    if (flags & FLAG_LT && cur !== 0 && when >= cur) return c.reply.int(0);
  }
  // Already past (or exactly now): delete, as Redis does (not counted as an expired key).
  // The column keeps 0 for "no TTL", so a time at or before the epoch deletes too.
  if (when <= ks.now) {
    ks.removeEntry(t, e);
    c.modifiedArg(1, NOTIFY_GENERIC, "del");
    return c.reply.int(1);
  }
  ks.setExpire(t, e, when);
  c.modifiedArg(1, NOTIFY_GENERIC, "expire");
  c.reply.int(1);
}

/** TTL family: -2 no key, -1 no TTL, else remaining (or absolute) time, rounded like Redis. */
function ttlGeneric(c: CommandContext, ms: boolean, absolute: boolean): void {
  const ks = c.keyspace;
  // Redis: lookupKeyReadWithFlags(LOOKUP_NOTOUCH), which still counts a keyspace hit or miss.
  const e = lookupReadNoTouch(c, 1);
  if (e < 0) return c.reply.int(-2);
  const at = ks.db(c.db).expireAt[e]!;
  if (at === 0) return c.reply.int(-1);
  let v = absolute ? at : at - ks.now;
  if (v < 0) v = 0;
  c.reply.int(ms ? v : Math.floor((v + 500) / 1000));
}

function persist(c: CommandContext): void {
  const e = lookupWrite(c, 1);
  if (e < 0) return c.reply.int(0);
  const t = c.table;
  if (t.expireAt[e] === 0) return c.reply.int(0);
  c.keyspace.clearExpire(t, e);
  c.modifiedArg(1, NOTIFY_GENERIC, "persist");
  c.reply.int(1);
}

const S = 1000;
export const expireCommands: CommandDef[] = [
  cmd("expire", (c) => expireGeneric(c, S, true)),
  cmd("pexpire", (c) => expireGeneric(c, 1, true)),
  cmd("expireat", (c) => expireGeneric(c, S, false)),
  cmd("pexpireat", (c) => expireGeneric(c, 1, false)),
  cmd("ttl", (c) => ttlGeneric(c, false, false)),
  cmd("pttl", (c) => ttlGeneric(c, true, false)),
  cmd("expiretime", (c) => ttlGeneric(c, false, true)),
  cmd("pexpiretime", (c) => ttlGeneric(c, true, true)),
  cmd("persist", persist),
];
