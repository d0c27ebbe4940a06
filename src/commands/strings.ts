// String commands (Redis t_string.c). Values live as bytes in the arena; replies copy straight
// from the arena into the output buffer. GET, SET, MGET and INCR allocate nothing: integers are
// parsed from and formatted into bytes, and BigInt is used only past 2^53 (the int64 edge).

import {
  addLongDouble,
  formatLongDoubleHuman,
  type LongDouble,
  parseLongDouble,
} from "../protocol/longdouble.ts";
import { parseInt64, parseInt64Big, writeDecimal } from "../protocol/number.ts";
import { copyBytes } from "../store/bytes.ts";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../store/notify.ts";
import { type Table, TYPE_STRING } from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import {
  arityError,
  NOT_FLOAT,
  NOT_INT,
  OVERFLOW,
  STRING_TOO_BIG,
  SYNTAX,
  WRONGTYPE,
} from "./errors.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

// ---- int64 ---------------------------------------------------------------------------------

/**
 * The string family's working record, one per context (caller-owned; no module state): the
 * exact value behind parseLL's BIG, SET's parsed options, and INCR's digit buffer.
 */
class StringState {
  /** Set by parseLL when it returns BIG: the exact value. */
  bigValue = 0n;
  /** parseSetOptions's results (parseExtendedStringArgumentsOrReply's out-parameters). */
  optFlags = 0;
  optExpireArg = -1;
  /** Digits of an INCR result are written here, then copied into the arena. */
  readonly digits = new Uint8Array(24);
}
const STRING_STATE = new RecordSlot(() => new StringState());

/** parseLL's answer for a valid int64 beyond +-2^53. */
const BIG = Number.POSITIVE_INFINITY;

/** Redis string2ll: a safe integer, BIG (exact value in st.bigValue), or NaN when invalid. */
function parseLL(st: StringState, buf: Uint8Array, off: number, len: number): number {
  const n = parseInt64(buf, off, len);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) return n;
  if (len < 16) return Number.NaN; // fewer than 16 chars cannot be beyond 2^53
  const b = parseInt64Big(buf, off, len);
  if (b === null) return Number.NaN;
  st.bigValue = b;
  return BIG;
}

/**
 * An int64 argument where exactness past 2^53 does not matter (offsets, counts, times): the
 * value, approximated as a double beyond 2^53; NaN when Redis would refuse it.
 */
export function intArg(c: CommandContext, i: number): number {
  const a = c.argv;
  const st = c.scratch.record(STRING_STATE);
  const n = parseLL(st, a.buf, a.off(i), a.len(i));
  return n === BIG ? Number(st.bigValue) : n;
}

/** Decimal digits of a safe integer into `digits`; returns the length. */
function formatInt(digits: Uint8Array, x: number): number {
  return writeDecimal(digits, 0, x);
}

const latin1Encoder = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

// ---- shared write paths ----------------------------------------------------------------------

/** setKeyFromArg's `known`: the caller has not looked the key up. */
const LOOKUP = -2;

/**
 * setKey: store argument vi under argument ki as a string; TTL cleared unless keepTtl. A key of
 * another type is removed first (its object's bytes leave the accounting). `known` is the
 * entry of the caller's own lookupWrite of the key (-1 = absent), so nothing searches twice.
 * Signals the write as `event`.
 */
function setKeyFromArg(
  c: CommandContext,
  ki: number,
  vi: number,
  keepTtl: boolean,
  event: string,
  known = LOOKUP,
): number {
  const a = c.argv;
  const ks = c.keyspace;
  const t = c.table;
  const kb = a.buf;
  const vo = a.off(vi);
  const vl = a.len(vi);
  // lookupKeyWrite: lazy expiry (counted in expired_keys) and the access clock, as Redis's setKey.
  let e = known === LOOKUP ? lookupWrite(c, ki) : known;
  let replaced = false;
  if (e >= 0 && t.type[e] !== TYPE_STRING) {
    ks.removeEntry(t, e);
    e = -1;
    replaced = true;
  }
  if (e < 0) {
    // a new entry starts with no TTL and the keyspace's initial clock
    t.overwriting = replaced; // not a new key (dbOverwrite): no "new" event
    e = t.add(kb, a.off(ki), a.len(ki), TYPE_STRING, vl);
    t.overwriting = false;
    copyBytes(kb, vo, t.page(e), t.valueOffset(e), vl);
  } else {
    t.setValue(e, kb, vo, vl);
    if (e < t.objs.length && t.objs[e] !== undefined) t.objs[e] = undefined; // encoding marker
    if (!keepTtl && t.expireAt[e] !== 0) t.setExpireAt(e, 0); // a plain SET drops the TTL
  }
  c.modifiedArg(ki, NOTIFY_STRING, event);
  return e;
}

