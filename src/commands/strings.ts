// String commands (Redis t_string.c). Values live as bytes in the arena; replies copy straight
// from the arena into the output buffer. GET, SET, MGET and INCR allocate nothing: integers are
// parsed from and formatted into bytes, and BigInt is used only past 2^53 (the int64 edge).

import {
  addLongDouble,
  formatLongDoubleHuman,
  type LongDouble,
  parseLongDouble,
} from "../protocol/longdouble.ts";
import { parseInt64, parseInt64Big } from "../protocol/number.ts";
import { MODE_V1 } from "../protocol/reply.ts";
import type { Client } from "../server/client.ts";
import { copyBytes } from "../store/bytes.ts";
import { type Table, TYPE_STRING } from "../store/table.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";
import { type CommandSpec, command } from "./table.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NOT_INT = "ERR value is not an integer or out of range";
export const SYNTAX = "ERR syntax error";
const NOT_FLOAT = "ERR value is not a valid float";
const OVERFLOW = "ERR increment or decrement would overflow";
const TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** Redis's arity error (the original v1 protocol has its own shorter text). */
export function arityError(c: Client, name: string): void {
  if (c.reply.mode === MODE_V1) c.reply.error("ERR wrong number of arguments");
  else c.reply.error(`ERR wrong number of arguments for '${name}' command`);
}

// ---- int64 ---------------------------------------------------------------------------------

/** Set by parseLL when it returns BIG: the exact value. */
let bigValue = 0n;
/** parseLL's answer for a valid int64 beyond +-2^53. */
const BIG = Number.POSITIVE_INFINITY;

/** Redis string2ll: a safe integer, BIG (exact value in bigValue), or NaN when invalid. */
function parseLL(buf: Uint8Array, off: number, len: number): number {
  const n = parseInt64(buf, off, len);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) return n;
  if (len < 16) return Number.NaN; // fewer than 16 chars cannot be beyond 2^53
  const b = parseInt64Big(buf, off, len);
  if (b === null) return Number.NaN;
  bigValue = b;
  return BIG;
}

/**
 * An int64 argument where exactness past 2^53 does not matter (offsets, counts, times): the
 * value, approximated as a double beyond 2^53; NaN when Redis would refuse it.
 */
export function intArg(c: Client, i: number): number {
  const a = c.argv;
  const n = parseLL(a.buf, a.off(i), a.len(i));
  return n === BIG ? Number(bigValue) : n;
}

// Digits of an INCR result are written here, then copied into the arena.
const digits = new Uint8Array(24);

/** Decimal digits of a safe integer into `digits`; returns the length. */
function formatInt(x: number): number {
  let p = 0;
  if (x < 0) {
    digits[p++] = 45;
    x = -x;
  }
  let n = 1;
  for (let t = x; t >= 10; t = Math.floor(t / 10)) n++;
  let q = p + n;
  const len = q;
  do {
    const d = x % 10;
    digits[--q] = 48 + d;
    x = (x - d) / 10;
  } while (x > 0);
  return len;
}

const latin1Encoder = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

// ---- shared write paths ----------------------------------------------------------------------

/**
 * setKey: store argument vi under argument ki as a string; TTL cleared unless keepTtl. One hash
 * lookup; a key of another type is removed first (its object's bytes leave the accounting).
 */
function setKeyFromArg(c: Client, ki: number, vi: number, keepTtl: boolean): number {
  const a = c.argv;
  const ks = c.server.keyspace;
  const t = ks.db(c.db);
  const kb = a.buf;
  const ko = a.off(ki);
  const kl = a.len(ki);
  const vo = a.off(vi);
  const vl = a.len(vi);
  let e = t.find(kb, ko, kl);
  if (e >= 0 && t.type[e] !== TYPE_STRING) {
    ks.removeEntry(t, e);
    e = -1;
  }
  if (e < 0) {
    // a new entry starts with no TTL and the keyspace's initial clock
    e = t.add(kb, ko, kl, TYPE_STRING, vl);
    copyBytes(kb, vo, t.page(e), t.valueOffset(e), vl);
    return e;
  }
  t.setValue(e, kb, vo, vl);
  if (e < t.objs.length && t.objs[e] !== undefined) t.objs[e] = undefined; // encoding marker
  if (!keepTtl) t.expireAt[e] = 0; // = ks.clearExpire(t, e), inlined on the SET hot path
  ks.touch(t, e); // Redis looks the key up for writing (LRU: now; LFU: keeps and bumps)
  return e;
}

