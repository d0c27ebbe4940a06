// Hash commands (Redis 7.0's t_hash.c: semantics, reply types, error texts). The structure is
// src/store/hash.ts: a listpack packed into the key's own arena block, or a ByteDict. Fields and
// values go from the request bytes into the store and from the store into the output buffer
// through a ByteRef: no JS strings on these paths. HRANDFIELD and HSCAN are in hash-scan.ts,
// registered beside these (src/commands/index.ts).

import {
  addLongDouble,
  formatLongDoubleHuman,
  type LongDouble,
  parseLongDouble,
} from "../protocol/longdouble.ts";
import { parseInt64, parseInt64Big } from "../protocol/number.ts";
import {
  ByteRef,
  cloneHashObject,
  Handles,
  type HashLimits,
  hashCreate,
  hashDelete,
  hashExists,
  hashField,
  hashFirst,
  hashGet,
  hashLength,
  hashNext,
  hashObjectEncoding,
  hashSet,
  hashStrlen,
  hashTryConversion,
  hashValue,
  hashWouldOverflow,
} from "../store/hash.ts";
import { NOTIFY_GENERIC, NOTIFY_HASH } from "../store/notify.ts";
import { cloneObject, objectEncoding } from "../store/objects.ts";
import { TYPE_HASH } from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { arityError, NOT_FLOAT, NOT_INT, OVERFLOW, WRONGTYPE } from "./errors.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";

// COPY and OBJECT ENCODING reach hashes through these hooks (a listpack has no object: COPY's
// copy of the key's value bytes is the whole copy).
cloneObject.set(TYPE_HASH, cloneHashObject);
objectEncoding.set(TYPE_HASH, hashObjectEncoding);

export const HASH_TOO_BIG =
  "ERR hash too big (a field table is limited to 2 GiB of fields and values)";

/** A context's working record for hash commands: where bytes are, handles, current limits. */
export class HashState {
  readonly ref = new ByteRef();
  readonly handles = new Handles();
  readonly limits: HashLimits = { maxListpackEntries: 512, maxListpackValue: 64 };
}

export const HASH_STATE = new RecordSlot(() => new HashState());

/** The context's hash record with its limits refreshed from the config (hash-max-listpack-*). */
export function hashState(c: CommandContext): HashState {
  const st = c.scratch.record(HASH_STATE);
  st.limits.maxListpackEntries = c.limits.hashMaxListpackEntries;
  st.limits.maxListpackValue = c.limits.hashMaxListpackValue;
  return st;
}

/** Entry of the hash at argument i for a read (counts hit/miss): -1 missing, -2 wrong type. */
export function hashRead(c: CommandContext, i: number): number {
  const e = lookupRead(c, i);
  if (e < 0) return -1;
  return c.table.type[e] === TYPE_HASH ? e : -2;
}

/** Entry of the hash at argument i for a write: -1 missing, -2 wrong type. */
function hashWrite(c: CommandContext, i: number): number {
  const e = lookupWrite(c, i);
  if (e < 0) return -1;
  return c.table.type[e] === TYPE_HASH ? e : -2;
}

/** hashTypeLookupWriteOrCreate: the hash's entry (created empty when missing), -2 wrong type. */
function hashWriteOrCreate(c: CommandContext, i: number): number {
  const e = hashWrite(c, i);
  if (e !== -1) return e;
  const a = c.argv;
  return hashCreate(c.table, a.buf, a.off(i), a.len(i));
}

/** The write signal for the hash key at argument i, then "del" and removal when it is empty. */
function endHashWrite(c: CommandContext, e: number, event: string): void {
  c.modifiedArg(1, NOTIFY_HASH, event);
  if (hashLength(c.table, e) === 0) {
    c.keyspace.removeEntry(c.table, e);
    c.modifiedArg(1, NOTIFY_GENERIC, "del");
  }
}

/** Remove a hash this command created but left empty (an error before its first field). */
function dropIfEmpty(c: CommandContext, e: number): void {
  if (hashLength(c.table, e) === 0) c.keyspace.removeEntry(c.table, e);
}

// ---- HSET / HMSET / HSETNX -----------------------------------------------------------------

