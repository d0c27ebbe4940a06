// List commands (Redis 7.0 t_list.c semantics, replies and error texts) and the blocking list
// commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP). The structure is src/store/list.ts:
// elements are read in place (cbuf/coff) and copied straight into the reply, so a pop is
// peek -> reply -> drop and nothing is allocated per element.

import { LIST_MAX_ELEMENT, List } from "../store/list.ts";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../store/notify.ts";
import { cloneObject, objectEncoding } from "../store/objects.ts";
import { TYPE_LIST } from "../store/table.ts";
import { blockDeadline } from "./blocking.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { arityError, NO_SUCH_KEY, NOT_INT, POSITIVE_COUNT, SYNTAX, WRONGTYPE } from "./errors.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";
import { longArg } from "./zset-common.ts";

// COPY and OBJECT ENCODING reach lists through these hooks.
cloneObject.set(TYPE_LIST, (l) => (l as List).clone());
objectEncoding.set(TYPE_LIST, (l) => (l as List).encoding);

const ELEMENT_TOO_LARGE = "ERR Element too large";

/** The list at argument i (write lookup): the List, null if missing, undefined if wrong type. */
function lookupL(c: CommandContext, i: number): List | null | undefined {
  return listAt(c, lookupWrite(c, i));
}

/** lookupL for read commands (counts keyspace hits/misses). */
function lookupLRead(c: CommandContext, i: number): List | null | undefined {
  return listAt(c, lookupRead(c, i));
}

function listAt(c: CommandContext, e: number): List | null | undefined {
  c.entry = e;
  if (e < 0) return null;
  const t = c.table;
  if (t.type[e] !== TYPE_LIST) return undefined;
  return t.getObj(e) as List;
}

/** A new empty list under the key at argument i (absent), with the configured fill. */
function createL(c: CommandContext, i: number): List {
  const a = c.argv;
  const t = c.table;
  const e = t.add(a.buf, a.off(i), a.len(i), TYPE_LIST, 0);
  const l = new List(c.limits.listMaxListpackSize, c.limits.listCompressDepth);
  t.setObj(e, l);
  c.entry = e;
  return l;
}

/**
 * End of a write to list l at entry e: report its size change since `before` (used_memory,
 * maxmemory), signal `event`, then "del" and remove the key if the list is now empty.
 */
function endWrite(
  c: CommandContext,
  l: List,
  e: number,
  before: number,
  event: string | null,
): void {
  const ks = c.keyspace;
  const t = c.table;
  const now = l.memoryBytes();
  if (now !== before) ks.objectBytesChanged(now - before);
  if (event !== null)
    c.keyModified(c.db, t.page(e), t.keyOffset(e), t.keyLen[e]!, NOTIFY_LIST, event);
  if (l.length === 0) {
    c.keyModified(c.db, t.page(e), t.keyOffset(e), t.keyLen[e]!, NOTIFY_GENERIC, "del");
    ks.removeEntry(t, e);
  }
}

/** Elements [from, from+m) in order, or from the tail back when `reverse`, as bulk replies. */
function replyRange(c: CommandContext, l: List, from: number, m: number, reverse: boolean): void {
  const r = c.reply;
  r.array(m);
  if (reverse) {
    l.seekBack(from + m - 1);
    for (let k = 0; k < m; k++) {
      const len = l.prev();
      r.bulk(l.cbuf, l.coff, len);
    }
  } else {
    l.seek(from);
    for (let k = 0; k < m; k++) {
      const len = l.next();
      r.bulk(l.cbuf, l.coff, len);
    }
  }
}

function elementsTooLarge(c: CommandContext, first: number): boolean {
  const a = c.argv;
  for (let i = first; i < a.count; i++) if (a.len(i) > LIST_MAX_ELEMENT) return true;
  return false;
}

// --- push -----------------------------------------------------------------------------------