/**
 * Store bytes under argument ki, keeping the TTL of an existing entry e (dbOverwrite); the
 * value's encoding marker becomes `enc` (undefined: derived from the bytes).
 */
function overwrite(
  c: Client,
  t: Table,
  e: number,
  ki: number,
  v: Uint8Array,
  vlen: number,
  enc: StringEncoding | undefined,
): void {
  if (e < 0) {
    const a = c.argv;
    e = t.add(a.buf, a.off(ki), a.len(ki), TYPE_STRING, vlen);
    copyBytes(v, 0, t.page(e), t.valueOffset(e), vlen);
  } else {
    t.setValue(e, v, 0, vlen);
  }
  markEncoding(t, e, enc);
}

// ---- OBJECT ENCODING of strings ------------------------------------------------------------
//
// Redis's encoding of a string depends on how it was made, not only on its bytes: SET and
// friends pick int / embstr / raw from the value (tryObjectEncoding), but APPEND and SETRANGE
// leave a raw string and INCRBYFLOAT an embstr one (never int), and COPY of a shared integer
// makes an unshared one (refcount 1). Those cases are marked in the entry's object slot (unused
// by strings otherwise); no marker means "derive from the bytes".

export type StringEncoding = "raw" | "embstr" | "int";

function markEncoding(t: Table, e: number, enc: StringEncoding | undefined): void {
  if (enc !== undefined) t.setObj(e, enc);
  else if (e < t.objs.length && t.objs[e] !== undefined) t.objs[e] = undefined;
}

/** The encoding marker of string entry e, if it has one. */
export function encodingMarker(t: Table, e: number): StringEncoding | undefined {
  return t.getObj(e) as StringEncoding | undefined;
}

// ---- SET and its options ---------------------------------------------------------------------

const F_NX = 1;
const F_XX = 2;
const F_EX = 4;
const F_PX = 8;
const F_KEEPTTL = 16;
const F_GET = 32;
const F_EXAT = 64;
const F_PXAT = 128;
const F_PERSIST = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/**
 * Compare argument i with a lowercase option word the way the C code does: case-insensitively,
 * with the argument read as a C string (it ends at its first NUL byte).
 */
function optIs(c: Client, i: number, word: string): boolean {
  const a = c.argv;
  const buf = a.buf;
  const off = a.off(i);
  const len = a.len(i);
  const n = word.length;
  if (len < n) return false;
  for (let k = 0; k < n; k++) {
    const b = buf[off + k]!;
    const lower = b >= 65 && b <= 90 ? b | 0x20 : b;
    if (lower !== word.charCodeAt(k)) return false;
  }
  return len === n || buf[off + n] === 0;
}

// parseExtendedStringArgumentsOrReply's results (module state: commands run one at a time).
let optFlags = 0;
let optExpireArg = -1;

/**
 * SET/GETEX options from argument `from` on. Replies with `syntaxError` (Redis's syntax error,
 * or the original protocol's arity error for untyped SET) and returns false.
 */
function parseSetOptions(c: Client, from: number, isSet: boolean, syntaxError = SYNTAX): boolean {
  const count = c.argv.count;
  let f = 0;
  optExpireArg = -1;
  for (let j = from; j < count; j++) {
    const hasNext = j + 1 < count;
    if (isSet && optIs(c, j, "nx") && !(f & F_XX)) f |= F_NX;
    else if (isSet && optIs(c, j, "xx") && !(f & F_NX)) f |= F_XX;
    else if (isSet && optIs(c, j, "get")) f |= F_GET;
    else if (isSet && optIs(c, j, "keepttl") && !(f & (F_PERSIST | F_ANY_EXPIRE))) f |= F_KEEPTTL;
    else if (!isSet && optIs(c, j, "persist") && !(f & (F_ANY_EXPIRE | F_KEEPTTL))) f |= F_PERSIST;
    else if (
      optIs(c, j, "ex") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT)) &&
      hasNext
    ) {
      f |= F_EX;
      optExpireArg = ++j;
    } else if (
      optIs(c, j, "px") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) &&
      hasNext
    ) {
      f |= F_PX;
      optExpireArg = ++j;
    } else if (
      optIs(c, j, "exat") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) &&
      hasNext
    ) {
      f |= F_EXAT;
      optExpireArg = ++j;
    } else if (
      optIs(c, j, "pxat") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) &&
      hasNext
    ) {
      f |= F_PXAT;
      optExpireArg = ++j;
    } else {
      c.reply.error(syntaxError);
      return false;
    }
  }
  optFlags = f;
  return true;
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry in unix ms for the expire argument i, or -1
 * after replying with the error. `name` goes into Redis's error text.
 */
