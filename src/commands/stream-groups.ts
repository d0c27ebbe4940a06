// Consumer-group commands (t_stream.c): XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/
// DELCONSUMER/HELP, XACK, XPENDING, XCLAIM, XAUTOCLAIM. The group structure (PEL, consumers)
// is src/store/stream-group.ts; XREADGROUP is in stream-read.ts.

import { parseInt64Big } from "../protocol/number.ts";
import type { Stream } from "../store/stream.ts";
import type { ConsumerGroup } from "../store/stream-group.ts";
import { compareIds, ERR_INVALID_ID, parseRangeBound } from "../store/stream-id.ts";
import { helpReply } from "./connection.ts";
import type { CommandContext } from "./context.ts";
import { NOT_INT, SYNTAX, WRONGTYPE } from "./errors.ts";
import {
  argIsChar,
  createS,
  cstr,
  idArg,
  lookupS,
  lookupSRead,
  replyId,
  replyOneEntry,
  STATE,
  sizeChanged,
  streamEvent,
  strictIdArg,
} from "./stream-common.ts";
import { type CommandDef, cmd } from "./table.ts";
import { longArg } from "./zset-common.ts";

const XGROUP_HELP = [
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
];

/** addReplySubcommandSyntaxError. */
export function subcommandSyntax(c: CommandContext, container: string): void {
  c.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${c.argv.latin1(1).slice(0, 128)}'. Try ${container} HELP.`,
  );
}

function noGroupForKey(c: CommandContext, groupArg: number, keyArg: number): void {
  c.reply.error(
    `NOGROUP No such consumer group '${cstr(c, groupArg)}' for key name '${cstr(c, keyArg)}'`,
  );
}

function noKeyOrGroup(c: CommandContext): void {
  c.reply.error(`NOGROUP No such key '${cstr(c, 1)}' or consumer group '${cstr(c, 2)}'`);
}

// --- XGROUP ----------------------------------------------------------------------------

function xgroup(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  const argc = a.count;
  const isCreate = a.is(1, "create");
  const isSetid = a.is(1, "setid");
  let mkstream = false;
  let entriesRead = -1;
  let s: Stream | null = null;
  let g: ConsumerGroup | null = null;
  if (argc >= 4) {
    if (isCreate || isSetid) {
      for (let i = 5; i < argc; ) {
        if (isCreate && a.is(i, "mkstream")) {
          mkstream = true;
          i++;
        } else if (a.is(i, "entriesread") && i + 1 < argc) {
          const v = longArg(c, i + 1);
          if (Number.isNaN(v)) return c.reply.error(NOT_INT);
          if (v < 0 && v !== -1) {
            return c.reply.error("ERR value for ENTRIESREAD must be positive or -1");
          }
          entriesRead = v;
          i += 2;
        } else return subcommandSyntax(c, "XGROUP");
      }
    }
    const found = lookupS(c, 2);
    if (found === undefined) return c.reply.error(WRONGTYPE);
    s = found;
    if (!mkstream) {
      if (s === null) {
        return c.reply.error(
          "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
        );
      }
      g = s.getGroup(a.buf, a.off(3), a.len(3));
      if (g === null && (isSetid || a.is(1, "createconsumer") || a.is(1, "delconsumer"))) {
        return noGroupForKey(c, 3, 2);
      }
    }
  }
  if (argc === 2 && a.is(1, "help")) return helpReply(c, "XGROUP", XGROUP_HELP);
  if (isCreate && argc >= 5 && argc <= 8) {
    const id = st.id;
    if (argIsChar(c, 4, 36)) {
      if (s !== null) id.set(s.lastId);
      else id.setMin();
    } else if (!strictIdArg(c, 4, id)) return c.reply.error(ERR_INVALID_ID);
    if (s === null) s = createS(c, 2);
    const before = s.memoryBytes();
    if (s.createGroup(a.buf, a.off(3), a.len(3), id, entriesRead) === null) {
      return c.reply.error("BUSYGROUP Consumer Group name already exists");
    }
    sizeChanged(c, s, before);
    c.reply.ok();
    streamEvent(c, 2, "xgroup-create");
    return;
  }
  if (isSetid && (argc === 5 || argc === 7)) {
    const id = st.id;
    if (argIsChar(c, 4, 36)) id.set(s!.lastId);
    else if (!idArg(c, 4, id)) return c.reply.error(ERR_INVALID_ID);
    g!.setId(id, entriesRead);
    c.reply.ok();
    streamEvent(c, 2, "xgroup-setid");
    return;
  }
  if (a.is(1, "destroy") && argc === 4) {
    if (g === null) return c.reply.int(0);
    const before = s!.memoryBytes();
    s!.destroyGroup(a.buf, a.off(3), a.len(3));
    sizeChanged(c, s!, before);
    c.reply.int(1);
    // TODO(blocking): Redis wakes XREADGROUP clients blocked on this key (they get NOGROUP).
    streamEvent(c, 2, "xgroup-destroy");
    return;
  }
  if (a.is(1, "createconsumer") && argc === 5) {
    const before = s!.memoryBytes();
    const created = g!.createConsumer(a.buf, a.off(4), a.len(4), c.now) >= 0;
    if (created) {
      sizeChanged(c, s!, before);
      streamEvent(c, 2, "xgroup-createconsumer");
    }
    c.reply.int(created ? 1 : 0);
    return;
  }
  if (a.is(1, "delconsumer") && argc === 5) {
    const cons = g!.findConsumer(a.buf, a.off(4), a.len(4));
    let pending = 0;
    if (cons >= 0) {
      const before = s!.memoryBytes();
      pending = g!.deleteConsumer(cons);
      sizeChanged(c, s!, before);
      streamEvent(c, 2, "xgroup-delconsumer");
    }
    c.reply.int(pending);
    return;
  }
  subcommandSyntax(c, "XGROUP");
}

