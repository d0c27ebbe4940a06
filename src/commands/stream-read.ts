// XREAD and XREADGROUP (t_stream.c xreadCommand): the synchronous part, exactly as Redis.
// BLOCK is parsed and validated as Redis does, and served at once when data is there; when the
// command would block it calls blockOnStreams(), the one place that waits for the shared
// blocking machinery (see its TODO).

import { Args } from "../protocol/args.ts";
import type { Stream } from "../store/stream.ts";
import type { ConsumerGroup, IdBuffer } from "../store/stream-group.ts";
import {
  compareIds,
  ERR_INVALID_ID,
  incrId,
  MAX_ID_TEXT,
  type StreamId,
  storeId,
  writeId,
} from "../store/stream-id.ts";
import { TYPE_STREAM } from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { NOT_INT, SYNTAX, WRONGTYPE } from "./errors.ts";
import {
  argIsChar,
  countRange,
  cstr,
  isResp3,
  lookupSRead,
  replyEntry,
  replyId,
  STATE,
  type StreamState,
  sizeChanged,
  streamEvent,
  strictIdArg,
} from "./stream-common.ts";
import { type CommandDef, cmd } from "./table.ts";
import { longArg } from "./zset-common.ts";

/** Per-stream working columns of one XREAD call (caller-owned, reused). */
class ReadState {
  groups: (ConsumerGroup | null)[] = [];
  streams: (Stream | null)[] = [];
  consumer = new Int32Array(16);
  /** 0 not served, 1 served from the stream, 2 served from the consumer's history. */
  serve = new Uint8Array(16);
  reserve(n: number): void {
    if (this.consumer.length < n) {
      this.consumer = new Int32Array(n * 2);
      this.serve = new Uint8Array(n * 2);
    }
    this.groups.length = n;
    this.streams.length = n;
  }
}
const READ = new RecordSlot(() => new ReadState());

const SERVE_NONE = 0;
const SERVE_NEW = 1;
const SERVE_HISTORY = 2;

