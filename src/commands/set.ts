// Set commands (Redis 7.0's t_set.c: semantics, reply types, error texts). The structure is
// src/store/set.ts: an intset packed into the key's own arena block, or a ByteDict. Algebra
// (SINTER/SUNION/SDIFF, STORE forms, SINTERCARD) and SSCAN are in set-ops.ts.

import { parseInt64Big } from "../protocol/number.ts";
import { NOTIFY_GENERIC, NOTIFY_SET } from "../store/notify.ts";
import { cloneObject, objectEncoding } from "../store/objects.ts";
import {
  ByteRef,
  cloneSetObject,
  Handles,
  isCanonicalInt64,
  type SetLimits,
  setAdd,
  setCreate,
  setFind,
  setMember,
  setObjectEncoding,
  setPop,
  setRandom,
  setRandomHandles,
  setRemove,
  setRemoveHandle,
  setSize,
  setWouldOverflow,
} from "../store/set.ts";
import { TYPE_SET } from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { POSITIVE_COUNT, SYNTAX, WRONGTYPE } from "./errors.ts";
import { randomCount } from "./hash-scan.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";

// COPY and OBJECT ENCODING reach sets through these hooks (an intset has no object: COPY's copy
// of the key's value bytes is the whole copy).
cloneObject.set(TYPE_SET, cloneSetObject);
objectEncoding.set(TYPE_SET, setObjectEncoding);

export const SET_TOO_BIG = "ERR set too big (a member table is limited to 2 GiB of members)";

/** A context's working record for set commands. */
export class SetState {
  readonly ref = new ByteRef();
  readonly handles = new Handles();
  readonly limits: SetLimits = { maxIntsetEntries: 512 };
  /** The context SPOP's sink replies through (set just before setPop runs). */
  ctx: CommandContext | null = null;
  /** SPOP's popped members, for its propagation as SREM (set just before setPop runs). */
  popped: (string | Uint8Array)[] | null = null;
  readonly sink = (buf: Uint8Array, off: number, len: number): void => {
    this.ctx!.reply.bulk(buf, off, len);
    this.popped?.push(buf.slice(off, off + len));
  };
}

export const SET_STATE = new RecordSlot(() => new SetState());

/** The context's set record with its limits refreshed from the config (set-max-intset-entries). */
export function setState(c: CommandContext): SetState {
  const st = c.scratch.record(SET_STATE);
  st.limits.maxIntsetEntries = c.limits.setMaxIntsetEntries;
  return st;
}

/** Entry of the set at argument i for a read (counts hit/miss): -1 missing, -2 wrong type. */
export function setRead(c: CommandContext, i: number): number {
  const e = lookupRead(c, i);
  if (e < 0) return -1;
  return c.table.type[e] === TYPE_SET ? e : -2;
}

/** Entry of the set at argument i for a write: -1 missing, -2 wrong type. */
export function setWrite(c: CommandContext, i: number): number {
  const e = lookupWrite(c, i);
  if (e < 0) return -1;
  return c.table.type[e] === TYPE_SET ? e : -2;
}

/** Signal `event` on the set at argument i; "del" and removal when it is now empty. */
function endSetWrite(c: CommandContext, i: number, e: number, event: string): void {
  c.modifiedArg(i, NOTIFY_SET, event);
  if (setSize(c.table, e) === 0) {
    c.keyspace.removeEntry(c.table, e);
    c.modifiedArg(i, NOTIFY_GENERIC, "del");
  }
}

// ---- SADD / SREM ------------------------------------------------------------------------------