/**
 * Store bytes under argument ki, keeping the TTL of an existing entry e (dbOverwrite); the
 * value's encoding marker becomes `enc` (undefined: derived from the bytes).
 */
function overwrite(
  c: CommandContext,
  t: Table,
  e: number,
  ki: number,
  v: Uint8Array,
  vlen: number,
  enc: StringEncoding | undefined,
  event: string,
): void {
  if (e < 0) {
    const a = c.argv;
    e = t.add(a.buf, a.off(ki), a.len(ki), TYPE_STRING, vlen);
    copyBytes(v, 0, t.page(e), t.valueOffset(e), vlen);
  } else {
    t.setValue(e, v, 0, vlen);
  }
  markEncoding(t, e, enc);
  c.modifiedArg(ki, NOTIFY_STRING, event);
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
function optIs(c: CommandContext, i: number, word: string): boolean {
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

/**
 * SET/GETEX options from argument `from` on. Replies with `syntaxError` (Redis's syntax error,
 * or the original protocol's arity error for untyped SET) and returns false.
 */
function parseSetOptions(
  c: CommandContext,
  from: number,
  isSet: boolean,
  syntaxError = SYNTAX,
): boolean {
  const st = c.scratch.record(STRING_STATE);
  const count = c.argv.count;
  let f = 0;
  st.optExpireArg = -1;
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
      st.optExpireArg = ++j;
    } else if (
      optIs(c, j, "px") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) &&
      hasNext
    ) {
      f |= F_PX;
      st.optExpireArg = ++j;
    } else if (
      optIs(c, j, "exat") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) &&
      hasNext
    ) {
      f |= F_EXAT;
      st.optExpireArg = ++j;
    } else if (
      optIs(c, j, "pxat") &&
      !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) &&
      hasNext
    ) {
      f |= F_PXAT;
      st.optExpireArg = ++j;
    } else {
      c.reply.error(syntaxError);
      return false;
    }
  }
  st.optFlags = f;
  return true;
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry in unix ms for the expire argument i, or -1
 * after replying with the error. `name` goes into Redis's error text.
 */
function expireMs(c: CommandContext, i: number, flags: number, name: string): number {
  const st = c.scratch.record(STRING_STATE);
  const a = c.argv;
  let ms = parseLL(st, a.buf, a.off(i), a.len(i));
  if (Number.isNaN(ms)) {
    c.reply.error(NOT_INT);
    return -1;
  }
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  const relative = (flags & (F_EX | F_PX)) !== 0;
  if (ms === BIG || (seconds && ms > MAX_SAFE / 1000)) {
    // Near the int64 edge: Redis's checks, exactly (the stored time is then approximate).
    let b = ms === BIG ? st.bigValue : BigInt(ms);
    if (b <= 0n || (seconds && b > LLONG_MAX / 1000n)) return invalidExpire(c, name);
    if (seconds) b *= 1000n;
    if (relative) b += BigInt(c.keyspace.now);
    if (b > LLONG_MAX) return invalidExpire(c, name); // the C addition overflows
    return Number(b);
  }
  if (ms <= 0) return invalidExpire(c, name);
  if (seconds) ms *= 1000;
  if (relative) ms += c.keyspace.now;
  return ms;
}

function invalidExpire(c: CommandContext, name: string): number {
  c.reply.error(`ERR invalid expire time in '${name}' command`);
  return -1;
}

/** getGenericCommand: reply with the value (or nil); false after a WRONGTYPE error. */
function replyValue(c: CommandContext): boolean {
  const e = lookupRead(c, 1);
  if (e < 0) {
    c.reply.nil();
    return true;
  }
  const t = c.table;
  if (t.type[e] !== TYPE_STRING) {
    c.reply.error(WRONGTYPE);
    return false;
  }
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  return true;
}

/** setGenericCommand. okInt: SETNX-style 1/0 replies instead of OK/nil. */
function setGeneric(
  c: CommandContext,
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
  const known = lookupWrite(c, 1);
  const found = known >= 0;
  if ((flags & F_NX && found) || (flags & F_XX && !found)) {
    if (!(flags & F_GET)) {
      if (okInt) c.reply.int(0);
      else c.reply.nil();
    }
    return;
  }
  const e = setKeyFromArg(c, 1, vi, (flags & F_KEEPTTL) !== 0, "set", known);
  if (expireArg >= 0) {
    c.keyspace.setExpire(c.table, e, at);
    c.modifiedArg(1, NOTIFY_GENERIC, "expire");
  }
  if (!(flags & F_GET)) {
    if (okInt) c.reply.int(1);
    else c.reply.ok();
  }
}