function pushGeneric(c: CommandContext, left: boolean, onlyExisting: boolean): void {
  const a = c.argv;
  const r = c.reply;
  if (elementsTooLarge(c, 2)) return r.error(ELEMENT_TOO_LARGE);
  let l = lookupL(c, 1);
  if (l === undefined) return r.error(WRONGTYPE);
  if (l === null) {
    if (onlyExisting) return r.int(0);
    l = createL(c, 1);
  }
  const e = c.entry;
  const before = l.memoryBytes();
  for (let i = 2; i < a.count; i++) {
    if (left) l.pushLeft(a.buf, a.off(i), a.len(i));
    else l.pushRight(a.buf, a.off(i), a.len(i));
  }
  r.int(l.length);
  endWrite(c, l, e, before, left ? "lpush" : "rpush");
}

// --- pop ------------------------------------------------------------------------------------

/** Pop up to `count` elements of l (entry e) from one end; count -1: one, as a bulk reply. */
function popAndReply(c: CommandContext, l: List, e: number, left: boolean, count: number): void {
  const r = c.reply;
  const before = l.memoryBytes();
  if (count < 0) {
    const len = left ? l.peekLeft() : l.peekRight();
    r.bulk(l.cbuf, l.coff, len);
    if (left) l.dropLeft();
    else l.dropRight();
  } else {
    const n = l.length;
    const m = Math.min(count, n);
    if (left) {
      replyRange(c, l, 0, m, false);
      l.deleteRange(0, m);
    } else {
      replyRange(c, l, n - m, m, true);
      l.deleteRange(n - m, m);
    }
  }
  endWrite(c, l, e, before, left ? "lpop" : "rpop");
}

function popCommand(c: CommandContext, left: boolean): void {
  const a = c.argv;
  const r = c.reply;
  if (a.count > 3) return arityError(c, c.commandName);
  const hasCount = a.count === 3;
  let count = -1;
  if (hasCount) {
    count = longArg(c, 2);
    if (Number.isNaN(count)) return r.error(NOT_INT);
    if (count < 0) return r.error(POSITIVE_COUNT);
  }
  const l = lookupL(c, 1);
  if (l === null) return hasCount ? r.nilArray() : r.nil();
  if (l === undefined) return r.error(WRONGTYPE);
  if (count === 0) return r.array(0);
  popAndReply(c, l, c.entry, left, count);
}

// --- LMPOP / BLMPOP -------------------------------------------------------------------------

/**
 * LMPOP/BLMPOP's arguments from argument `at` (numkeys): the first key index, how many keys,
 * the end and the count, or null after replying the error.
 */
