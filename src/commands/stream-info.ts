// XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP (t_stream.c xinfoCommand), with
// Redis 7.0.15's fields in its order; maps in RESP3, flat arrays in RESP2 (Reply.map).
//
// radix-tree-nodes is Redis's rax node count, an artefact of its radix tree that imds does not
// have: it is estimated from the node count (exact for 0 and 1 listpacks; see docs/COMMANDS.md).

import type { Stream } from "../store/stream.ts";
import type { ConsumerGroup } from "../store/stream-group.ts";
import { StreamId } from "../store/stream-id.ts";
import { helpReply } from "./connection.ts";
import type { CommandContext } from "./context.ts";
import { NO_SUCH_KEY, NOT_INT, WRONGTYPE } from "./errors.ts";
import {
  cstr,
  lookupSRead,
  replyEntry,
  replyId,
  replyRange,
  STATE,
  type StreamState,
} from "./stream-common.ts";
import { subcommandSyntax } from "./stream-groups.ts";
import { type CommandDef, cmd } from "./table.ts";
import { longArg } from "./zset-common.ts";

const XINFO_HELP = [
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
];

function xinfo(c: CommandContext): void {
  const a = c.argv;
  if (a.is(1, "help")) {
    if (a.count !== 2) return subcommandSyntax(c, "XINFO");
    return helpReply(c, "XINFO", XINFO_HELP);
  }
  const s = lookupSRead(c, 2);
  if (s === null) return c.reply.error(NO_SUCH_KEY);
  if (s === undefined) return c.reply.error(WRONGTYPE);
  const st = c.scratch.record(STATE);
  if (a.is(1, "consumers") && a.count === 4) {
    const g = s.getGroup(a.buf, a.off(3), a.len(3));
    if (g === null) {
      return c.reply.error(
        `NOGROUP No such consumer group '${cstr(c, 3)}' for key name '${cstr(c, 2)}'`,
      );
    }
    return consumers(c, g);
  }
  if (a.is(1, "groups") && a.count === 3) return groups(c, s);
  if (a.is(1, "stream")) return streamInfo(c, st, s);
  subcommandSyntax(c, "XINFO");
}

function consumers(c: CommandContext, g: ConsumerGroup): void {
  const r = c.reply;
  const now = c.now;
  r.array(g.consumerCount);
  for (let i = 0; i < g.consumerCount; i++) {
    const cons = g.consumerByRank(i);
    r.map(3);
    consumerName(c, g, cons);
    r.bulkStr("pending");
    r.int(g.cPending[cons]!);
    r.bulkStr("idle");
    const idle = now - g.cSeen[cons]!;
    r.int(Math.max(0, idle));
  }
}

/** A consumer's "name" field (XINFO CONSUMERS, XINFO STREAM FULL). */
function consumerName(c: CommandContext, g: ConsumerGroup, cons: number): void {
  c.reply.bulkStr("name");
  c.reply.bulk(g.names, g.consumerNameOff(cons), g.consumerNameLen(cons));
}

/** A group's last-delivered-id, entries-read and lag (streamReplyWithCGLag); GROUPS and FULL. */
function groupProgress(c: CommandContext, s: Stream, g: ConsumerGroup): void {
  const r = c.reply;
  r.bulkStr("last-delivered-id");
  replyId(c, g.lastId);
  r.bulkStr("entries-read");
  if (g.entriesRead !== -1) r.int(g.entriesRead);
  else r.nil();
  r.bulkStr("lag");
  const l = s.groupLag(g);
  if (l === -1) r.nil();
  else r.int(l);
}

function groups(c: CommandContext, s: Stream): void {
  const r = c.reply;
  r.array(s.groups.length);
  for (const g of s.groups) {
    r.map(6);
    r.bulkStr("name");
    r.bulkBytes(g.name);
    r.bulkStr("consumers");
    r.int(g.consumerCount);
    r.bulkStr("pending");
    r.int(g.pelCount);
    groupProgress(c, s, g);
  }
}

/** An estimate of Redis's rax node count for n listpacks (exact for n <= 1). */
function raxNodes(n: number): number {
  return n <= 1 ? n + 1 : n + Math.ceil(n / 2) + 1;
}