function get(c: CommandContext): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const t = c.table;
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
}

function set(c: CommandContext): void {
  const st = c.scratch.record(STRING_STATE);
  if (c.argv.count === 3) {
    setKeyFromArg(c, 1, 2, false, "set");
    return c.reply.ok();
  }
  if (!parseSetOptions(c, 3, true)) return;
  setGeneric(c, st.optFlags, 2, st.optExpireArg, "set", false);
}

/**
 * SET on an untyped v1 connection. The original server took exactly `set key value` and answered
 * anything else with its arity error; Redis's options work here too, but arguments that are not
 * valid options still get the original's answer, byte for byte.
 */
function setV1(c: CommandContext): void {
  const st = c.scratch.record(STRING_STATE);
  if (c.argv.count === 3) {
    setKeyFromArg(c, 1, 2, false, "set");
    return c.reply.ok();
  }
  if (!parseSetOptions(c, 3, true, "ERR wrong number of arguments")) return;
  setGeneric(c, st.optFlags, 2, st.optExpireArg, "set", false);
}

function setnx(c: CommandContext): void {
  setGeneric(c, F_NX, 2, -1, "setnx", true);
}

function setex(c: CommandContext): void {
  setGeneric(c, F_EX, 3, 2, "setex", false);
}

function psetex(c: CommandContext): void {
  setGeneric(c, F_PX, 3, 2, "psetex", false);
}

function getex(c: CommandContext): void {
  const st = c.scratch.record(STRING_STATE);
  if (!parseSetOptions(c, 2, false)) return;
  const flags = st.optFlags;
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const ks = c.keyspace;
  const t = ks.db(c.db);
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  let at = 0;
  if (st.optExpireArg >= 0) {
    at = expireMs(c, st.optExpireArg, flags, "getex");
    if (at < 0) return;
  }
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  if (flags & (F_EXAT | F_PXAT) && at <= ks.now) {
    ks.removeEntry(t, e);
    c.modifiedArg(1, NOTIFY_GENERIC, "del");
  } else if (st.optExpireArg >= 0) {
    ks.setExpire(t, e, at);
    c.modifiedArg(1, NOTIFY_GENERIC, "expire");
  } else if (flags & F_PERSIST && t.expireAt[e] !== 0) {
    ks.clearExpire(t, e);
    c.modifiedArg(1, NOTIFY_GENERIC, "persist");
  }
}

function getset(c: CommandContext): void {
  if (!replyValue(c)) return;
  setKeyFromArg(c, 1, 2, false, "set");
}

function getdel(c: CommandContext): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const t = c.table;
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  c.keyspace.removeEntry(t, e);
  c.modifiedArg(1, NOTIFY_GENERIC, "del");
}

function mget(c: CommandContext): void {
  const n = c.argv.count - 1;
  const t = c.table;
  c.reply.array(n);
  for (let i = 1; i <= n; i++) {
    const e = lookupRead(c, i);
    if (e < 0 || t.type[e] !== TYPE_STRING) c.reply.nil();
    else c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
  }
}

function mset(c: CommandContext): void {
  const count = c.argv.count;
  if (count % 2 === 0) return arityError(c, "mset");
  const a = c.argv;
  if (count > 3) c.table.prefetch(a.buf, a.offs, a.lens, 1, 2, (count - 1) >>> 1);
  for (let i = 1; i < count; i += 2) setKeyFromArg(c, i, i + 1, false, "set");
  c.reply.ok();
}

function msetnx(c: CommandContext): void {
  const a = c.argv;
  const count = a.count;
  if (count % 2 === 0) return arityError(c, "msetnx");
  for (let i = 1; i < count; i += 2) {
    if (lookupWrite(c, i) >= 0) return c.reply.int(0);
  }
  for (let i = 1; i < count; i += 2) setKeyFromArg(c, i, i + 1, false, "set");
  c.reply.int(1);
}

// ---- APPEND, STRLEN, GETRANGE, SETRANGE ------------------------------------------------------