function parseMpop(
  c: CommandContext,
  at: number,
): { nkeys: number; left: boolean; count: number } | null {
  const a = c.argv;
  const r = c.reply;
  const numkeys = longArg(c, at);
  if (!(numkeys >= 1)) {
    r.error("ERR numkeys should be greater than 0");
    return null;
  }
  if (numkeys > a.count - at - 2) {
    r.error(SYNTAX);
    return null;
  }
  const whereIdx = at + 1 + numkeys;
  let left: boolean;
  if (a.is(whereIdx, "left")) left = true;
  else if (a.is(whereIdx, "right")) left = false;
  else {
    r.error(SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < a.count; j++) {
    if (count === -1 && a.is(j, "count") && j + 1 < a.count) {
      count = longArg(c, j + 1);
      if (!(count >= 1)) {
        r.error("ERR count should be greater than 0");
        return null;
      }
      j++;
    } else {
      r.error(SYNTAX);
      return null;
    }
  }
  const st = c.scratch.record(MPOP);
  st.nkeys = numkeys;
  st.left = left;
  st.count = count === -1 ? 1 : count;
  return st;
}
/** LMPOP/BLMPOP's parsed arguments (a per-context record). */
const MPOP = new RecordSlot(() => ({ nkeys: 0, left: true, count: 1 }));

/**
 * The first non-empty list among keys argv[first, first+nkeys): its argument index (the list
 * in c.entry's table slot), -1 if none, -2 after replying WRONGTYPE.
 */
function firstList(c: CommandContext, first: number, nkeys: number): number {
  for (let i = first; i < first + nkeys; i++) {
    const l = lookupL(c, i);
    if (l === undefined) {
      c.reply.error(WRONGTYPE);
      return -2;
    }
    if (l !== null) return i;
  }
  return -1;
}

function mpopGeneric(c: CommandContext, blocking: boolean): void {
  const a = c.argv;
  const r = c.reply;
  const at = blocking ? 2 : 1;
  const p = parseMpop(c, at);
  if (p === null) return;
  const { nkeys, left, count } = p;
  // The timeout is parsed last, as Redis's lmpopGenericCommand/zmpopGenericCommand do.
  let deadline = 0;
  if (blocking) {
    deadline = blockDeadline(c, 1);
    if (deadline < 0) return;
  }
  const k = firstList(c, at + 1, nkeys);
  if (k === -2) return;
  if (k === -1) {
    if (blocking && c.block(at + 1, nkeys, TYPE_LIST, deadline)) return;
    return r.nilArray();
  }
  const e = c.entry;
  const l = c.table.getObj(e) as List;
  r.array(2);
  r.bulk(a.buf, a.off(k), a.len(k));
  popAndReply(c, l, e, left, count);
}

// --- BLPOP / BRPOP --------------------------------------------------------------------------

function bpopCommand(c: CommandContext, left: boolean): void {
  const a = c.argv;
  const r = c.reply;
  const deadline = blockDeadline(c, a.count - 1);
  if (deadline < 0) return;
  const nkeys = a.count - 2;
  const k = firstList(c, 1, nkeys);
  if (k === -2) return;
  if (k === -1) {
    if (c.block(1, nkeys, TYPE_LIST, deadline)) return;
    return r.nilArray();
  }
  const e = c.entry;
  const l = c.table.getObj(e) as List;
  r.array(2);
  r.bulk(a.buf, a.off(k), a.len(k));
  popAndReply(c, l, e, left, -1);
}

// --- LMOVE / RPOPLPUSH / BLMOVE / BRPOPLPUSH ------------------------------------------------

/** "LEFT" -> 1, "RIGHT" -> 0, else -1. */
function whereArg(c: CommandContext, i: number): number {
  if (c.argv.is(i, "left")) return 1;
  if (c.argv.is(i, "right")) return 0;
  return -1;
}

/**
 * Redis's lmoveGenericCommand after parsing. Returns false when the source is missing (the
 * caller replies or blocks); otherwise replied (the element, or WRONGTYPE).
 */
function lmoveGeneric(c: CommandContext, fromLeft: boolean, toLeft: boolean): boolean {
  const r = c.reply;
  const src = lookupL(c, 1);
  if (src === null) return false;
  if (src === undefined) {
    r.error(WRONGTYPE);
    return true;
  }
  const se = c.entry;
  let dst = lookupL(c, 2);
  if (dst === undefined) {
    r.error(WRONGTYPE);
    return true;
  }
  const t = c.table;
  const srcBefore = src.memoryBytes();
  if (dst === src) {
    src.rotate(fromLeft, toLeft);
    const len = toLeft ? src.peekLeft() : src.peekRight();
    r.bulk(src.cbuf, src.coff, len);
    c.modifiedArg(2, NOTIFY_LIST, toLeft ? "lpush" : "rpush");
    endWrite(c, src, se, srcBefore, fromLeft ? "lpop" : "rpop");
    return true;
  }
  if (dst === null) dst = createL(c, 2);
  const de = c.entry;
  const dstBefore = dst.memoryBytes();
  const len = fromLeft ? src.peekLeft() : src.peekRight();
  if (toLeft) dst.pushLeft(src.cbuf, src.coff, len);
  else dst.pushRight(src.cbuf, src.coff, len);
  r.bulk(src.cbuf, src.coff, len);
  if (fromLeft) src.dropLeft();
  else src.dropRight();
  const dstNow = dst.memoryBytes();
  if (dstNow !== dstBefore) c.keyspace.objectBytesChanged(dstNow - dstBefore);
  c.keyModified(
    c.db,
    t.page(de),
    t.keyOffset(de),
    t.keyLen[de]!,
    NOTIFY_LIST,
    toLeft ? "lpush" : "rpush",
  );
  endWrite(c, src, se, srcBefore, fromLeft ? "lpop" : "rpop");
  return true;
}

function lmove(c: CommandContext): void {
  const from = whereArg(c, 3);
  const to = whereArg(c, 4);
  if (from < 0 || to < 0) return c.reply.error(SYNTAX);
  if (!lmoveGeneric(c, from === 1, to === 1)) c.reply.nil();
}

function rpoplpush(c: CommandContext): void {
  if (!lmoveGeneric(c, false, true)) c.reply.nil();
}

function blmoveGeneric(c: CommandContext, fromLeft: boolean, toLeft: boolean, tIdx: number): void {
  const deadline = blockDeadline(c, tIdx);
  if (deadline < 0) return;
  if (lmoveGeneric(c, fromLeft, toLeft)) return;
  // Blocking refused (MULTI, script): Redis answers a null bulk here, not a null array.
  if (!c.block(1, 1, TYPE_LIST, deadline)) c.reply.nil();
}

function blmove(c: CommandContext): void {
  const from = whereArg(c, 3);
  const to = whereArg(c, 4);
  if (from < 0 || to < 0) return c.reply.error(SYNTAX);
  blmoveGeneric(c, from === 1, to === 1, 5);
}

// --- reads ----------------------------------------------------------------------------------

function llen(c: CommandContext): void {
  const l = lookupLRead(c, 1);
  if (l === undefined) return c.reply.error(WRONGTYPE);
  c.reply.int(l === null ? 0 : l.length);
}

function lindex(c: CommandContext): void {
  const r = c.reply;
  const l = lookupLRead(c, 1);
  if (l === null) return r.nil();
  if (l === undefined) return r.error(WRONGTYPE);
  const index = longArg(c, 2);
  if (Number.isNaN(index)) return r.error(NOT_INT);
  const len = l.at(index);
  if (len < 0) return r.nil();
  r.bulk(l.cbuf, l.coff, len);
}

function lrange(c: CommandContext): void {
  const r = c.reply;
  let start = longArg(c, 2);
  let stop = longArg(c, 3);
  if (Number.isNaN(start) || Number.isNaN(stop)) return r.error(NOT_INT);
  const l = lookupLRead(c, 1);
  if (l === null) return r.array(0);
  if (l === undefined) return r.error(WRONGTYPE);
  const n = l.length;
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return r.array(0);
  if (stop >= n) stop = n - 1;
  replyRange(c, l, start, stop - start + 1, false);
}

function lpos(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < a.count; j++) {
    const more = j + 1 < a.count;
    if (a.is(j, "rank") && more) {
      const v = longArg(c, j + 1);
      if (Number.isNaN(v)) return r.error(NOT_INT);
      if (v === 0)
        return r.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      // Redis negates LONG_MIN into itself, which then behaves as -1.
      rank = v <= -(2 ** 63) ? -1 : v;
    } else if (a.is(j, "count") && more) {
      const v = longArg(c, j + 1);
      if (!(v >= 0)) return r.error("ERR COUNT can't be negative");
      count = v;
    } else if (a.is(j, "maxlen") && more) {
      const v = longArg(c, j + 1);
      if (!(v >= 0)) return r.error("ERR MAXLEN can't be negative");
      maxlen = v;
    } else return r.error(SYNTAX);
    j++;
  }
  const l = lookupLRead(c, 1);
  if (l === null) return count !== -1 ? r.array(0) : r.nil();
  if (l === undefined) return r.error(WRONGTYPE);
  const el = 2;
  if (count === -1) {
    let found = -1;
    l.positions(a.buf, a.off(el), a.len(el), rank, 1, maxlen, (i) => {
      found = i;
    });
    return found < 0 ? r.nil() : r.int(found);
  }
  // The number of matches is only known after the scan: collect indexes first.
  const want = count === 0 ? Number.POSITIVE_INFINITY : count;
  let idx = c.scratch.f64(64);
  let n = 0;
  l.positions(a.buf, a.off(el), a.len(el), rank, want, maxlen, (i) => {
    if (n === idx.length) {
      const next = new Float64Array(idx.length * 2);
      next.set(idx);
      idx = next;
    }
    idx[n++] = i;
  });
  r.array(n);
  for (let k = 0; k < n; k++) r.int(idx[k]!);
}