const MIN = new StreamId();
const MAX = new StreamId().setMax();

function streamInfo(c: CommandContext, st: StreamState, s: Stream): void {
  const a = c.argv;
  const optc = a.count - 3;
  let full = true;
  let count = 10;
  if (optc === 0) full = false;
  else {
    if (optc !== 1 && optc !== 3) return subcommandSyntax(c, "XINFO");
    if (!a.is(3, "full")) return subcommandSyntax(c, "XINFO");
    if (optc === 3) {
      if (!a.is(4, "count")) return subcommandSyntax(c, "XINFO");
      count = longArg(c, 5);
      if (Number.isNaN(count)) return c.reply.error(NOT_INT);
      if (count < 0) count = 10;
    }
  }
  const r = c.reply;
  r.map(full ? 9 : 10);
  r.bulkStr("length");
  r.int(s.length);
  r.bulkStr("radix-tree-keys");
  r.int(s.nodeCount);
  r.bulkStr("radix-tree-nodes");
  r.int(raxNodes(s.nodeCount));
  r.bulkStr("last-generated-id");
  replyId(c, s.lastId);
  r.bulkStr("max-deleted-entry-id");
  replyId(c, s.maxDeletedId);
  r.bulkStr("entries-added");
  r.int(s.entriesAdded);
  r.bulkStr("recorded-first-entry-id");
  replyId(c, s.firstId);
  if (!full) {
    r.bulkStr("groups");
    r.int(s.groups.length);
    const it = st.it;
    for (const rev of [false, true]) {
      r.bulkStr(rev ? "last-entry" : "first-entry");
      it.seek(s, MIN, MAX, rev);
      if (it.next()) replyEntry(c, it);
      else r.nil();
    }
    return;
  }
  r.bulkStr("entries");
  replyRange(c, st, s, MIN, MAX, count, false);
  r.bulkStr("groups");
  r.array(s.groups.length);
  const id = st.tmp;
  for (const g of s.groups) {
    r.map(7);
    r.bulkStr("name");
    r.bulkBytes(g.name);
    groupProgress(c, s, g);
    r.bulkStr("pel-count");
    r.int(g.pelCount);
    r.bulkStr("pending");
    const pn = count === 0 ? g.pelCount : Math.min(count, g.pelCount);
    r.array(pn);
    let cur = g.pelSeek(MIN);
    for (let k = 0; k < pn; k++) {
      const slot = g.pelSlot(cur);
      r.array(4);
      replyId(c, g.nackId(slot, id));
      const owner = g.nCons[slot]!;
      r.bulk(g.names, g.consumerNameOff(owner), g.consumerNameLen(owner));
      r.int(g.nTime[slot]!);
      r.int(g.nCount[slot]!);
      cur = g.pelNext(cur);
    }
    r.bulkStr("consumers");
    r.array(g.consumerCount);
    for (let i = 0; i < g.consumerCount; i++) {
      const cons = g.consumerByRank(i);
      r.map(4);
      consumerName(c, g, cons);
      r.bulkStr("seen-time");
      r.int(g.cSeen[cons]!);
      r.bulkStr("pel-count");
      const cp = g.cPending[cons]!;
      r.int(cp);
      r.bulkStr("pending");
      const cn = count === 0 ? cp : Math.min(count, cp);
      r.array(cn);
      let cc = g.consumerPelSeek(cons, MIN);
      for (let k = 0; k < cn; k++) {
        const slot = g.consumerPelSlot(cc);
        r.array(3);
        replyId(c, g.nackId(slot, id));
        r.int(g.nTime[slot]!);
        r.int(g.nCount[slot]!);
        cc = g.consumerPelNext(cc);
      }
    }
  }
}

const XINFO_SUBS = ["consumers", "groups", "stream", "help"];

export const streamInfoCommands: CommandDef[] = [
  cmd("xinfo", (c) => subcommandSyntax(c, "XINFO"), {
    subcommands: XINFO_SUBS.map((sub) => cmd(`xinfo|${sub}`, xinfo)),
  }),
];