function append(c: CommandContext): void {
  const a = c.argv;
  const e = lookupWrite(c, 1);
  const t = c.table;
  const add = a.len(2);
  if (e < 0) {
    setKeyFromArg(c, 1, 2, false, "append", e);
    return c.reply.int(add);
  }
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  const old = t.valLen[e]!;
  if (old + add > c.limits.protoMaxBulkLen) return c.reply.error(STRING_TOO_BIG);
  if (add > 0) {
    t.resizeValue(e, old + add);
    copyBytes(a.buf, a.off(2), t.page(e), t.valueOffset(e) + old, add);
  }
  markEncoding(t, e, "raw"); // Redis unshares the value into a raw string, even for ""
  c.modifiedArg(1, NOTIFY_STRING, "append");
  c.reply.int(old + add);
}

function strlen(c: CommandContext): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.int(0);
  const t = c.table;
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.reply.int(t.valLen[e]!);
}

function getrange(c: CommandContext): void {
  const st = c.scratch.record(STRING_STATE);
  let start = intArg(c, 2);
  let end = intArg(c, 3);
  if (Number.isNaN(start) || Number.isNaN(end)) return c.reply.error(NOT_INT);
  const e = lookupRead(c, 1);
  const r = c.reply;
  if (e < 0) return r.bulk(st.digits, 0, 0);
  const t = c.table;
  if (t.type[e] !== TYPE_STRING) return r.error(WRONGTYPE);
  const len = t.valLen[e]!;
  if (start < 0 && end < 0 && start > end) return r.bulk(st.digits, 0, 0);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return r.bulk(st.digits, 0, 0);
  r.bulk(t.page(e), t.valueOffset(e) + start, end - start + 1);
}

function setrange(c: CommandContext): void {
  const a = c.argv;
  const offset = intArg(c, 2);
  if (Number.isNaN(offset)) return c.reply.error(NOT_INT);
  if (offset < 0) return c.reply.error("ERR offset is out of range");
  const vlen = a.len(3);
  const e = lookupWrite(c, 1);
  const t = c.table;
  const limit = c.limits.protoMaxBulkLen;
  if (e < 0) {
    if (vlen === 0) return c.reply.int(0);
    if (offset + vlen > limit) return c.reply.error(STRING_TOO_BIG);
    const ne = t.add(a.buf, a.off(1), a.len(1), TYPE_STRING, offset + vlen);
    const vo = t.valueOffset(ne);
    t.page(ne).fill(0, vo, vo + offset);
    copyBytes(a.buf, a.off(3), t.page(ne), vo + offset, vlen);
    markEncoding(t, ne, "raw");
    c.modifiedArg(1, NOTIFY_STRING, "setrange");
    return c.reply.int(offset + vlen);
  }
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  const old = t.valLen[e]!;
  if (vlen === 0) return c.reply.int(old);
  if (offset + vlen > limit) return c.reply.error(STRING_TOO_BIG);
  if (offset + vlen > old) t.resizeValue(e, offset + vlen);
  copyBytes(a.buf, a.off(3), t.page(e), t.valueOffset(e) + offset, vlen);
  markEncoding(t, e, "raw");
  c.modifiedArg(1, NOTIFY_STRING, "setrange");
  c.reply.int(t.valLen[e]!);
}

// ---- INCR family -----------------------------------------------------------------------------

/**
 * INCR's common case, as Redis updates an int-encoded value in place: the stored value, a
 * canonical integer (string2ll's syntax) of at most 15 characters, plus `incr`, written over
 * the old digits when the result has as many of them (no block change, no capacity read, no
 * allocation). Its digits are also left in `digits` (for the reply). Returns the result, or
 * NaN when incrByGeneral must decide (another length, not an integer, past 2^53).
 * Kept apart from the general path so that the handler stays small enough to be inlined.
 */
function incrInPlace(t: Table, e: number, incr: number, digits: Uint8Array): number {
  const vl = t.valLen[e]!;
  if (vl === 0 || vl > 15) return Number.NaN;
  const page = t.page(e);
  const vo = t.valueOffset(e);
  // string2ll's syntax; at <= 15 characters the value is exact (never the big fallback)
  const v = parseInt64(page, vo, vl);
  if (Number.isNaN(v)) return Number.NaN;
  const r = v + incr;
  if (!(r >= -MAX_SAFE && r <= MAX_SAFE)) return Number.NaN;
  if (writeDecimal(digits, 0, r) !== vl) return Number.NaN;
  t.beforeValueWrite(e);
  for (let i = 0; i < vl; i++) page[vo + i] = digits[i]!;
  return r;
}