// --- writes in the middle -------------------------------------------------------------------

function lset(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const l = lookupL(c, 1);
  if (l === null) return r.error(NO_SUCH_KEY);
  if (l === undefined) return r.error(WRONGTYPE);
  const index = longArg(c, 2);
  if (Number.isNaN(index)) return r.error(NOT_INT);
  if (a.len(3) > LIST_MAX_ELEMENT) return r.error(ELEMENT_TOO_LARGE);
  const e = c.entry;
  const before = l.memoryBytes();
  if (!l.set(index, a.buf, a.off(3), a.len(3))) return r.error("ERR index out of range");
  r.ok();
  endWrite(c, l, e, before, "lset");
}

function linsert(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  let after: boolean;
  if (a.is(2, "after")) after = true;
  else if (a.is(2, "before")) after = false;
  else return r.error(SYNTAX);
  if (a.len(4) > LIST_MAX_ELEMENT) return r.error(ELEMENT_TOO_LARGE);
  const l = lookupL(c, 1);
  if (l === null) return r.int(0);
  if (l === undefined) return r.error(WRONGTYPE);
  const e = c.entry;
  const before = l.memoryBytes();
  const n = l.insertByPivot(after, a.buf, a.off(3), a.len(3), a.buf, a.off(4), a.len(4));
  r.int(n);
  if (n > 0) endWrite(c, l, e, before, "linsert");
}

