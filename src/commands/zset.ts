// Sorted set commands (Redis 7.0 semantics, reply types and error texts). The structure is
// src/store/zset.ts; set algebra and ZSCAN are in zset-ops.ts, parsing in zset-parse.ts.
// Members go from the request bytes straight into the set's arena and from there straight
// into the output buffer: no JS strings on these paths.

import { parseInt64Big } from "../protocol/number.ts";
import { TYPE_ZSET } from "../store/table.ts";
import { ZSet } from "../store/zset.ts";
import { blockDeadline } from "./blocking.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { type CommandDef, cmd } from "./table.ts";
import {
  copyRange,
  createZ,
  endWrite,
  longArg,
  lookupZ,
  lookupZRead,
  NAN_RESULT,
  NOT_FLOAT,
  NOT_INT,
  pairsNested,
  RANGE_NOT_FLOAT,
  RANGE_NOT_LEX,
  rangeHeader,
  replyElement,
  replyMember,
  SYNTAX,
  storeZ,
  TOO_BIG,
  WRONGTYPE,
} from "./zset-common.ts";
import { zsetOpCommands } from "./zset-ops.ts";
import {
  LEX_MAX,
  LEX_MIN,
  type LexBound,
  parseLexBound,
  parseScore,
  parseScoreBound,
  type ScoreBound,
} from "./zset-parse.ts";

/** Explicit bounds of the sorted set commands (mutable for tests). */
export const zsetLimits = {
  /** ZRANDMEMBER's negative count: elements (with repetition) in one reply. */
  randMemberMax: 10_000_000,
};

// --- ZADD / ZINCRBY ---------------------------------------------------------------------

const F_NX = 1;
const F_XX = 2;
const F_GT = 4;
const F_LT = 8;
const F_CH = 16;
const F_INCR = 32;

// zaddOne's outcome.
const ADDED = 1;
const UPDATED = 2;
const NOP = 3;
const NAN = 4;
const SAME = 5; // processed (counts for INCR's reply), score unchanged

/** Redis's zsetAdd: one (score, member) with flags. Sets st.newScore unless NOP. */
function zaddOne(
  st: ZsetState,
  z: ZSet,
  flags: number,
  score: number,
  buf: Uint8Array,
  off: number,
  len: number,
): number {
  const id = z.find(buf, off, len);
  if (id >= 0) {
    if (flags & F_NX) return NOP;
    const cur = z.score[id]!;
    if (flags & F_INCR) {
      score += cur;
      if (Number.isNaN(score)) return NAN;
    }
    if ((flags & F_LT && score >= cur) || (flags & F_GT && score <= cur)) return NOP;
    st.newScore = score;
    if (score !== cur) {
      z.setScore(id, score);
      return UPDATED;
    }
    return SAME;
  }
  if (flags & F_XX) return NOP;
  z.insert(buf, off, len, score);
  st.newScore = score;
  return ADDED;
}