function expireMs(c: Client, i: number, flags: number, name: string): number {
  const a = c.argv;
  let ms = parseLL(a.buf, a.off(i), a.len(i));
  if (Number.isNaN(ms)) {
    c.reply.error(NOT_INT);
    return -1;
  }
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  const relative = (flags & (F_EX | F_PX)) !== 0;
  if (ms === BIG || (seconds && ms > MAX_SAFE / 1000)) {
    // Near the int64 edge: Redis's checks, exactly (the stored time is then approximate).
    let b = ms === BIG ? bigValue : BigInt(ms);
    if (b <= 0n || (seconds && b > LLONG_MAX / 1000n)) return invalidExpire(c, name);
    if (seconds) b *= 1000n;
    if (relative) b += BigInt(c.server.keyspace.now);
    if (b > LLONG_MAX) return invalidExpire(c, name); // the C addition overflows
    return Number(b);
  }
  if (ms <= 0) return invalidExpire(c, name);
  if (seconds) ms *= 1000;
  if (relative) ms += c.server.keyspace.now;
  return ms;
}

function invalidExpire(c: Client, name: string): number {
  c.reply.error(`ERR invalid expire time in '${name}' command`);
  return -1;
}

/** getGenericCommand: reply with the value (or nil); false after a WRONGTYPE error. */
function replyValue(c: Client): boolean {
  const e = lookupRead(c, 1);
  if (e < 0) {
    c.reply.nil();
    return true;
  }
  const t = c.server.keyspace.db(c.db);
  if (t.type[e] !== TYPE_STRING) {
    c.reply.error(WRONGTYPE);
    return false;
  }
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  return true;
}

/** setGenericCommand. okInt: SETNX-style 1/0 replies instead of OK/nil. */
function setGeneric(
  c: Client,
  flags: number,
  vi: number,
  expireArg: number,
  name: string,
  okInt: boolean,
): void {
  let at = 0;
  if (expireArg >= 0) {
    at = expireMs(c, expireArg, flags, name);
    if (at < 0) return;
  }
  if (flags & F_GET && !replyValue(c)) return;
  const a = c.argv;
  const found = c.server.keyspace.lookupWrite(c.db, a.buf, a.off(1), a.len(1)) >= 0;
  if ((flags & F_NX && found) || (flags & F_XX && !found)) {
    if (!(flags & F_GET)) {
      if (okInt) c.reply.int(0);
      else c.reply.nil();
    }
    return;
  }
  const e = setKeyFromArg(c, 1, vi, (flags & F_KEEPTTL) !== 0);
  if (expireArg >= 0) c.server.keyspace.setExpire(c.server.keyspace.db(c.db), e, at);
  if (!(flags & F_GET)) {
    if (okInt) c.reply.int(1);
    else c.reply.ok();
  }
}

function get(c: Client): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const t = c.server.keyspace.db(c.db);
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
}

function set(c: Client): void {
  if (c.argv.count === 3) {
    setKeyFromArg(c, 1, 2, false);
    return c.reply.ok();
  }
  if (!parseSetOptions(c, 3, true)) return;
  setGeneric(c, optFlags, 2, optExpireArg, "set", false);
}

/**
 * SET on an untyped v1 connection. The original server took exactly `set key value` and answered
 * anything else with its arity error; Redis's options work here too, but arguments that are not
 * valid options still get the original's answer, byte for byte.
 */