function lrem(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const count = longArg(c, 2);
  if (Number.isNaN(count)) return r.error(NOT_INT);
  const l = lookupL(c, 1);
  if (l === null) return r.int(0);
  if (l === undefined) return r.error(WRONGTYPE);
  const e = c.entry;
  const before = l.memoryBytes();
  const removed = l.removeMatching(count, a.buf, a.off(3), a.len(3));
  r.int(removed);
  if (removed > 0) endWrite(c, l, e, before, "lrem");
}

function ltrim(c: CommandContext): void {
  const r = c.reply;
  const start = longArg(c, 2);
  const stop = longArg(c, 3);
  if (Number.isNaN(start) || Number.isNaN(stop)) return r.error(NOT_INT);
  const l = lookupL(c, 1);
  if (l === null) return r.ok();
  if (l === undefined) return r.error(WRONGTYPE);
  const e = c.entry;
  const before = l.memoryBytes();
  l.trim(start, stop);
  r.ok();
  endWrite(c, l, e, before, "ltrim");
}

export const listCommands: CommandDef[] = [
  cmd("lpush", (c) => pushGeneric(c, true, false)),
  cmd("rpush", (c) => pushGeneric(c, false, false)),
  cmd("lpushx", (c) => pushGeneric(c, true, true)),
  cmd("rpushx", (c) => pushGeneric(c, false, true)),
  cmd("lpop", (c) => popCommand(c, true)),
  cmd("rpop", (c) => popCommand(c, false)),
  cmd("llen", llen),
  cmd("lrange", lrange),
  cmd("lindex", lindex),
  cmd("lset", lset),
  cmd("linsert", linsert),
  cmd("lrem", lrem),
  cmd("ltrim", ltrim),
  cmd("lpos", lpos),
  cmd("lmove", lmove),
  cmd("rpoplpush", rpoplpush),
  cmd("lmpop", (c) => mpopGeneric(c, false)),
  cmd("blpop", (c) => bpopCommand(c, true)),
  cmd("brpop", (c) => bpopCommand(c, false)),
  cmd("blmove", blmove),
  cmd("brpoplpush", (c) => blmoveGeneric(c, false, true, 3)),
  cmd("blmpop", (c) => mpopGeneric(c, true)),
];