// --- XACK ------------------------------------------------------------------------------

function xack(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  const s = lookupSRead(c, 1);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const g = s === null ? null : s.getGroup(a.buf, a.off(2), a.len(2));
  if (g === null) return c.reply.int(0);
  const ids = st.ids;
  ids.clear();
  for (let j = 3; j < a.count; j++) {
    if (!strictIdArg(c, j, st.id)) return c.reply.error(ERR_INVALID_ID);
    ids.push(st.id);
  }
  const before = s!.memoryBytes();
  let acked = 0;
  for (let k = 0; k < ids.n; k++) if (g.ack(ids.get(k, st.id))) acked++;
  // Redis signals nothing for XACK (no keyspace event, no signalModifiedKey: WATCH ignores it).
  if (acked > 0) sizeChanged(c, s!, before);
  c.reply.int(acked);
}

// --- XPENDING --------------------------------------------------------------------------

function xpending(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  const argc = a.count;
  const justInfo = argc === 3;
  if (argc !== 3 && (argc < 6 || argc > 9)) return c.reply.error(SYNTAX);
  let count = 0;
  let minIdle = 0;
  let consumerArg = 0;
  if (argc >= 6) {
    let si = 3;
    if (a.is(3, "idle")) {
      minIdle = longArg(c, 4);
      if (Number.isNaN(minIdle)) return c.reply.error(NOT_INT);
      if (argc < 8) return c.reply.error(SYNTAX);
      si += 2;
    }
    count = longArg(c, si + 2);
    if (Number.isNaN(count)) return c.reply.error(NOT_INT);
    if (count < 0) count = 0;
    let err = parseRangeBound(a.buf, a.off(si), a.len(si), st.start, true);
    if (err !== null) return c.reply.error(err);
    err = parseRangeBound(a.buf, a.off(si + 1), a.len(si + 1), st.end, false);
    if (err !== null) return c.reply.error(err);
    if (si + 3 < argc) consumerArg = si + 3;
  }
  const s = lookupSRead(c, 1);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const g = s === null ? null : s.getGroup(a.buf, a.off(2), a.len(2));
  if (g === null) return noKeyOrGroup(c);
  const r = c.reply;
  if (justInfo) {
    r.array(4);
    r.int(g.pelCount);
    if (!g.pelBounds(st.start, st.end)) {
      r.nil();
      r.nil();
      r.nilArray();
      return;
    }
    replyId(c, st.start);
    replyId(c, st.end);
    let n = 0;
    for (let i = 0; i < g.consumerCount; i++) if (g.cPending[g.consumerByRank(i)]! > 0) n++;
    r.array(n);
    for (let i = 0; i < g.consumerCount; i++) {
      const cons = g.consumerByRank(i);
      const p = g.cPending[cons]!;
      if (p === 0) continue;
      r.array(2);
      r.bulk(g.names, g.consumerNameOff(cons), g.consumerNameLen(cons));
      r.bulkStr(String(p));
    }
    return;
  }
  let cons = -1;
  if (consumerArg !== 0) {
    cons = g.findConsumer(a.buf, a.off(consumerArg), a.len(consumerArg));
    if (cons < 0) return r.array(0);
  }
  const now = c.now;
  const id = st.tmp;
  // Two walks: count the matching NACKs, then reply them.
  for (let pass = 0; pass < 2; pass++) {
    let left = count;
    let n = 0;
    let cur = cons >= 0 ? g.consumerPelSeek(cons, st.start) : g.pelSeek(st.start);
    while (left > 0 && cur >= 0) {
      const slot = cons >= 0 ? g.consumerPelSlot(cur) : g.pelSlot(cur);
      g.nackId(slot, id);
      if (compareIds(id, st.end) > 0) break;
      const next = cons >= 0 ? g.consumerPelNext(cur) : g.pelNext(cur);
      cur = next;
      if (minIdle !== 0 && now - g.nTime[slot]! < minIdle) continue;
      n++;
      left--;
      if (pass === 1) {
        r.array(4);
        replyId(c, id);
        const owner = g.nCons[slot]!;
        r.bulk(g.names, g.consumerNameOff(owner), g.consumerNameLen(owner));
        const elapsed = now - g.nTime[slot]!;
        r.int(Math.max(0, elapsed));
        r.int(g.nCount[slot]!);
      }
    }
    if (pass === 0) r.array(n);
  }
}