function hsetGeneric(c: CommandContext, okReply: boolean): void {
  const a = c.argv;
  if (a.count % 2 === 1) return arityError(c, okReply ? "hmset" : "hset");
  const e = hashWriteOrCreate(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  const st = hashState(c);
  const t = c.table;
  const ks = c.keyspace;
  let longest = 0;
  for (let i = 2; i < a.count; i++) if (a.len(i) > longest) longest = a.len(i);
  hashTryConversion(ks, t, e, longest, st.limits);
  let created = 0;
  for (let i = 2; i < a.count; i += 2) {
    if (hashWouldOverflow(t, e, a.len(i), a.len(i + 1))) {
      if (i > 2) c.modifiedArg(1, NOTIFY_HASH, "hset");
      else dropIfEmpty(c, e);
      return c.reply.error(HASH_TOO_BIG);
    }
    const added = hashSet(
      ks,
      t,
      e,
      a.buf,
      a.off(i),
      a.len(i),
      a.buf,
      a.off(i + 1),
      a.len(i + 1),
      st.limits,
    );
    if (added) created++;
  }
  c.modifiedArg(1, NOTIFY_HASH, "hset");
  if (okReply) c.reply.ok();
  else c.reply.int(created);
}

function hset(c: CommandContext): void {
  hsetGeneric(c, false);
}

function hmset(c: CommandContext): void {
  hsetGeneric(c, true);
}

function hsetnx(c: CommandContext): void {
  const a = c.argv;
  const e = hashWriteOrCreate(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  const t = c.table;
  if (hashExists(t, e, a.buf, a.off(2), a.len(2))) return c.reply.int(0);
  const st = hashState(c);
  const ks = c.keyspace;
  hashTryConversion(ks, t, e, Math.max(a.len(2), a.len(3)), st.limits);
  if (hashWouldOverflow(t, e, a.len(2), a.len(3))) {
    dropIfEmpty(c, e);
    return c.reply.error(HASH_TOO_BIG);
  }
  hashSet(ks, t, e, a.buf, a.off(2), a.len(2), a.buf, a.off(3), a.len(3), st.limits);
  c.modifiedArg(1, NOTIFY_HASH, "hset");
  c.reply.int(1);
}

// ---- reads -----------------------------------------------------------------------------------

function hget(c: CommandContext): void {
  const a = c.argv;
  const e = hashRead(c, 1);
  if (e === -1) return c.reply.nil();
  if (e === -2) return c.reply.error(WRONGTYPE);
  const ref = c.scratch.record(HASH_STATE).ref;
  if (!hashGet(c.table, e, a.buf, a.off(2), a.len(2), ref)) return c.reply.nil();
  c.reply.bulk(ref.buf, ref.off, ref.len);
}

function hmget(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const e = hashRead(c, 1);
  if (e === -2) return r.error(WRONGTYPE);
  const ref = c.scratch.record(HASH_STATE).ref;
  const t = c.table;
  r.array(a.count - 2);
  for (let i = 2; i < a.count; i++) {
    if (e >= 0 && hashGet(t, e, a.buf, a.off(i), a.len(i), ref)) r.bulk(ref.buf, ref.off, ref.len);
    else r.nil();
  }
}

const WANT_FIELDS = 1;
const WANT_VALUES = 2;

/** HGETALL (a map), HKEYS, HVALS: in the hash's iteration order (a listpack's: insertion). */
function getAll(c: CommandContext, what: number): void {
  const r = c.reply;
  const e = hashRead(c, 1);
  const both = what === (WANT_FIELDS | WANT_VALUES);
  if (e === -2) return r.error(WRONGTYPE);
  if (e === -1) return both ? r.map(0) : r.array(0);
  const t = c.table;
  const ref = c.scratch.record(HASH_STATE).ref;
  const n = hashLength(t, e);
  if (both) r.map(n);
  else r.array(n);
  for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) {
    if (what & WANT_FIELDS) {
      hashField(t, e, h, ref);
      r.bulk(ref.buf, ref.off, ref.len);
    }
    if (what & WANT_VALUES) {
      hashValue(t, e, h, ref);
      r.bulk(ref.buf, ref.off, ref.len);
    }
  }
}

function hlen(c: CommandContext): void {
  const e = hashRead(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  c.reply.int(e === -1 ? 0 : hashLength(c.table, e));
}

function hexists(c: CommandContext): void {
  const a = c.argv;
  const e = hashRead(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  c.reply.int(e >= 0 && hashExists(c.table, e, a.buf, a.off(2), a.len(2)) ? 1 : 0);
}

function hstrlen(c: CommandContext): void {
  const a = c.argv;
  const e = hashRead(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  if (e === -1) return c.reply.int(0);
  c.reply.int(Math.max(0, hashStrlen(c.table, e, a.buf, a.off(2), a.len(2))));
}

// ---- HDEL ------------------------------------------------------------------------------------

function hdel(c: CommandContext): void {
  const a = c.argv;
  const e = hashWrite(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  if (e === -1) return c.reply.int(0);
  const t = c.table;
  let deleted = 0;
  for (let i = 2; i < a.count; i++) {
    if (hashDelete(c.keyspace, t, e, a.buf, a.off(i), a.len(i))) deleted++;
    if (hashLength(t, e) === 0) break;
  }
  if (deleted > 0) endHashWrite(c, e, "hdel");
  c.reply.int(deleted);
}

// ---- HINCRBY / HINCRBYFLOAT ------------------------------------------------------------------

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** Set field (argument 2) of hash e to `text` (ASCII) and signal `event`. */
function setFieldText(c: CommandContext, e: number, text: string, event: string): void {
  const a = c.argv;
  const st = hashState(c);
  const buf = c.scratch.u8(text.length);
  for (let k = 0; k < text.length; k++) buf[k] = text.charCodeAt(k);
  hashSet(c.keyspace, c.table, e, a.buf, a.off(2), a.len(2), buf, 0, text.length, st.limits);
  c.modifiedArg(1, NOTIFY_HASH, event);
}

function hincrby(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  let incr = parseInt64(a.buf, a.off(3), a.len(3));
  let incrBig: bigint | null = null;
  if (Number.isNaN(incr)) {
    incrBig = parseInt64Big(a.buf, a.off(3), a.len(3));
    if (incrBig === null) return r.error(NOT_INT);
    incr = 0;
  }
  const e = hashWriteOrCreate(c, 1);
  if (e === -2) return r.error(WRONGTYPE);
  const st = c.scratch.record(HASH_STATE);
  const t = c.table;
  let cur = 0;
  let curBig: bigint | null = null;
  if (hashGet(t, e, a.buf, a.off(2), a.len(2), st.ref)) {
    const ref = st.ref;
    cur = parseInt64(ref.buf, ref.off, ref.len);
    if (Number.isNaN(cur)) {
      curBig = parseInt64Big(ref.buf, ref.off, ref.len);
      if (curBig === null) return r.error("ERR hash value is not an integer");
      cur = 0;
    }
  }
  if (incrBig === null && curBig === null && Number.isSafeInteger(cur + incr)) {
    const v = cur + incr;
    setFieldText(c, e, String(v), "hincrby");
    return r.int(v);
  }
  const sum = (curBig ?? BigInt(cur)) + (incrBig ?? BigInt(incr));
  if (sum > I64_MAX || sum < I64_MIN) {
    dropIfEmpty(c, e);
    return r.error(OVERFLOW);
  }
  setFieldText(c, e, sum.toString(), "hincrby");
  r.intBig(sum);
}

function hincrbyfloat(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const incr = parseLongDouble(a.buf, a.off(3), a.len(3));
  if (incr === null) return r.error(NOT_FLOAT);
  if (incr.inf) return r.error("ERR value is NaN or Infinity");
  const e = hashWriteOrCreate(c, 1);
  if (e === -2) return r.error(WRONGTYPE);
  const st = c.scratch.record(HASH_STATE);
  const t = c.table;
  let cur: LongDouble = { neg: false, mant: 0n, exp: 0, inf: false };
  if (hashGet(t, e, a.buf, a.off(2), a.len(2), st.ref)) {
    const v = parseLongDouble(st.ref.buf, st.ref.off, st.ref.len);
    if (v === null) return r.error("ERR hash value is not a float");
    cur = v;
  }
  const sum = addLongDouble(cur, incr);
  if (sum === null || sum.inf) {
    dropIfEmpty(c, e);
    return r.error("ERR increment would produce NaN or Infinity");
  }
  const text = formatLongDoubleHuman(sum);
  setFieldText(c, e, text, "hincrbyfloat");
  r.bulkStr(text);
}

export const hashCommands: CommandDef[] = [
  cmd("hset", hset),
  cmd("hmset", hmset),
  cmd("hsetnx", hsetnx),
  cmd("hget", hget),
  cmd("hmget", hmget),
  cmd("hgetall", (c) => getAll(c, WANT_FIELDS | WANT_VALUES)),
  cmd("hkeys", (c) => getAll(c, WANT_FIELDS)),
  cmd("hvals", (c) => getAll(c, WANT_VALUES)),
  cmd("hlen", hlen),
  cmd("hexists", hexists),
  cmd("hstrlen", hstrlen),
  cmd("hdel", hdel),
  cmd("hincrby", hincrby),
  cmd("hincrbyfloat", hincrbyfloat),
];