function setV1(c: Client): void {
  if (c.argv.count === 3) {
    setKeyFromArg(c, 1, 2, false);
    return c.reply.ok();
  }
  if (!parseSetOptions(c, 3, true, "ERR wrong number of arguments")) return;
  setGeneric(c, optFlags, 2, optExpireArg, "set", false);
}

function setnx(c: Client): void {
  setGeneric(c, F_NX, 2, -1, "setnx", true);
}

function setex(c: Client): void {
  setGeneric(c, F_EX, 3, 2, "setex", false);
}

function psetex(c: Client): void {
  setGeneric(c, F_PX, 3, 2, "psetex", false);
}

function getex(c: Client): void {
  if (!parseSetOptions(c, 2, false)) return;
  const flags = optFlags;
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const ks = c.server.keyspace;
  const t = ks.db(c.db);
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  let at = 0;
  if (optExpireArg >= 0) {
    at = expireMs(c, optExpireArg, flags, "getex");
    if (at < 0) return;
  }
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  if (flags & (F_EXAT | F_PXAT) && at <= ks.now) ks.removeEntry(t, e);
  else if (optExpireArg >= 0) ks.setExpire(t, e, at);
  else if (flags & F_PERSIST) ks.clearExpire(t, e);
}

function getset(c: Client): void {
  if (!replyValue(c)) return;
  setKeyFromArg(c, 1, 2, false);
}

function getdel(c: Client): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const t = c.server.keyspace.db(c.db);
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  c.server.keyspace.removeEntry(t, e);
}

function mget(c: Client): void {
  const n = c.argv.count - 1;
  const t = c.server.keyspace.db(c.db);
  c.reply.array(n);
  for (let i = 1; i <= n; i++) {
    const e = lookupRead(c, i);
    if (e < 0 || t.type[e] !== TYPE_STRING) c.reply.nil();
    else c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  }
}

function mset(c: Client): void {
  const count = c.argv.count;
  if (count % 2 === 0) return arityError(c, "mset");
  for (let i = 1; i < count; i += 2) setKeyFromArg(c, i, i + 1, false);
  c.reply.ok();
}

function msetnx(c: Client): void {
  const a = c.argv;
  const count = a.count;
  if (count % 2 === 0) return arityError(c, "msetnx");
  const ks = c.server.keyspace;
  for (let i = 1; i < count; i += 2) {
    if (ks.lookupWrite(c.db, a.buf, a.off(i), a.len(i)) >= 0) return c.reply.int(0);
  }
  for (let i = 1; i < count; i += 2) setKeyFromArg(c, i, i + 1, false);
  c.reply.int(1);
}

// ---- APPEND, STRLEN, GETRANGE, SETRANGE ------------------------------------------------------

function append(c: Client): void {
  const a = c.argv;
  const e = lookupWrite(c, 1);
  const t = c.server.keyspace.db(c.db);
  const add = a.len(2);
  if (e < 0) {
    setKeyFromArg(c, 1, 2, false);
    return c.reply.int(add);
  }
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  const old = t.valLen[e]!;
  if (old + add > c.server.limits.maxBulkLen) return c.reply.error(TOO_BIG);
  if (add > 0) {
    t.resizeValue(e, old + add);
    copyBytes(a.buf, a.off(2), t.page(e), t.valueOffset(e) + old, add);
  }
  markEncoding(t, e, "raw"); // Redis unshares the value into a raw string, even for ""
  c.reply.int(old + add);
}

function strlen(c: Client): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.int(0);
  const t = c.server.keyspace.db(c.db);
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.reply.int(t.valLen[e]!);
}

function getrange(c: Client): void {
  let start = intArg(c, 2);
  let end = intArg(c, 3);
  if (Number.isNaN(start) || Number.isNaN(end)) return c.reply.error(NOT_INT);
  const e = lookupRead(c, 1);
  const r = c.reply;
  if (e < 0) return r.bulk(digits, 0, 0);
  const t = c.server.keyspace.db(c.db);
  if (t.type[e] !== TYPE_STRING) return r.error(WRONGTYPE);
  const len = t.valLen[e]!;
  if (start < 0 && end < 0 && start > end) return r.bulk(digits, 0, 0);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return r.bulk(digits, 0, 0);
  r.bulk(t.page(e), t.valueOffset(e) + start, end - start + 1);
}