// --- XCLAIM / XAUTOCLAIM ---------------------------------------------------------------

function xclaim(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  const argc = a.count;
  const s = lookupSRead(c, 1);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const g = s === null ? null : s.getGroup(a.buf, a.off(2), a.len(2));
  if (g === null) return noKeyOrGroup(c);
  let minIdle = longArg(c, 4);
  if (Number.isNaN(minIdle)) return c.reply.error("ERR Invalid min-idle-time argument for XCLAIM");
  if (minIdle < 0) minIdle = 0;
  const ids = st.ids;
  ids.clear();
  let j = 5;
  for (; j < argc; j++) {
    if (!strictIdArg(c, j, st.id)) break;
    ids.push(st.id);
  }
  const now = c.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  const lastId = st.minid.setMin();
  for (; j < argc; j++) {
    const more = argc - 1 - j;
    if (a.is(j, "force")) force = true;
    else if (a.is(j, "justid")) justId = true;
    else if (a.is(j, "idle") && more > 0) {
      j++;
      const v = longArg(c, j);
      if (Number.isNaN(v)) return c.reply.error("ERR Invalid IDLE option argument for XCLAIM");
      deliveryTime = now - v;
    } else if (a.is(j, "time") && more > 0) {
      j++;
      const v = longArg(c, j);
      if (Number.isNaN(v)) return c.reply.error("ERR Invalid TIME option argument for XCLAIM");
      deliveryTime = v;
    } else if (a.is(j, "retrycount") && more > 0) {
      j++;
      const v = longArg(c, j);
      if (Number.isNaN(v)) {
        return c.reply.error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      }
      retryCount = v;
    } else if (a.is(j, "lastid") && more > 0) {
      j++;
      if (!strictIdArg(c, j, lastId)) return c.reply.error(ERR_INVALID_ID);
    } else return c.reply.error(`ERR Unrecognized XCLAIM option '${cstr(c, j)}'`);
  }
  const before = s!.memoryBytes();
  if (compareIds(lastId, g.lastId) > 0) g.lastId.set(lastId);
  if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const consumers = g.consumerCount;
  st.out.clear();
  st.dropped.clear();
  g.claim(
    s!,
    ids,
    a.buf,
    a.off(3),
    a.len(3),
    now,
    minIdle,
    deliveryTime,
    retryCount,
    force,
    justId,
    st.out,
    st.dropped,
  );
  if (g.consumerCount !== consumers) streamEvent(c, 1, "xgroup-createconsumer");
  sizeChanged(c, s!, before);
  const out = st.out;
  c.reply.array(out.n);
  for (let k = 0; k < out.n; k++) {
    out.get(k, st.id);
    if (justId) replyId(c, st.id);
    else replyOneEntry(c, st, s!, st.id);
  }
}