/** incrDecrCommand with a safe-integer increment, or BIG (exact increment in `incrBig`). */
function incrBy(c: CommandContext, incr: number, incrBig: bigint): void {
  const e = lookupWrite(c, 1);
  const t = c.table;
  if (e >= 0 && incr !== BIG && t.type[e] === TYPE_STRING) {
    // the context's byte scratch, not the family record (a Map lookup): the digits live only
    // until the reply below copies them
    const digits = c.scratch.u8(24);
    const r = incrInPlace(t, e, incr, digits);
    if (!Number.isNaN(r)) {
      if (e < t.objs.length && t.objs[e] !== undefined) t.objs[e] = undefined; // now "int"
      c.modifiedArg(1, NOTIFY_STRING, "incrby");
      return c.reply.intDigits(digits, t.valLen[e]!, r);
    }
  }
  incrByGeneral(c, e, incr, incrBig);
}

/** incrBy for every other case: a new key, another digit count, errors, the int64 edge. */
function incrByGeneral(c: CommandContext, e: number, incr: number, incrBig: bigint): void {
  const st = c.scratch.record(STRING_STATE);
  const t = c.table;
  let value = 0;
  let valueBig = 0n;
  if (e >= 0) {
    if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
    value = parseLL(st, t.page(e), t.valueOffset(e), t.valLen[e]!);
    if (Number.isNaN(value)) return c.reply.error(NOT_INT);
    if (value === BIG) valueBig = st.bigValue;
  }
  if (value !== BIG && incr !== BIG) {
    const r = value + incr;
    if (r >= -MAX_SAFE && r <= MAX_SAFE) {
      const len = formatInt(st.digits, r);
      overwrite(c, t, e, 1, st.digits, len, undefined, "incrby");
      return c.reply.intDigits(st.digits, len, r);
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
  overwrite(c, t, e, 1, text, text.length, undefined, "incrby");
  c.reply.intBig(r);
}

function incr(c: CommandContext): void {
  incrBy(c, 1, 0n);
}

function decr(c: CommandContext): void {
  incrBy(c, -1, 0n);
}

function incrby(c: CommandContext): void {
  const st = c.scratch.record(STRING_STATE);
  const a = c.argv;
  const n = parseLL(st, a.buf, a.off(2), a.len(2));
  if (Number.isNaN(n)) return c.reply.error(NOT_INT);
  incrBy(c, n, n === BIG ? st.bigValue : 0n);
}

function decrby(c: CommandContext): void {
  const st = c.scratch.record(STRING_STATE);
  const a = c.argv;
  const n = parseLL(st, a.buf, a.off(2), a.len(2));
  if (Number.isNaN(n)) return c.reply.error(NOT_INT);
  if (n !== BIG) return incrBy(c, -n, 0n);
  if (st.bigValue === LLONG_MIN) return c.reply.error("ERR decrement would overflow");
  const neg = -st.bigValue;
  if (neg >= -BigInt(MAX_SAFE) && neg <= BigInt(MAX_SAFE)) return incrBy(c, Number(neg), 0n);
  incrBy(c, BIG, neg);
}

function incrbyfloat(c: CommandContext): void {
  const a = c.argv;
  const e = lookupWrite(c, 1);
  const t = c.table;
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
  overwrite(c, t, e, 1, text, text.length, text.length <= 44 ? "embstr" : "raw", "incrbyfloat");
  c.reply.bulkBytes(text);
}

// ---- LCS -------------------------------------------------------------------------------------

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (t_string.c lcsCommand): the
 * classic O(n*m) table, bounded like Redis by proto-max-bulk-len bytes of 4-byte cells.
 */
function lcs(c: CommandContext): void {
  const a = c.argv;
  const ks = c.keyspace;
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
  if (cells * 4 > c.limits.protoMaxBulkLen) {
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

export const stringCommands: CommandDef[] = [
  cmd("get", get),
  cmd("set", set, { v1Handler: setV1 }),
  cmd("setnx", setnx),
  cmd("setex", setex),
  cmd("psetex", psetex),
  cmd("getex", getex),
  cmd("getset", getset),
  cmd("getdel", getdel),
  cmd("mget", mget),
  cmd("mset", mset),
  cmd("msetnx", msetnx),
  cmd("append", append),
  cmd("strlen", strlen),
  cmd("getrange", getrange),
  cmd("substr", getrange),
  cmd("setrange", setrange),
  cmd("incr", incr),
  cmd("decr", decr),
  cmd("incrby", incrby),
  cmd("decrby", decrby),
  cmd("incrbyfloat", incrbyfloat),
  cmd("lcs", lcs),
];