function setrange(c: Client): void {
  const a = c.argv;
  const offset = intArg(c, 2);
  if (Number.isNaN(offset)) return c.reply.error(NOT_INT);
  if (offset < 0) return c.reply.error("ERR offset is out of range");
  const vlen = a.len(3);
  const e = lookupWrite(c, 1);
  const t = c.server.keyspace.db(c.db);
  const limit = c.server.limits.maxBulkLen;
  if (e < 0) {
    if (vlen === 0) return c.reply.int(0);
    if (offset + vlen > limit) return c.reply.error(TOO_BIG);
    const ne = t.add(a.buf, a.off(1), a.len(1), TYPE_STRING, offset + vlen);
    const vo = t.valueOffset(ne);
    t.page(ne).fill(0, vo, vo + offset);
    copyBytes(a.buf, a.off(3), t.page(ne), vo + offset, vlen);
    markEncoding(t, ne, "raw");
    return c.reply.int(offset + vlen);
  }
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  const old = t.valLen[e]!;
  if (vlen === 0) return c.reply.int(old);
  if (offset + vlen > limit) return c.reply.error(TOO_BIG);
  if (offset + vlen > old) t.resizeValue(e, offset + vlen);
  copyBytes(a.buf, a.off(3), t.page(e), t.valueOffset(e) + offset, vlen);
  markEncoding(t, e, "raw");
  c.reply.int(t.valLen[e]!);
}

// ---- INCR family -----------------------------------------------------------------------------

/** incrDecrCommand with a safe-integer increment, or BIG (exact increment in `incrBig`). */
function incrBy(c: Client, incr: number, incrBig: bigint): void {
  const e = lookupWrite(c, 1);
  const t = c.server.keyspace.db(c.db);
  let value = 0;
  let valueBig = 0n;
  if (e >= 0) {
    if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
    value = parseLL(t.page(e), t.valueOffset(e), t.valLen[e]!);
    if (Number.isNaN(value)) return c.reply.error(NOT_INT);
    if (value === BIG) valueBig = bigValue;
  }
  if (value !== BIG && incr !== BIG) {
    const r = value + incr;
    if (r >= -MAX_SAFE && r <= MAX_SAFE) {
      overwrite(c, t, e, 1, digits, formatInt(r), undefined);
      return c.reply.int(r);
    }
  }
  // The int64 edge: exact arithmetic and Redis's overflow rule.
  const v = value === BIG ? valueBig : BigInt(value);
  const n = incr === BIG ? incrBig : BigInt(incr);
  if ((n < 0n && v < 0n && n < LLONG_MIN - v) || (n > 0n && v > 0n && n > LLONG_MAX - v)) {
    return c.reply.error(OVERFLOW);
  }
  const r = v + n;
  const text = latin1Encoder(r.toString());
  overwrite(c, t, e, 1, text, text.length, undefined);
  c.reply.intBig(r);
}

function incr(c: Client): void {
  incrBy(c, 1, 0n);
}

function decr(c: Client): void {
  incrBy(c, -1, 0n);
}

function incrby(c: Client): void {
  const a = c.argv;
  const n = parseLL(a.buf, a.off(2), a.len(2));
  if (Number.isNaN(n)) return c.reply.error(NOT_INT);
  incrBy(c, n, n === BIG ? bigValue : 0n);
}

function decrby(c: Client): void {
  const a = c.argv;
  const n = parseLL(a.buf, a.off(2), a.len(2));
  if (Number.isNaN(n)) return c.reply.error(NOT_INT);
  if (n !== BIG) return incrBy(c, -n, 0n);
  if (bigValue === LLONG_MIN) return c.reply.error("ERR decrement would overflow");
  const neg = -bigValue;
  if (neg >= -BigInt(MAX_SAFE) && neg <= BigInt(MAX_SAFE)) return incrBy(c, Number(neg), 0n);
  incrBy(c, BIG, neg);
}