function xautoclaim(c: CommandContext): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  const argc = a.count;
  // Redis looks the key up first, but checks it after parsing the arguments.
  const s = lookupSRead(c, 1);
  let minIdle = longArg(c, 4);
  if (Number.isNaN(minIdle)) {
    return c.reply.error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
  }
  if (minIdle < 0) minIdle = 0;
  const err = parseRangeBound(a.buf, a.off(5), a.len(5), st.start, true);
  if (err !== null) return c.reply.error(err);
  let count = 100;
  let justId = false;
  for (let j = 6; j < argc; j++) {
    const more = argc - 1 - j;
    if (a.is(j, "count") && more > 0) {
      const v = longArg(c, j + 1);
      // LONG_MAX / max(sizeof(streamID), attempts factor 10)
      if (Number.isNaN(v) || v < 1 || (v >= 2 ** 59 && countTooBig(c, j + 1))) {
        return c.reply.error("ERR COUNT must be > 0");
      }
      count = v;
      j++;
    } else if (a.is(j, "justid")) justId = true;
    else return c.reply.error(SYNTAX);
  }
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const g = s === null ? null : s.getGroup(a.buf, a.off(2), a.len(2));
  if (g === null) return noKeyOrGroup(c);
  const before = s!.memoryBytes();
  const consumers = g.consumerCount;
  st.out.clear();
  st.dropped.clear();
  g.autoclaim(
    s!,
    st.start,
    a.buf,
    a.off(3),
    a.len(3),
    c.now,
    minIdle,
    count,
    justId,
    st.out,
    st.dropped,
    st.end,
  );
  if (g.consumerCount !== consumers) streamEvent(c, 1, "xgroup-createconsumer");
  sizeChanged(c, s!, before);
  const r = c.reply;
  r.array(3);
  replyId(c, st.end);
  const out = st.out;
  r.array(out.n);
  for (let k = 0; k < out.n; k++) {
    out.get(k, st.id);
    if (justId) replyId(c, st.id);
    else replyOneEntry(c, st, s!, st.id);
  }
  const del = st.dropped;
  r.array(del.n);
  for (let k = 0; k < del.n; k++) replyId(c, del.get(k, st.id));
}

/** XAUTOCLAIM's COUNT bound: LONG_MAX / max(sizeof(streamID), attempts factor 10). */
function countTooBig(c: CommandContext, i: number): boolean {
  const a = c.argv;
  const b = parseInt64Big(a.buf, a.off(i), a.len(i));
  return b === null || b > 576460752303423487n;
}

const XGROUP_SUBS = ["create", "setid", "destroy", "createconsumer", "delconsumer", "help"];

function xgroupContainer(c: CommandContext): void {
  // Unreachable: dispatch goes to a subcommand.
  subcommandSyntax(c, "XGROUP");
}

export const streamGroupCommands: CommandDef[] = [
  cmd("xgroup", xgroupContainer, {
    subcommands: XGROUP_SUBS.map((sub) => cmd(`xgroup|${sub}`, xgroup)),
  }),
  cmd("xack", xack),
  cmd("xpending", xpending),
  cmd("xclaim", xclaim),
  cmd("xautoclaim", xautoclaim),
];
