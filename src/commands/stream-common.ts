// Shared pieces of the stream commands: key lookup with type checks, creating a stream, size
// accounting and the write signal, ID arguments, and entry replies. The structure is
// src/store/stream.ts (entries) and stream-group.ts (consumer groups).

import { MODE_RESP3, MODE_V1_TYPED } from "../protocol/reply.ts";
import { NOTIFY_STREAM } from "../store/notify.ts";
import { cloneObject, objectEncoding } from "../store/objects.ts";
import { Stream, StreamIter, type StreamNodeLimits } from "../store/stream.ts";
import { IdBuffer } from "../store/stream-group.ts";
import { ID_OK, MAX_ID_TEXT, parseId, StreamId, writeId } from "../store/stream-id.ts";
import { TYPE_STREAM } from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";

// COPY and OBJECT ENCODING reach streams through these hooks.
cloneObject.set(TYPE_STREAM, (s) => (s as Stream).clone());
objectEncoding.set(TYPE_STREAM, () => "stream");

/** Per-context working record of the stream commands (no module state; see context.ts). */
export class StreamState {
  readonly id = new StreamId();
  readonly start = new StreamId();
  readonly end = new StreamId();
  readonly minid = new StreamId();
  readonly tmp = new StreamId();
  readonly it = new StreamIter();
  readonly ids = new IdBuffer();
  readonly out = new IdBuffer();
  readonly dropped = new IdBuffer();
  readonly node: StreamNodeLimits = { nodeMaxBytes: 4096, nodeMaxEntries: 100 };
  /** XREAD: one ID per stream key, and its group (XREADGROUP). */
  readonly readIds = new IdBuffer();
  // XADD / XTRIM options (streamAddTrimArgs)
  strategy = 0;
  approx = false;
  maxlen = 0;
  limit = 0;
  noMkStream = false;
  idGiven = false;
  seqGiven = true;
}

export const STATE = new RecordSlot(() => new StreamState());

/** The node limits from the config (stream-node-max-bytes / -entries). */
export function nodeLimits(c: CommandContext, st: StreamState): StreamNodeLimits {
  st.node.nodeMaxBytes = c.limits.streamNodeMaxBytes;
  st.node.nodeMaxEntries = c.limits.streamNodeMaxEntries;
  return st.node;
}

/** The stream at entry e (c.entry set): the Stream, null if missing, undefined if another type. */
function streamAt(c: CommandContext, e: number): Stream | null | undefined {
  c.entry = e;
  if (e < 0) return null;
  const t = c.table;
  if (t.type[e] !== TYPE_STREAM) return undefined;
  return t.getObj(e) as Stream;
}

/** lookupKeyWrite + type check. */
export function lookupS(c: CommandContext, i: number): Stream | null | undefined {
  return streamAt(c, lookupWrite(c, i));
}

/** lookupKeyRead + type check (counts a hit or miss, wrong type included, as Redis). */
export function lookupSRead(c: CommandContext, i: number): Stream | null | undefined {
  return streamAt(c, lookupRead(c, i));
}

/** A new empty stream under the key at argument i (absent). setObj counts its bytes. */
export function createS(c: CommandContext, i: number): Stream {
  const a = c.argv;
  const t = c.table;
  const e = t.add(a.buf, a.off(i), a.len(i), TYPE_STREAM, 0);
  const s = new Stream();
  t.setObj(e, s);
  c.entry = e;
  return s;
}

/** Report a stream's size change since `before` (its memoryBytes() then) to used_memory. */
export function sizeChanged(c: CommandContext, s: Stream, before: number): void {
  const now = s.memoryBytes();
  if (now !== before) c.keyspace.objectBytesChanged(now - before);
}

/** The write signal for the stream key at argument i. Streams are never deleted when empty. */
export function streamEvent(c: CommandContext, i: number, event: string): void {
  c.modifiedArg(i, NOTIFY_STREAM, event);
}

/** streamParseStrictIDOrReply (missing seq 0) of argument i; false when invalid. */
export function strictIdArg(c: CommandContext, i: number, out: StreamId): boolean {
  const a = c.argv;
  return parseId(a.buf, a.off(i), a.len(i), out, false, true) === ID_OK;
}

/** streamParseIDOrReply (non-strict: "-" and "+" allowed, missing seq 0). */
export function idArg(c: CommandContext, i: number, out: StreamId): boolean {
  const a = c.argv;
  return parseId(a.buf, a.off(i), a.len(i), out, false, false) === ID_OK;
}

/** Argument i is exactly the one-byte word `ch` (Redis's strcmp, case-sensitive). */
export function argIsChar(c: CommandContext, i: number, ch: number): boolean {
  const a = c.argv;
  return a.len(i) === 1 && a.buf[a.off(i)] === ch;
}

/** An ID as a bulk string. */
export function replyId(c: CommandContext, id: StreamId): void {
  const b = c.scratch.u8(MAX_ID_TEXT);
  const n = writeId(id, b, 0);
  c.reply.bulk(b, 0, n);
}

/** One entry [id, [f1, v1, ...]] from an iterator positioned on it. */
export function replyEntry(c: CommandContext, it: StreamIter): void {
  const r = c.reply;
  r.array(2);
  replyId(c, it.id);
  const n = it.pairs;
  r.array(2 * n);
  const b = it.buf;
  for (let i = 0; i < n; i++) {
    r.bulk(b, it.fieldOff(i), it.fieldLen(i));
    r.bulk(b, it.valueOff(i), it.valueLen(i));
  }
}

/** Entries start..end (rev: descending), at most count (0: all): how many there are. */
export function countRange(
  it: StreamIter,
  s: Stream,
  start: StreamId,
  end: StreamId,
  count: number,
  rev: boolean,
): number {
  it.seek(s, start, end, rev);
  let n = 0;
  while ((count === 0 || n < count) && it.next()) n++;
  return n;
}

/** streamReplyWithRange without a group: an array of up to count entries (0: all). */
export function replyRange(
  c: CommandContext,
  st: StreamState,
  s: Stream,
  start: StreamId,
  end: StreamId,
  count: number,
  rev: boolean,
): number {
  const it = st.it;
  const n = countRange(it, s, start, end, count, rev);
  c.reply.array(n);
  it.seek(s, start, end, rev);
  for (let k = 0; k < n && it.next(); k++) replyEntry(c, it);
  return n;
}

/** The single entry with this ID (it must exist), as streamReplyWithRange(id, id, 1). */
export function replyOneEntry(c: CommandContext, st: StreamState, s: Stream, id: StreamId): void {
  const it = st.it;
  it.seek(s, id, id, false);
  if (it.next()) replyEntry(c, it);
  else c.reply.nilArray();
}

/** XREAD's reply is a map for RESP3 (and typed v1 after HELLO 3), else an array of pairs. */
export function isResp3(c: CommandContext): boolean {
  const mode = c.reply.mode;
  return mode === MODE_RESP3 || (mode === MODE_V1_TYPED && c.protover === 3);
}

/** A C string's view of argument i for error texts (Redis's %s stops at the first NUL). */
export function cstr(c: CommandContext, i: number): string {
  const a = c.argv;
  const o = a.off(i);
  let n = 0;
  const len = a.len(i);
  while (n < len && a.buf[o + n] !== 0) n++;
  return a.latin1(i).slice(0, n);
}