function incrbyfloat(c: Client): void {
  const a = c.argv;
  const e = lookupWrite(c, 1);
  const t = c.server.keyspace.db(c.db);
  let value: LongDouble = { neg: false, mant: 0n, exp: 0, inf: false };
  if (e >= 0) {
    if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
    const v = parseLongDouble(t.page(e), t.valueOffset(e), t.valLen[e]!);
    if (v === null) return c.reply.error(NOT_FLOAT);
    value = v;
  }
  const incr = parseLongDouble(a.buf, a.off(2), a.len(2));
  if (incr === null) return c.reply.error(NOT_FLOAT);
  const sum = addLongDouble(value, incr);
  if (sum === null) return c.reply.error("ERR increment would produce NaN or Infinity");
  const text = latin1Encoder(formatLongDoubleHuman(sum));
  overwrite(c, t, e, 1, text, text.length, text.length <= 44 ? "embstr" : "raw");
  c.reply.bulkBytes(text);
}

// ---- LCS -------------------------------------------------------------------------------------

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (t_string.c lcsCommand): the
 * classic O(n*m) table, bounded like Redis by proto-max-bulk-len bytes of 4-byte cells.
 */
function lcs(c: Client): void {
  const a = c.argv;
  const ks = c.server.keyspace;
  const t = ks.db(c.db);
  const ea = lookupRead(c, 1);
  const eb = lookupRead(c, 2);
  if ((ea >= 0 && t.type[ea] !== TYPE_STRING) || (eb >= 0 && t.type[eb] !== TYPE_STRING)) {
    return c.reply.error("ERR The specified keys must contain string values");
  }
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < a.count; j++) {
    const more = a.count - 1 - j;
    if (a.is(j, "idx")) getIdx = true;
    else if (a.is(j, "len")) getLen = true;
    else if (a.is(j, "withmatchlen")) withMatchLen = true;
    else if (a.is(j, "minmatchlen") && more > 0) {
      const n = intArg(c, j + 1);
      if (Number.isNaN(n)) return c.reply.error(NOT_INT);
      minMatchLen = Math.max(n, 0);
      j++;
    } else {
      return c.reply.error(SYNTAX);
    }
  }
  if (getIdx && getLen) {
    return c.reply.error("ERR If you want both the length and indexes, please just use IDX.");
  }
  // copies: the table below may be large, and nothing else runs meanwhile, but keep it simple
  const A = ea >= 0 ? t.valueBytes(ea) : new Uint8Array(0);
  const B = eb >= 0 ? t.valueBytes(eb) : new Uint8Array(0);
  const alen = A.length;
  const blen = B.length;
  const w = blen + 1;
  const cells = (alen + 1) * w;
  if (cells * 4 > c.server.limits.maxBulkLen) {
    return c.reply.error(
      "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
  }
  let dp: Uint32Array;
  try {
    dp = new Uint32Array(cells);
  } catch {
    return c.reply.error("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  for (let i = 1; i <= alen; i++) {
    const ai = A[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === B[j - 1]) dp[row + j] = dp[prev + j - 1]! + 1;
      else {
        const l1 = dp[prev + j]!;
        const l2 = dp[row + j - 1]!;
        dp[row + j] = Math.max(l1, l2);
      }
    }
  }
  const total = dp[alen * w + blen]!;
  const r = c.reply;
  if (getLen) return r.int(total);
  // Walk back from the end, building the string and the match ranges (latest first).
  const result = new Uint8Array(total);
  const ranges: number[] = []; // aStart, aEnd, bStart, bEnd, len per range
  let idx = total;
  let i = alen;
  let j = blen;
  let as = alen; // alen: no range open
  let ae = 0;
  let bs = 0;
  let be = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (A[i - 1] === B[j - 1]) {
      result[idx - 1] = A[i - 1]!;
      if (as === alen) {
        as = i - 1;
        ae = i - 1;
        bs = j - 1;
        be = j - 1;
      } else if (as === i && bs === j) {
        as--;
        bs--;
      } else {
        emit = true;
      }
      if (as === 0 || bs === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * w + j]! > dp[i * w + j - 1]!) i--;
      else j--;
      if (as !== alen) emit = true;
    }
    if (emit) {
      const len = ae - as + 1;
      if (minMatchLen === 0 || len >= minMatchLen) ranges.push(as, ae, bs, be, len);
      as = alen;
    }
  }
  if (!getIdx) return r.bulkBytes(result);
  r.map(2);
  r.bulkStr("matches");
  r.array(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    r.array(withMatchLen ? 3 : 2);
    r.array(2);
    r.int(ranges[k]!);
    r.int(ranges[k + 1]!);
    r.array(2);
    r.int(ranges[k + 2]!);
    r.int(ranges[k + 3]!);
    if (withMatchLen) r.int(ranges[k + 4]!);
  }
  r.bulkStr("len");
  r.int(total);
}