function sadd(c: CommandContext): void {
  const a = c.argv;
  let e = setWrite(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  const t = c.table;
  const st = setState(c);
  // setTypeCreate: an intset when the first member is an integer
  if (e === -1)
    e = setCreate(t, a.buf, a.off(1), a.len(1), isCanonicalInt64(a.buf, a.off(2), a.len(2)));
  let added = 0;
  for (let i = 2; i < a.count; i++) {
    if (setWouldOverflow(t, e, a.len(i)) && setFind(t, e, a.buf, a.off(i), a.len(i)) < 0) {
      if (added > 0) c.modifiedArg(1, NOTIFY_SET, "sadd");
      else if (setSize(t, e) === 0) c.keyspace.removeEntry(t, e);
      return c.reply.error(SET_TOO_BIG);
    }
    if (setAdd(c.keyspace, t, e, a.buf, a.off(i), a.len(i), st.limits)) added++;
  }
  if (added > 0) c.modifiedArg(1, NOTIFY_SET, "sadd");
  c.reply.int(added);
}

function srem(c: CommandContext): void {
  const a = c.argv;
  const e = setWrite(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  if (e === -1) return c.reply.int(0);
  const t = c.table;
  let deleted = 0;
  for (let i = 2; i < a.count; i++) {
    if (setRemove(c.keyspace, t, e, a.buf, a.off(i), a.len(i))) deleted++;
    if (setSize(t, e) === 0) break;
  }
  if (deleted > 0) endSetWrite(c, 1, e, "srem");
  c.reply.int(deleted);
}

// ---- reads ------------------------------------------------------------------------------------

function sismember(c: CommandContext): void {
  const a = c.argv;
  const e = setRead(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  c.reply.int(e >= 0 && setFind(c.table, e, a.buf, a.off(2), a.len(2)) >= 0 ? 1 : 0);
}

function smismember(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const e = setRead(c, 1);
  if (e === -2) return r.error(WRONGTYPE);
  const t = c.table;
  r.array(a.count - 2);
  for (let i = 2; i < a.count; i++) {
    r.int(e >= 0 && setFind(t, e, a.buf, a.off(i), a.len(i)) >= 0 ? 1 : 0);
  }
}

function scard(c: CommandContext): void {
  const e = setRead(c, 1);
  if (e === -2) return c.reply.error(WRONGTYPE);
  c.reply.int(e === -1 ? 0 : setSize(c.table, e));
}

// ---- SPOP / SRANDMEMBER -------------------------------------------------------------------------

function spop(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  if (a.count > 3) return r.error(SYNTAX);
  if (a.count === 3) return spopCount(c);
  const e = setWrite(c, 1);
  if (e === -1) return r.nil();
  if (e === -2) return r.error(WRONGTYPE);
  const t = c.table;
  const st = c.scratch.record(SET_STATE);
  const h = setRandom(c.keyspace, t, e);
  setMember(t, e, h, st.ref);
  r.bulk(st.ref.buf, st.ref.off, st.ref.len); // copied out before the member goes
  // The AOF gets the effect, not the random pick: SREM key member (Redis's spopCommand).
  if (c.propagating) c.propagateAs = ["SREM", a.copy(1), st.ref.bytes()];
  setRemoveHandle(c.keyspace, t, e, h);
  endSetWrite(c, 1, e, "spop");
}

function spopCount(c: CommandContext): void {
  const a = c.argv;
  // getPositiveLongFromObjectOrReply: an int64 >= 0, any other text is the same error
  const n = a.int(2);
  if (!Number.isNaN(n)) return n < 0 ? c.reply.error(POSITIVE_COUNT) : popN(c, n);
  const big = parseInt64Big(a.buf, a.off(2), a.len(2));
  if (big === null || big < 0n) return c.reply.error(POSITIVE_COUNT);
  popN(c, Number(big));
}

function popN(c: CommandContext, count: number): void {
  const r = c.reply;
  const e = setWrite(c, 1);
  if (e === -1) return r.set(0);
  if (e === -2) return r.error(WRONGTYPE);
  if (count === 0) return r.set(0);
  const t = c.table;
  const st = c.scratch.record(SET_STATE);
  const size = setSize(t, e);
  c.modifiedArg(1, NOTIFY_SET, "spop");
  // Redis pops a whole set through SUNION's code, whose lookupKeyRead counts a keyspace hit
  if (count >= size) c.keyspace.hits++;
  r.set(Math.min(count, size));
  st.ctx = c;
  // Propagated as its effect: DEL when the whole set goes, else SREM of the popped members
  // (Redis's spopWithCountCommand; one SREM here where Redis batches them by 1024).
  const whole = count >= size;
  st.popped = whole ? null : ["SREM", c.argv.copy(1)];
  setPop(c.keyspace, t, e, count, st.sink);
  c.propagateAs = whole ? ["DEL", c.argv.copy(1)] : st.popped;
  st.ctx = null;
  st.popped = null;
  if (setSize(t, e) === 0) {
    c.keyspace.removeEntry(t, e);
    c.modifiedArg(1, NOTIFY_GENERIC, "del");
  }
}

function srandmember(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  if (a.count > 3) return r.error(SYNTAX);
  const st = c.scratch.record(SET_STATE);
  const t = c.table;
  if (a.count === 2) {
    const e = setRead(c, 1);
    if (e === -1) return r.nil();
    if (e === -2) return r.error(WRONGTYPE);
    setMember(c.table, e, setRandom(c.keyspace, c.table, e), st.ref);
    return r.bulk(st.ref.buf, st.ref.off, st.ref.len);
  }
  const count = randomCount(c, 2, false);
  if (Number.isNaN(count)) return;
  const e = setRead(c, 1);
  if (e === -1) return r.array(0);
  if (e === -2) return r.error(WRONGTYPE);
  if (count === 0) return r.array(0);
  const out = st.handles;
  setRandomHandles(c.keyspace, t, e, count === 1 ? -1 : count, out);
  r.array(out.n);
  for (let k = 0; k < out.n; k++) {
    setMember(t, e, out.ids[k]!, st.ref);
    r.bulk(st.ref.buf, st.ref.off, st.ref.len);
  }
}

// ---- SMOVE --------------------------------------------------------------------------------------

function smove(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const src = setWrite(c, 1);
  const dstRaw = lookupWrite(c, 2);
  if (src === -1) return r.int(0);
  const t = c.table;
  if (src === -2 || (dstRaw >= 0 && t.type[dstRaw] !== TYPE_SET)) return r.error(WRONGTYPE);
  const mo = a.off(3);
  const ml = a.len(3);
  // Same key: a no-op that says whether the member is there
  if (dstRaw === src) return r.int(setFind(t, src, a.buf, mo, ml) >= 0 ? 1 : 0);
  let dst = dstRaw;
  if (dst >= 0 && setWouldOverflow(t, dst, ml) && setFind(t, dst, a.buf, mo, ml) < 0) {
    return r.error(SET_TOO_BIG);
  }
  if (!setRemove(c.keyspace, t, src, a.buf, mo, ml)) return r.int(0);
  endSetWrite(c, 1, src, "srem");
  if (dst < 0) dst = setCreate(t, a.buf, a.off(2), a.len(2), isCanonicalInt64(a.buf, mo, ml));
  if (setAdd(c.keyspace, t, dst, a.buf, mo, ml, setState(c).limits)) {
    c.modifiedArg(2, NOTIFY_SET, "sadd");
  }
  r.int(1);
}

export const setCommands: CommandDef[] = [
  cmd("sadd", sadd),
  cmd("srem", srem),
  cmd("sismember", sismember),
  cmd("smismember", smismember),
  cmd("scard", scard),
  cmd("spop", spop),
  cmd("srandmember", srandmember),
  cmd("smove", smove),
];