function zaddGeneric(c: CommandContext, flags: number): void {
  const a = c.argv;
  const r = c.reply;
  let i = 2;
  if (!(flags & F_INCR)) {
    for (; i < a.count; i++) {
      if (a.is(i, "nx")) flags |= F_NX;
      else if (a.is(i, "xx")) flags |= F_XX;
      else if (a.is(i, "gt")) flags |= F_GT;
      else if (a.is(i, "lt")) flags |= F_LT;
      else if (a.is(i, "ch")) flags |= F_CH;
      else if (a.is(i, "incr")) flags |= F_INCR;
      else break;
    }
  }
  const elements = a.count - i;
  if (elements % 2 !== 0 || elements === 0) return r.error(SYNTAX);
  const pairs = elements / 2;
  if (flags & F_NX && flags & F_XX) {
    return r.error("ERR XX and NX options at the same time are not compatible");
  }
  if (
    (flags & F_GT && flags & F_NX) ||
    (flags & F_LT && flags & F_NX) ||
    (flags & F_GT && flags & F_LT)
  ) {
    return r.error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (flags & F_INCR && pairs > 1) {
    return r.error("ERR INCR option supports a single increment-element pair");
  }
  const scores = c.scratch.f64(pairs);
  const st = c.scratch.record(ZSET_STATE);
  for (let j = 0; j < pairs; j++) {
    const k = i + j * 2;
    const s = parseScore(a.buf, a.off(k), a.len(k));
    if (Number.isNaN(s)) return r.error(NOT_FLOAT);
    scores[j] = s;
  }
  let z = lookupZ(c, 1);
  if (z === undefined) return r.error(WRONGTYPE);
  let e = c.entry;
  let before = z === null ? 0 : z.memoryBytes();
  if (z === null) {
    if (flags & F_XX) return flags & F_INCR ? r.nil() : r.int(0);
    // Redis 7.0 picks the new set's encoding from the first member's length only (a listpack
    // unless it is over zset-max-listpack-value); later inserts convert as usual.
    z = createZ(c, 1, a.len(i + 1) <= ZSet.listpackValue);
    e = c.entry;
    before = z.memoryBytes(); // setObj already counted the new, empty set
  }
  let added = 0;
  let updated = 0;
  let processed = 0;
  let incrScore = 0;
  for (let j = 0; j < pairs; j++) {
    const k = i + j * 2 + 1;
    const len = a.len(k);
    if (z.wouldOverflow(len) && z.find(a.buf, a.off(k), len) < 0) {
      endWrite(c, z, e, before, zaddEvent(flags, added + updated));
      return r.error(TOO_BIG);
    }
    const out = zaddOne(st, z, flags, scores[j]!, a.buf, a.off(k), len);
    if (out === NAN) {
      endWrite(c, z, e, before, zaddEvent(flags, added + updated));
      return r.error(NAN_RESULT);
    }
    if (out === ADDED) added++;
    else if (out === UPDATED) updated++;
    if (out !== NOP) {
      processed++;
      incrScore = st.newScore;
    }
  }
  endWrite(c, z, e, before, zaddEvent(flags, added + updated));
  if (flags & F_INCR) return processed > 0 ? r.double(incrScore) : r.nil();
  r.int(flags & F_CH ? added + updated : added);
}

function zadd(c: CommandContext): void {
  zaddGeneric(c, 0);
}

/** ZADD's event: "zadd" or "zincr" when a member was added or updated, else none. */
function zaddEvent(flags: number, changed: number): string | null {
  if (changed === 0) return null;
  return flags & F_INCR ? "zincr" : "zadd";
}

/** ZINCRBY key increment member: ZADD INCR with the pair in place. */
function zincrby(c: CommandContext): void {
  zaddGeneric(c, F_INCR);
}

// --- simple reads and removals --------------------------------------------------------------

function zrem(c: CommandContext): void {
  const a = c.argv;
  const z = lookupZ(c, 1);
  if (z === undefined) return c.reply.error(WRONGTYPE);
  if (z === null) return c.reply.int(0);
  const e = c.entry;
  const before = z.memoryBytes();
  let n = 0;
  for (let i = 2; i < a.count; i++) {
    const id = z.find(a.buf, a.off(i), a.len(i));
    if (id >= 0) {
      z.delete(id);
      n++;
      if (z.size === 0) break;
    }
  }
  endWrite(c, z, e, before, n > 0 ? "zrem" : null);
  c.reply.int(n);
}

function zscore(c: CommandContext): void {
  const a = c.argv;
  const z = lookupZRead(c, 1);
  if (z === undefined) return c.reply.error(WRONGTYPE);
  if (z === null) return c.reply.nil();
  const id = z.find(a.buf, a.off(2), a.len(2));
  if (id < 0) return c.reply.nil();
  c.reply.double(z.score[id]!);
}

function zmscore(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const z = lookupZRead(c, 1);
  if (z === undefined) return r.error(WRONGTYPE);
  r.array(a.count - 2);
  for (let i = 2; i < a.count; i++) {
    const id = z === null ? -1 : z.find(a.buf, a.off(i), a.len(i));
    if (id < 0) r.nil();
    else r.double(z!.score[id]!);
  }
}

function zcard(c: CommandContext): void {
  const z = lookupZRead(c, 1);
  if (z === undefined) return c.reply.error(WRONGTYPE);
  c.reply.int(z === null ? 0 : z.size);
}

function zrankGeneric(c: CommandContext, rev: boolean): void {
  const a = c.argv;
  const z = lookupZRead(c, 1);
  if (z === undefined) return c.reply.error(WRONGTYPE);
  if (z === null) return c.reply.nil();
  const id = z.find(a.buf, a.off(2), a.len(2));
  if (id < 0) return c.reply.nil();
  const rank = z.rank(id);
  c.reply.int(rev ? z.size - 1 - rank : rank);
}

// --- ranges -----------------------------------------------------------------------------------

/**
 * A range command's parsed range and its resolved ranks [rlo, rhi) in a set, plus ZADD's
 * outcome score: one record per context (caller-owned, reused; no module state).
 */
class ZsetState {
  readonly bound: ScoreBound = { value: 0, excl: false };
  readonly lex: LexBound = { kind: 0, excl: false, off: 0, len: 0 };
  readonly sr = { min: 0, minex: false, max: 0, maxex: false };
  readonly lr = {
    minKind: 0,
    minex: false,
    minOff: 0,
    minLen: 0,
    maxKind: 0,
    maxex: false,
    maxOff: 0,
    maxLen: 0,
  };
  rlo = 0;
  rhi = 0;
  /** zaddOne's resulting score (unless NOP). */
  newScore = 0;
}
const ZSET_STATE = new RecordSlot(() => new ZsetState());

function parseScoreRange(c: CommandContext, minIdx: number, maxIdx: number): boolean {
  const st = c.scratch.record(ZSET_STATE);
  const a = c.argv;
  if (!parseScoreBound(a.buf, a.off(minIdx), a.len(minIdx), st.bound)) return false;
  st.sr.min = st.bound.value;
  st.sr.minex = st.bound.excl;
  if (!parseScoreBound(a.buf, a.off(maxIdx), a.len(maxIdx), st.bound)) return false;
  st.sr.max = st.bound.value;
  st.sr.maxex = st.bound.excl;
  return true;
}

function parseLexRange(c: CommandContext, minIdx: number, maxIdx: number): boolean {
  const st = c.scratch.record(ZSET_STATE);
  const a = c.argv;
  if (!parseLexBound(a.buf, a.off(minIdx), a.len(minIdx), st.lex)) return false;
  st.lr.minKind = st.lex.kind;
  st.lr.minex = st.lex.excl;
  st.lr.minOff = st.lex.off;
  st.lr.minLen = st.lex.len;
  if (!parseLexBound(a.buf, a.off(maxIdx), a.len(maxIdx), st.lex)) return false;
  st.lr.maxKind = st.lex.kind;
  st.lr.maxex = st.lex.excl;
  st.lr.maxOff = st.lex.off;
  st.lr.maxLen = st.lex.len;
  return true;
}

function resolveScore(c: CommandContext, z: ZSet): void {
  const st = c.scratch.record(ZSET_STATE);
  st.rlo = z.scoreRank(st.sr.min, st.sr.minex);
  st.rhi = z.scoreRank(st.sr.max, !st.sr.maxex);
  if (st.rhi < st.rlo) st.rhi = st.rlo;
}

function resolveLex(c: CommandContext, z: ZSet): void {
  const st = c.scratch.record(ZSET_STATE);
  const buf = c.argv.buf;
  if (st.lr.minKind === LEX_MIN) st.rlo = 0;
  else if (st.lr.minKind === LEX_MAX) st.rlo = z.size;
  else st.rlo = z.lexRank(buf, st.lr.minOff, st.lr.minLen, st.lr.minex);
  if (st.lr.maxKind === LEX_MAX) st.rhi = z.size;
  else if (st.lr.maxKind === LEX_MIN) st.rhi = 0;
  else st.rhi = z.lexRank(buf, st.lr.maxOff, st.lr.maxLen, !st.lr.maxex);
  if (st.rhi < st.rlo) st.rhi = st.rlo;
}

function zcount(c: CommandContext): void {
  const st = c.scratch.record(ZSET_STATE);
  if (!parseScoreRange(c, 2, 3)) return c.reply.error(RANGE_NOT_FLOAT);
  const z = lookupZRead(c, 1);
  if (z === undefined) return c.reply.error(WRONGTYPE);
  if (z === null) return c.reply.int(0);
  resolveScore(c, z);
  c.reply.int(st.rhi - st.rlo);
}

function zlexcount(c: CommandContext): void {
  const st = c.scratch.record(ZSET_STATE);
  if (!parseLexRange(c, 2, 3)) return c.reply.error(RANGE_NOT_LEX);
  const z = lookupZRead(c, 1);
  if (z === undefined) return c.reply.error(WRONGTYPE);
  if (z === null) return c.reply.int(0);
  resolveLex(c, z);
  c.reply.int(st.rhi - st.rlo);
}

const BY_RANK = 0;
const BY_SCORE = 1;
const BY_LEX = 2;
const AUTO = -1;

/**
 * Redis's zrangeGenericCommand: ZRANGE, ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX and
 * ZRANGESTORE (store: argument 1 is the destination). type/rev of AUTO come from options.
 */
function zrangeGeneric(
  c: CommandContext,
  argStart: number,
  store: boolean,
  type: number,
  rev: number,
): void {
  const st = c.scratch.record(ZSET_STATE);
  const a = c.argv;
  const r = c.reply;
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < a.count; j++) {
    const left = a.count - j - 1;
    if (!store && a.is(j, "withscores")) withscores = true;
    else if (a.is(j, "limit") && left >= 2) {
      offset = longArg(c, j + 1);
      limit = longArg(c, j + 2);
      if (Number.isNaN(offset) || Number.isNaN(limit)) return r.error(NOT_INT);
      j += 2;
    } else if (rev === AUTO && a.is(j, "rev")) rev = 1;
    else if (type === AUTO && a.is(j, "bylex")) type = BY_LEX;
    else if (type === AUTO && a.is(j, "byscore")) type = BY_SCORE;
    else return r.error(SYNTAX);
  }
  if (rev === AUTO) rev = 0;
  if (type === AUTO) type = BY_RANK;
  if (limit !== -1 && type === BY_RANK) {
    return r.error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  }
  if (withscores && type === BY_LEX) {
    return r.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  if (rev === 1 && type !== BY_RANK) {
    const t = maxIdx;
    maxIdx = minIdx;
    minIdx = t;
  }
  let start = 0;
  let end = 0;
  if (type === BY_RANK) {
    start = longArg(c, minIdx);
    end = longArg(c, maxIdx);
    if (Number.isNaN(start) || Number.isNaN(end)) return r.error(NOT_INT);
  } else if (type === BY_SCORE) {
    if (!parseScoreRange(c, minIdx, maxIdx)) return r.error(RANGE_NOT_FLOAT);
  } else if (!parseLexRange(c, minIdx, maxIdx)) {
    return r.error(RANGE_NOT_LEX);
  }
  const z = lookupZRead(c, argStart);
  if (z === null) {
    if (store) {
      storeZ(c, 1, new ZSet(), "zrangestore");
      return r.int(0);
    }
    return r.array(0);
  }
  if (z === undefined) return r.error(WRONGTYPE);
  // Resolve to: `count` elements starting at rank `from`, walking down when rev.
  let from = 0;
  let count = 0;
  const size = z.size;
  if (type === BY_RANK) {
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (!(start > end || start >= size)) {
      if (end >= size) end = size - 1;
      count = end - start + 1;
      from = rev ? size - 1 - start : start;
    }
  } else {
    if (type === BY_SCORE) resolveScore(c, z);
    else resolveLex(c, z);
    // Redis skips `offset` elements first; a negative offset skips to the end of the set.
    let n = st.rhi - st.rlo;
    if (offset < 0 || (offset > 0 && offset >= size)) n = 0;
    else n = Math.max(0, n - offset);
    if (limit >= 0 && limit < n) n = limit;
    count = n;
    from = rev ? st.rhi - 1 - offset : st.rlo + offset;
  }
  if (store) {
    const out = copyRange(z, from, count, rev === 1);
    storeZ(c, 1, out, "zrangestore");
    return r.int(out.size);
  }
  const scores = withscores;
  rangeHeader(c, count, scores);
  if (count === 0) return;
  z.seek(from);
  for (let k = 0; k < count; k++) replyElement(c, z, rev ? z.prevId() : z.nextId(), scores);
}

// --- removal by range --------------------------------------------------------------------------

function zremrangeGeneric(c: CommandContext, type: number): void {
  const st = c.scratch.record(ZSET_STATE);
  const r = c.reply;
  let start = 0;
  let end = 0;
  if (type === BY_RANK) {
    start = longArg(c, 2);
    end = longArg(c, 3);
    if (Number.isNaN(start) || Number.isNaN(end)) return r.error(NOT_INT);
  } else if (type === BY_SCORE) {
    if (!parseScoreRange(c, 2, 3)) return r.error(RANGE_NOT_FLOAT);
  } else if (!parseLexRange(c, 2, 3)) {
    return r.error(RANGE_NOT_LEX);
  }
  const z = lookupZ(c, 1);
  if (z === undefined) return r.error(WRONGTYPE);
  if (z === null) return r.int(0);
  const e = c.entry;
  const before = z.memoryBytes();
  const size = z.size;
  if (type === BY_RANK) {
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (start > end || start >= size) return r.int(0);
    if (end >= size) end = size - 1;
    st.rlo = start;
    st.rhi = end + 1;
  } else if (type === BY_SCORE) resolveScore(c, z);
  else resolveLex(c, z);
  const n = st.rhi - st.rlo;
  // Each delete is O(log n); the elements to remove always sit at rank st.rlo.
  for (let k = 0; k < n; k++) z.delete(z.idAt(st.rlo));
  const event =
    type === BY_RANK
      ? "zremrangebyrank"
      : type === BY_SCORE
        ? "zremrangebyscore"
        : "zremrangebylex";
  endWrite(c, z, e, before, n > 0 ? event : null);
  r.int(n);
}

// --- pops and random members --------------------------------------------------------------

/**
 * Redis's genericZpopCommand over keys argv[first, first+nkeys). count -1 = the single-element
 * form. emitKey: ZMPOP's [key, [[m, s], ...]] shape.
 */
function zpopGeneric(
  c: CommandContext,
  first: number,
  nkeys: number,
  max: boolean,
  count: number,
  emitKey: boolean,
): void {
  const r = c.reply;
  const a = c.argv;
  let z: ZSet | null | undefined = null;
  let keyIdx = -1;
  for (let i = first; i < first + nkeys; i++) {
    z = lookupZ(c, i);
    if (z === undefined) return r.error(WRONGTYPE);
    if (z !== null) {
      keyIdx = i;
      break;
    }
  }
  if (z === null) return emitKey ? r.nilArray() : r.array(0);
  if (count === 0) return r.array(0);
  const e = c.entry;
  const before = z.memoryBytes();
  const n = Math.min(count < 0 ? 1 : count, z.size);
  const nested = emitKey || (count >= 0 && pairsNested(c));
  if (emitKey) {
    r.array(2);
    r.bulk(a.buf, a.off(keyIdx), a.len(keyIdx));
    r.array(n);
  } else r.array(nested ? n : n * 2);
  for (let k = 0; k < n; k++) {
    const id = z.idAt(max ? z.size - 1 : 0);
    if (nested) r.array(2);
    replyMember(r, z, id);
    r.double(z.score[id]!);
    z.delete(id);
  }
  endWrite(c, z, e, before, n > 0 ? (max ? "zpopmax" : "zpopmin") : null);
}

function zpopCommand(c: CommandContext, max: boolean): void {
  const a = c.argv;
  if (a.count > 3) return c.reply.error(SYNTAX);
  let count = -1;
  if (a.count === 3) {
    count = longArg(c, 2);
    if (!(count >= 0)) return c.reply.error("ERR value is out of range, must be positive");
  }
  zpopGeneric(c, 1, 1, max, count, false);
}

/** ZMPOP (at = 1) and BZMPOP (at = 2, the timeout in argument 1). */
function zmpopGeneric(c: CommandContext, blocking: boolean): void {
  const a = c.argv;
  const r = c.reply;
  const at = blocking ? 2 : 1;
  const numkeys = longArg(c, at);
  if (!(numkeys >= 1)) return r.error("ERR numkeys should be greater than 0");
  if (numkeys > a.count - at - 2) return r.error(SYNTAX);
  const whereIdx = numkeys + at + 1;
  let max: boolean;
  if (a.is(whereIdx, "min")) max = false;
  else if (a.is(whereIdx, "max")) max = true;
  else return r.error(SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < a.count; j++) {
    if (count === -1 && a.is(j, "count") && j + 1 < a.count) {
      count = longArg(c, j + 1);
      if (!(count >= 1)) return r.error("ERR count should be greater than 0");
      j++;
    } else return r.error(SYNTAX);
  }
  // The timeout is parsed last, as Redis's lmpopGenericCommand/zmpopGenericCommand do.
  let deadline = 0;
  if (blocking) {
    deadline = blockDeadline(c, 1);
    if (deadline < 0) return;
  }
  if (blocking) {
    const k = firstZ(c, at + 1, numkeys);
    if (k === -2) return;
    if (k === -1) {
      if (c.block(at + 1, numkeys, TYPE_ZSET, deadline)) return;
      return r.nilArray();
    }
  }
  zpopGeneric(c, at + 1, numkeys, max, count === -1 ? 1 : count, true);
}

/** The first existing sorted set among argv[first, first+n): its index, -1 none, -2 WRONGTYPE (replied). */
function firstZ(c: CommandContext, first: number, n: number): number {
  for (let i = first; i < first + n; i++) {
    const z = lookupZ(c, i);
    if (z === undefined) {
      c.reply.error(WRONGTYPE);
      return -2;
    }
    if (z !== null) return i;
  }
  return -1;
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] of the first non-empty set. */
function bzpopCommand(c: CommandContext, max: boolean): void {
  const a = c.argv;
  const r = c.reply;
  const deadline = blockDeadline(c, a.count - 1);
  if (deadline < 0) return;
  const nkeys = a.count - 2;
  const k = firstZ(c, 1, nkeys);
  if (k === -2) return;
  if (k === -1) {
    if (c.block(1, nkeys, TYPE_ZSET, deadline)) return;
    return r.nilArray();
  }
  const e = c.entry;
  const z = c.table.getObj(e) as ZSet;
  const before = z.memoryBytes();
  const id = z.idAt(max ? z.size - 1 : 0);
  r.array(3);
  r.bulk(a.buf, a.off(k), a.len(k));
  replyMember(r, z, id);
  r.double(z.score[id]!);
  z.delete(id);
  endWrite(c, z, e, before, max ? "zpopmax" : "zpopmin");
}

function zrandmember(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  if (a.count === 2) {
    const z = lookupZRead(c, 1);
    if (z === undefined) return r.error(WRONGTYPE);
    if (z === null || z.size === 0) return r.nil();
    return replyMember(r, z, z.idAt(Math.floor(Math.random() * z.size)));
  }
  const big = parseInt64Big(a.buf, a.off(2), a.len(2));
  if (big === null) return r.error(NOT_INT);
  if (big < -9223372036854775807n) {
    return r.error(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  if (a.count > 4 || (a.count === 4 && !a.is(3, "withscores"))) return r.error(SYNTAX);
  const withscores = a.count === 4;
  if (withscores && (big < -4611686018427387903n || big > 4611686018427387903n)) {
    return r.error("ERR value is out of range");
  }
  const count = Number(big);
  // Our own explicit bound: a negative count is that many elements in one reply.
  const max = zsetLimits.randMemberMax;
  if (count < -max) return r.error(`ERR count is out of range (at most ${max} with repetition)`);
  const z = lookupZRead(c, 1);
  if (z === undefined) return r.error(WRONGTYPE);
  if (z === null || count === 0) return r.array(0);
  const size = z.size;
  if (count < 0) {
    const n = -count;
    rangeHeader(c, n, withscores);
    for (let k = 0; k < n; k++)
      replyElement(c, z, z.idAt(Math.floor(Math.random() * size)), withscores);
    return;
  }
  if (count >= size) {
    rangeHeader(c, size, withscores);
    z.seek(0);
    for (let k = 0; k < size; k++) replyElement(c, z, z.nextId(), withscores);
    return;
  }
  // Distinct sample of `count` ranks: partial Fisher-Yates over a sparse map of swaps.
  rangeHeader(c, count, withscores);
  const swapped = new Map<number, number>();
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(Math.random() * (size - k));
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(k) ?? k);
    replyElement(c, z, z.idAt(vj), withscores);
  }
}

// --- the table -----------------------------------------------------------------------------

export const zsetCommands: CommandDef[] = [
  cmd("zadd", zadd),
  cmd("zincrby", zincrby),
  cmd("zrem", zrem),
  cmd("zscore", zscore),
  cmd("zmscore", zmscore),
  cmd("zcard", zcard),
  cmd("zcount", zcount),
  cmd("zlexcount", zlexcount),
  cmd("zrank", (c) => zrankGeneric(c, false)),
  cmd("zrevrank", (c) => zrankGeneric(c, true)),
  cmd("zrange", (c) => zrangeGeneric(c, 1, false, AUTO, AUTO)),
  cmd("zrevrange", (c) => zrangeGeneric(c, 1, false, BY_RANK, 1)),
  cmd("zrangebyscore", (c) => zrangeGeneric(c, 1, false, BY_SCORE, 0)),
  cmd("zrevrangebyscore", (c) => zrangeGeneric(c, 1, false, BY_SCORE, 1)),
  cmd("zrangebylex", (c) => zrangeGeneric(c, 1, false, BY_LEX, 0)),
  cmd("zrevrangebylex", (c) => zrangeGeneric(c, 1, false, BY_LEX, 1)),
  cmd("zrangestore", (c) => zrangeGeneric(c, 2, true, AUTO, AUTO)),
  cmd("zremrangebyrank", (c) => zremrangeGeneric(c, BY_RANK)),
  cmd("zremrangebyscore", (c) => zremrangeGeneric(c, BY_SCORE)),
  cmd("zremrangebylex", (c) => zremrangeGeneric(c, BY_LEX)),
  cmd("zpopmin", (c) => zpopCommand(c, false)),
  cmd("zpopmax", (c) => zpopCommand(c, true)),
  cmd("zmpop", (c) => zmpopGeneric(c, false)),
  cmd("bzpopmin", (c) => bzpopCommand(c, false)),
  cmd("bzpopmax", (c) => bzpopCommand(c, true)),
  cmd("bzmpop", (c) => zmpopGeneric(c, true)),
  cmd("zrandmember", zrandmember),
  ...zsetOpCommands,
];