// ---- the table -------------------------------------------------------------------------------

const S = "string";
export const stringCommands: CommandSpec[] = [
  command("get", 2, "readonly fast", [1, 1, 1], S, "Returns the string value of a key.", get, {
    since: "1.0.0",
  }),
  command(
    "set",
    -3,
    "write denyoom",
    [1, 1, 1],
    S,
    "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    set,
    {
      since: "1.0.0",
      v1Handler: setV1,
    },
  ),
  command(
    "setnx",
    3,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Set the string value of a key only when the key doesn't exist.",
    setnx,
    { since: "1.0.0" },
  ),
  command(
    "setex",
    4,
    "write denyoom",
    [1, 1, 1],
    S,
    "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
    setex,
    { since: "2.0.0" },
  ),
  command(
    "psetex",
    4,
    "write denyoom",
    [1, 1, 1],
    S,
    "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
    psetex,
    { since: "2.6.0" },
  ),
  command(
    "getex",
    -2,
    "write fast",
    [1, 1, 1],
    S,
    "Returns the string value of a key after setting its expiration time.",
    getex,
    { since: "6.2.0" },
  ),
  command(
    "getset",
    3,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Returns the previous string value of a key after setting it to a new value.",
    getset,
    { since: "1.0.0" },
  ),
  command(
    "getdel",
    2,
    "write fast",
    [1, 1, 1],
    S,
    "Returns the string value of a key after deleting the key.",
    getdel,
    { since: "6.2.0" },
  ),
  command(
    "mget",
    -2,
    "readonly fast",
    [1, -1, 1],
    S,
    "Atomically returns the string values of one or more keys.",
    mget,
    { since: "1.0.0" },
  ),
  command(
    "mset",
    -3,
    "write denyoom",
    [1, -1, 2],
    S,
    "Atomically creates or modifies the string values of one or more keys.",
    mset,
    { since: "1.0.1" },
  ),
  command(
    "msetnx",
    -3,
    "write denyoom",
    [1, -1, 2],
    S,
    "Atomically modifies the string values of one or more keys only when all keys don't exist.",
    msetnx,
    { since: "1.0.1" },
  ),
  command(
    "append",
    3,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    append,
    { since: "2.0.0" },
  ),
  command(
    "strlen",
    2,
    "readonly fast",
    [1, 1, 1],
    S,
    "Returns the length of a string value.",
    strlen,
    { since: "2.2.0" },
  ),
  command(
    "getrange",
    4,
    "readonly",
    [1, 1, 1],
    S,
    "Returns a substring of the string stored at a key.",
    getrange,
    { since: "2.4.0" },
  ),
  command(
    "substr",
    4,
    "readonly",
    [1, 1, 1],
    S,
    "Returns a substring from a string value.",
    getrange,
    { since: "1.0.0" },
  ),
  command(
    "setrange",
    4,
    "write denyoom",
    [1, 1, 1],
    S,
    "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
    setrange,
    { since: "2.2.0" },
  ),
  command(
    "incr",
    2,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    incr,
    { since: "1.0.0" },
  ),
  command(
    "decr",
    2,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    decr,
    { since: "1.0.0" },
  ),
  command(
    "incrby",
    3,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    incrby,
    { since: "1.0.0" },
  ),
  command(
    "decrby",
    3,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
    decrby,
    { since: "1.0.0" },
  ),
  command(
    "incrbyfloat",
    3,
    "write denyoom fast",
    [1, 1, 1],
    S,
    "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    incrbyfloat,
    { since: "2.6.0" },
  ),
  command("lcs", -3, "readonly", [1, 2, 1], S, "Finds the longest common substring.", lcs, {
    since: "7.0.0",
  }),
];