function xreadGeneric(c: CommandContext, xreadgroup: boolean): void {
  const st = c.scratch.record(STATE);
  const rs = c.scratch.record(READ);
  const a = c.argv;
  const argc = a.count;
  const name = xreadgroup ? "XREADGROUP" : "XREAD";
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let nstreams = 0;
  let noack = false;
  let groupArg = 0;
  for (let i = 1; i < argc; i++) {
    const more = argc - i - 1;
    if (a.is(i, "block") && more > 0) {
      i++;
      const t = blockTimeout(c, i);
      if (t === null) return;
      timeout = t;
    } else if (a.is(i, "count") && more > 0) {
      i++;
      const v = longArg(c, i);
      if (Number.isNaN(v)) return c.reply.error(NOT_INT);
      count = Math.max(0, v);
    } else if (a.is(i, "streams") && more > 0) {
      streamsArg = i + 1;
      nstreams = argc - streamsArg;
      if (nstreams % 2 !== 0) {
        const sym = xreadgroup ? ">" : "$";
        return c.reply.error(
          `ERR Unbalanced ${a.latin1(0)} list of streams: for each stream key an ID or '${sym}' must be specified.`,
        );
      }
      nstreams /= 2;
      break;
    } else if (a.is(i, "group") && more >= 2) {
      if (!xreadgroup) {
        return c.reply.error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      groupArg = i + 1;
      i += 2;
    } else if (a.is(i, "noack")) {
      if (!xreadgroup) {
        return c.reply.error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      noack = true;
    } else return c.reply.error(SYNTAX);
  }
  if (streamsArg === 0) return c.reply.error(SYNTAX);
  if (xreadgroup && groupArg === 0) return c.reply.error("ERR Missing GROUP option for XREADGROUP");

  // Parse the IDs and resolve the groups.
  rs.reserve(nstreams);
  const ids = st.readIds;
  ids.clear();
  st.ids.clear();
  const id = st.id;
  for (let k = 0; k < nstreams; k++) {
    const ki = streamsArg + k;
    const ii = ki + nstreams;
    const s = lookupSRead(c, ki);
    if (s === undefined) return c.reply.error(WRONGTYPE);
    rs.streams[k] = s;
    rs.groups[k] = null;
    if (groupArg !== 0) {
      const g = s === null ? null : s.getGroup(a.buf, a.off(groupArg), a.len(groupArg));
      if (g === null) {
        // A blocked reader whose group was destroyed meanwhile gets Redis 7.0's own text.
        if (c.servingBlocked) {
          return c.reply.error(
            "NOGROUP the consumer group this client was blocked on no longer exists",
          );
        }
        return c.reply.error(
          `NOGROUP No such key '${cstr(c, ki)}' or consumer group '${cstr(c, groupArg)}' in XREADGROUP with GROUP option`,
        );
      }
      rs.groups[k] = g;
    }
    if (argIsChar(c, ii, 36)) {
      // "$": only entries added from now on.
      if (xreadgroup) {
        return c.reply.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      if (s !== null) id.set(s.lastId);
      else id.setMin();
    } else if (argIsChar(c, ii, 62)) {
      if (!xreadgroup) {
        return c.reply.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
      }
      id.setMax(); // ">" (the group's last delivered ID, resolved below)
    } else if (!strictIdArg(c, ii, id)) return c.reply.error(ERR_INVALID_ID);
    ids.push(id);
  }

  // Which streams can be served now (and the consumers, created as Redis does here).
  let served = 0;
  const consumerArg = groupArg + 1;
  for (let k = 0; k < nstreams; k++) {
    const s = lookupSRead(c, streamsArg + k);
    rs.serve[k] = SERVE_NONE;
    if (s === null || s === undefined) continue;
    ids.get(k, id);
    const g = rs.groups[k]!;
    if (g !== null) {
      if (!id.isMax()) rs.serve[k] = SERVE_HISTORY;
      else if (s.length > 0) {
        // The group's last ID as the streams before this one will have left it (the same key
        // may be named twice; Redis serves them in order).
        const last = st.end.set(g.lastId);
        for (let j = k - 1; j >= 0; j--) {
          if (rs.streams[j] === s && rs.groups[j] === g && rs.serve[j] === SERVE_NEW) {
            st.ids.get(j, last);
            break;
          }
        }
        if (compareIds(s.edgeId(false, st.tmp), last) > 0) {
          rs.serve[k] = SERVE_NEW;
          storeId(ids.words, k, last);
          // Where this read will leave the group: its last entry (kept in st.ids[k]).
          st.start.set(last);
          incrId(st.start);
          st.tmp.set(last);
          const it = st.it;
          it.seek(s, st.start, st.tmp.setMax(), false);
          for (let n = 0; (count === 0 || n < count) && it.next(); n++) last.set(it.id);
        }
      }
      while (st.ids.n <= k) st.ids.push(st.end);
      storeId(st.ids.words, k, st.end);
      if (rs.serve[k] !== SERVE_NONE) {
        // Redis 7.0.15 looks the consumer up (or creates it) only for a stream it serves.
        const before = g.consumerCount;
        const cons = g.ensureConsumer(a.buf, a.off(consumerArg), a.len(consumerArg), c.now);
        rs.consumer[k] = cons;
        if (g.consumerCount !== before) streamEvent(c, streamsArg + k, "xgroup-createconsumer");
      }
    } else if (s.length > 0 && compareIds(s.edgeId(false, st.tmp), id) > 0) {
      rs.serve[k] = SERVE_NEW;
    }
    if (rs.serve[k] !== SERVE_NONE) served++;
  }

  if (served > 0) {
    if (isResp3(c)) c.reply.map(served);
    else c.reply.array(served);
    for (let k = 0; k < nstreams; k++) {
      const mode = rs.serve[k]!;
      if (mode === SERVE_NONE) continue;
      const ki = streamsArg + k;
      if (!isResp3(c)) c.reply.array(2);
      c.reply.bulk(a.buf, a.off(ki), a.len(ki));
      const s = rs.streams[k]!;
      const g = rs.groups[k]!;
      ids.get(k, st.start);
      incrId(st.start); // entries strictly after the given ID
      if (g === null) replyNew(c, st, s, null, -1, count, false);
      else {
        const before = s.memoryBytes();
        if (mode === SERVE_HISTORY) replyHistory(c, st, s, g, rs.consumer[k]!, count);
        else replyNew(c, st, s, g, rs.consumer[k]!, count, noack);
        sizeChanged(c, s, before);
      }
    }
    return;
  }
  if (timeout !== -1) return blockOnStreams(c, name, streamsArg, nstreams, timeout);
  c.reply.nilArray();
}

/**
 * getTimeoutFromObjectOrReply(UNIT_MILLISECONDS) of argument i: the absolute unix-ms deadline
 * (0 = forever), or null after replying the error.
 */
function blockTimeout(c: CommandContext, i: number): number | null {
  const v = longArg(c, i);
  if (Number.isNaN(v)) {
    c.reply.error("ERR timeout is not an integer or out of range");
    return null;
  }
  if (v < 0) {
    c.reply.error("ERR timeout is negative");
    return null;
  }
  // Redis 7.0.15 adds the timeout to the clock without an overflow check (7.2 added one).
  if (v > 0) return v + c.now;
  return 0;
}

/**
 * The command would block: nothing to serve and BLOCK given. The client waits on the stream
 * keys (src/server/blocking.ts); a write to one of them re-runs this command, which serves or
 * blocks again in place. "$" is pinned to the ID it resolved to now (Redis keeps the resolved
 * IDs too), or the re-run would wait past the entry that woke it. In MULTI or a script Redis
 * answers the null array instead (CLIENT_DENY_BLOCKING).
 */
function blockOnStreams(
  c: CommandContext,
  _name: string,
  first: number,
  n: number,
  deadline: number,
): void {
  const st = c.scratch.record(STATE);
  const a = c.argv;
  let rerun: Args | undefined;
  for (let k = 0; k < n; k++) {
    if (!argIsChar(c, first + n + k, 36)) continue;
    rerun ??= copyWithPinnedIds(a, first, n, st.readIds, st.tmp);
  }
  if (!c.block(first, n, TYPE_STREAM, deadline, rerun)) c.reply.nilArray();
}

/** A copy of the request with each "$" ID argument replaced by the ID it resolved to. */
function copyWithPinnedIds(a: Args, first: number, n: number, ids: IdBuffer, tmp: StreamId): Args {
  const text = new Uint8Array(MAX_ID_TEXT);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < a.count; i++) {
    const k = i - first - n;
    if (k >= 0 && k < n && a.len(i) === 1 && a.buf[a.off(i)] === 36) {
      const len = writeId(ids.get(k, tmp), text, 0);
      parts.push(text.slice(0, len));
    } else parts.push(a.copy(i));
  }
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Args(parts.length);
  out.buf = new Uint8Array(total);
  let off = 0;
  for (let i = 0; i < parts.length; i++) {
    out.buf.set(parts[i]!, off);
    out.offs[i] = off;
    out.lens[i] = parts[i]!.length;
    off += parts[i]!.length;
  }
  out.count = parts.length;
  return out;
}

/** streamReplyWithRange from `start` to the end, updating the group and its PEL if given. */
function replyNew(
  c: CommandContext,
  st: StreamState,
  s: Stream,
  g: ConsumerGroup | null,
  consumer: number,
  count: number,
  noack: boolean,
): void {
  const it = st.it;
  st.end.setMax();
  const n = countRange(it, s, st.start, st.end, count, false);
  c.reply.array(n);
  it.seek(s, st.start, st.end, false);
  const now = c.now;
  for (let k = 0; k < n && it.next(); k++) {
    if (g !== null) s.advanceGroup(g, it.id);
    replyEntry(c, it);
    if (g !== null && !noack) g.deliverNew(it.id, consumer, now);
  }
}

/**
 * streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from `start`; an entry
 * deleted since delivery comes back as [id, nil].
 */
function replyHistory(
  c: CommandContext,
  st: StreamState,
  s: Stream,
  g: ConsumerGroup,
  consumer: number,
  count: number,
): void {
  let n = 0;
  for (let cur = g.consumerPelSeek(consumer, st.start); cur >= 0; cur = g.consumerPelNext(cur)) {
    if (count !== 0 && n >= count) break;
    n++;
  }
  c.reply.array(n);
  const it = st.it;
  const id = st.tmp;
  const now = c.now;
  let cur = g.consumerPelSeek(consumer, st.start);
  for (let k = 0; k < n; k++) {
    const slot = g.consumerPelSlot(cur);
    g.nackId(slot, id);
    it.seek(s, id, id, false);
    if (it.next()) {
      replyEntry(c, it);
      g.redeliver(slot, now);
    } else {
      c.reply.array(2);
      replyId(c, id);
      c.reply.nilArray();
    }
    cur = g.consumerPelNext(cur);
  }
}

export const streamReadCommands: CommandDef[] = [
  cmd("xread", (c) => xreadGeneric(c, false)),
  cmd("xreadgroup", (c) => xreadGeneric(c, true)),
];
