// Stream commands (Redis 7.0 t_stream.c semantics, replies and error texts): XADD, XRANGE,
// XREVRANGE, XLEN, XDEL, XTRIM, XSETID here; XREAD/XREADGROUP in stream-read.ts, consumer
// groups in stream-groups.ts, XINFO in stream-info.ts. Entry bytes go from the request into
// the stream's nodes and from there into the output buffer: no JS strings on these paths.

import { ERR_TOO_LARGE, Stream, TRIM_MAXLEN, TRIM_MINID } from "../store/stream.ts";
import {
  compareIds,
  ERR_EXHAUSTED,
  ERR_INVALID_ID,
  ERR_XADD_SMALLER,
  ERR_XADD_ZERO,
  ID_INVALID,
  ID_SEQ_AUTO,
  parseId,
  parseRangeBound,
} from "../store/stream-id.ts";
import type { CommandContext } from "./context.ts";
import { arityError, NO_SUCH_KEY, NOT_INT, SYNTAX, WRONGTYPE } from "./errors.ts";
import {
  createS,
  lookupS,
  lookupSRead,
  nodeLimits,
  replyId,
  replyRange,
  STATE,
  type StreamState,
  sizeChanged,
  streamEvent,
  strictIdArg,
} from "./stream-common.ts";
import { streamGroupCommands } from "./stream-groups.ts";
import { streamInfoCommands } from "./stream-info.ts";
import { streamReadCommands } from "./stream-read.ts";
import { type CommandDef, cmd } from "./table.ts";
import { longArg } from "./zset-common.ts";

// --- XADD / XTRIM options ----------------------------------------------------------------

/**
 * streamParseAddOrTrimArgsOrReply: fills st's trim options (and XADD's ID); returns the index
 * of the ID argument (XADD) / the end (XTRIM), or -1 after replying an error.
 */
function parseAddOrTrim(c: CommandContext, st: StreamState, xadd: boolean): number {
  const a = c.argv;
  const argc = a.count;
  st.strategy = 0;
  st.approx = false;
  st.maxlen = 0;
  st.limit = 0;
  st.noMkStream = false;
  st.idGiven = false;
  st.seqGiven = true;
  let limitGiven = false;
  let i = 2;
  for (; i < argc; i++) {
    const more = argc - 1 - i;
    if (xadd && a.len(i) === 1 && a.buf[a.off(i)] === 42) break; // "*"
    const isMaxlen = a.is(i, "maxlen");
    if ((isMaxlen || a.is(i, "minid")) && more > 0) {
      if (st.strategy !== 0) {
        c.reply.error(
          "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        );
        return -1;
      }
      st.approx = false;
      const nl = a.len(i + 1);
      const nb = a.buf[a.off(i + 1)];
      if (more >= 2 && nl === 1 && nb === 126) {
        st.approx = true;
        i++;
      } else if (more >= 2 && nl === 1 && nb === 61) i++;
      if (isMaxlen) {
        const v = longArg(c, i + 1);
        if (Number.isNaN(v)) {
          c.reply.error(NOT_INT);
          return -1;
        }
        if (v < 0) {
          c.reply.error("ERR The MAXLEN argument must be >= 0.");
          return -1;
        }
        st.maxlen = v;
        st.strategy = TRIM_MAXLEN;
      } else {
        if (!strictIdArg(c, i + 1, st.minid)) {
          c.reply.error(ERR_INVALID_ID);
          return -1;
        }
        st.strategy = TRIM_MINID;
      }
      i++;
    } else if (a.is(i, "limit") && more > 0) {
      const v = longArg(c, i + 1);
      if (Number.isNaN(v)) {
        c.reply.error(NOT_INT);
        return -1;
      }
      if (v < 0) {
        c.reply.error("ERR The LIMIT argument must be >= 0.");
        return -1;
      }
      st.limit = v;
      limitGiven = true;
      i++;
    } else if (xadd && a.is(i, "nomkstream")) {
      st.noMkStream = true;
    } else if (xadd) {
      // A syntax error or the ID (streamParseStrictIDOrReply with seq_given).
      const r = parseId(a.buf, a.off(i), a.len(i), st.id, false, true, true);
      if (r === ID_INVALID) {
        c.reply.error(ERR_INVALID_ID);
        return -1;
      }
      st.idGiven = true;
      st.seqGiven = r !== ID_SEQ_AUTO;
      break;
    } else {
      c.reply.error(SYNTAX);
      return -1;
    }
  }
  if (st.limit !== 0 && st.strategy === 0) {
    c.reply.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return -1;
  }
  if (!xadd && st.strategy === 0) {
    c.reply.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (limitGiven) {
    if (!st.approx) {
      c.reply.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
  } else if (st.approx) {
    // Redis: approximate trims remove at most 100 nodes' worth of entries by default.
    st.limit = 100 * c.limits.streamNodeMaxEntries;
    if (st.limit <= 0) st.limit = 10000;
  } else st.limit = 0;
  return i;
}

// --- XADD ----------------------------------------------------------------------------------

function xadd(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const idpos = parseAddOrTrim(c, st, true);
  if (idpos < 0) return;
  const a = c.argv;
  const fieldPos = idpos + 1;
  const nf = a.count - fieldPos;
  if (nf < 2 || nf % 2 === 1) return arityError(c, "xadd");
  if (st.idGiven && st.seqGiven && st.id.isZero()) return c.reply.error(ERR_XADD_ZERO);
  let s = lookupS(c, 1);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  if (s === null) {
    if (st.noMkStream) return c.reply.nil();
    s = createS(c, 1);
  }
  if (s.lastId.isMax()) return c.reply.error(ERR_EXHAUSTED);
  const pairs = nf / 2;
  if (Stream.entryTooLarge(a, fieldPos, pairs)) return c.reply.error(ERR_TOO_LARGE);
  const before = s.memoryBytes();
  if (s.resolveAddId(st.idGiven ? st.id : null, st.seqGiven, c.now, st.tmp) !== 0) {
    return c.reply.error(ERR_XADD_SMALLER);
  }
  s.append(st.tmp, a, fieldPos, pairs, nodeLimits(c, st));
  replyId(c, st.tmp);
  streamEvent(c, 1, "xadd");
  if (st.strategy !== 0) {
    if (s.trim(st.strategy, st.maxlen, st.minid, st.approx, st.limit) > 0) {
      streamEvent(c, 1, "xtrim");
    }
  }
  sizeChanged(c, s, before);
}

// --- XRANGE / XREVRANGE / XLEN -------------------------------------------------------------

function xrangeGeneric(c: CommandContext, rev: boolean): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  const si = rev ? 3 : 2;
  const ei = rev ? 2 : 3;
  let err = parseRangeBound(a.buf, a.off(si), a.len(si), st.start, true);
  if (err !== null) return c.reply.error(err);
  err = parseRangeBound(a.buf, a.off(ei), a.len(ei), st.end, false);
  if (err !== null) return c.reply.error(err);
  let count = -1;
  for (let j = 4; j < a.count; j++) {
    if (a.is(j, "count") && a.count - j - 1 >= 1) {
      const v = longArg(c, j + 1);
      if (Number.isNaN(v)) return c.reply.error(NOT_INT);
      count = Math.max(0, v);
      j++;
    } else return c.reply.error(SYNTAX);
  }
  const s = lookupSRead(c, 1);
  if (s === null) return c.reply.array(0);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  if (count === 0) return c.reply.nilArray();
  replyRange(c, st, s, st.start, st.end, count === -1 ? 0 : count, rev);
}

function xlen(c: CommandContext): void {
  const s = lookupSRead(c, 1);
  if (s === null) return c.reply.int(0);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  c.reply.int(s.length);
}

// --- XDEL / XTRIM --------------------------------------------------------------------------

function xdel(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const s = lookupS(c, 1);
  if (s === null) return c.reply.int(0);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const a = c.argv;
  const ids = st.ids;
  ids.clear();
  // All IDs are checked before any is deleted, as Redis does.
  for (let j = 2; j < a.count; j++) {
    if (!strictIdArg(c, j, st.id)) return c.reply.error(ERR_INVALID_ID);
    ids.push(st.id);
  }
  const before = s.memoryBytes();
  let deleted = 0;
  for (let k = 0; k < ids.n; k++) if (s.delete(ids.get(k, st.id))) deleted++;
  if (deleted > 0) {
    streamEvent(c, 1, "xdel");
    sizeChanged(c, s, before);
  }
  c.reply.int(deleted);
}

function xtrim(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  if (parseAddOrTrim(c, st, false) < 0) return;
  const s = lookupS(c, 1);
  if (s === null) return c.reply.int(0);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const before = s.memoryBytes();
  const deleted = s.trim(st.strategy, st.maxlen, st.minid, st.approx, st.limit);
  if (deleted > 0) {
    streamEvent(c, 1, "xtrim");
    sizeChanged(c, s, before);
  }
  c.reply.int(deleted);
}

// --- XSETID --------------------------------------------------------------------------------

function xsetid(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  if (!strictIdArg(c, 2, st.id)) return c.reply.error(ERR_INVALID_ID);
  let entriesAdded = -1;
  let maxDeleted = false;
  st.minid.setMin();
  for (let i = 3; i < a.count; ) {
    const more = a.count - 1 - i;
    if (a.is(i, "entriesadded") && more > 0) {
      const v = longArg(c, i + 1);
      if (Number.isNaN(v)) return c.reply.error(NOT_INT);
      if (v < 0) return c.reply.error("ERR entries_added must be positive");
      entriesAdded = v;
      i += 2;
    } else if (a.is(i, "maxdeletedid") && more > 0) {
      if (!strictIdArg(c, i + 1, st.minid)) return c.reply.error(ERR_INVALID_ID);
      if (compareIds(st.id, st.minid) < 0) {
        return c.reply.error(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
      }
      maxDeleted = true;
      i += 2;
    } else return c.reply.error(SYNTAX);
  }
  const s = lookupS(c, 1);
  if (s === null) return c.reply.error(NO_SUCH_KEY);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const err = s.setId(st.id, entriesAdded, maxDeleted ? st.minid : null);
  if (err !== null) return c.reply.error(err);
  streamEvent(c, 1, "xsetid");
  c.reply.ok();
}

export const streamCommands: CommandDef[] = [
  cmd("xadd", xadd),
  cmd("xrange", (c) => xrangeGeneric(c, false)),
  cmd("xrevrange", (c) => xrangeGeneric(c, true)),
  cmd("xlen", xlen),
  cmd("xdel", xdel),
  cmd("xtrim", xtrim),
  cmd("xsetid", xsetid),
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
];
