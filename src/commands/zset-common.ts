// Shared pieces of the sorted set commands: key lookup with type checks, replies of members
// and scores, and storing a computed set under a key.

import { parseInt64Big } from "../protocol/number.ts";
import { MODE_RESP3, MODE_V1_TYPED, type Reply } from "../protocol/reply.ts";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../store/notify.ts";
import { cloneObject, memoryUsageOf, objectEncoding } from "../store/objects.ts";
import { TYPE_ZSET } from "../store/table.ts";
import { ZSet } from "../store/zset.ts";
import type { CommandContext } from "./context.ts";
import {
  ZSET_NAN as NAN_RESULT,
  NOT_FLOAT,
  NOT_INT,
  ZSET_RANGE_NOT_FLOAT as RANGE_NOT_FLOAT,
  ZSET_RANGE_NOT_LEX as RANGE_NOT_LEX,
  SYNTAX,
  ZSET_TOO_BIG as TOO_BIG,
  WRONGTYPE,
} from "./errors.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";

export {
  NAN_RESULT,
  NOT_FLOAT,
  NOT_INT,
  RANGE_NOT_FLOAT,
  RANGE_NOT_LEX,
  SYNTAX,
  TOO_BIG,
  WRONGTYPE,
};

// COPY and OBJECT ENCODING reach sorted sets through these hooks.
cloneObject.set(TYPE_ZSET, (z) => (z as ZSet).clone());
objectEncoding.set(TYPE_ZSET, (z) => (z as ZSet).encoding);
memoryUsageOf.set(TYPE_ZSET, (z) => (z as ZSet).memoryBytes());

/**
 * The sorted set at argument i: the ZSet, null when the key is missing, or undefined when the
 * key holds another type (the caller replies WRONGTYPE).
 */
export function lookupZ(c: CommandContext, i: number): ZSet | null | undefined {
  return zsetAt(c, lookupWrite(c, i));
}

/**
 * lookupZ for the read commands (Redis's lookupKeyRead): also counts a keyspace hit or miss,
 * wrong type included, as Redis counts before its type check.
 */
export function lookupZRead(c: CommandContext, i: number): ZSet | null | undefined {
  return zsetAt(c, lookupRead(c, i));
}

function zsetAt(c: CommandContext, e: number): ZSet | null | undefined {
  c.entry = e;
  if (e < 0) return null;
  const t = c.table;
  if (t.type[e] !== TYPE_ZSET) return undefined;
  return t.getObj(e) as ZSet;
}

/**
 * Create an empty sorted set under the key at argument i (the key must be absent). `listpack`:
 * whether Redis would create it as a listpack (see ZSet.listpack).
 */
export function createZ(c: CommandContext, i: number, listpack = true): ZSet {
  const a = c.argv;
  const t = c.table;
  const e = t.add(a.buf, a.off(i), a.len(i), TYPE_ZSET, 0);
  const z = new ZSet();
  if (!listpack) z.toLarge();
  t.setObj(e, z);
  c.entry = e;
  return z;
}

/**
 * End of a write to set z at entry e: report its size change since `before` (its
 * memoryBytes() when the command started, or right after createZ for a new set: setObj counted
 * it then) for INFO used_memory and maxmemory, and delete the key if the set is now empty
 * (the table's hook subtracts its size then).
 */
export function endWrite(
  c: CommandContext,
  z: ZSet,
  e: number,
  before: number,
  event: string | null,
): void {
  const ks = c.keyspace;
  const t = c.table;
  const now = z.memoryBytes();
  if (now !== before) ks.objectBytesChanged(now - before);
  // The write signal: the command's event if it changed the set, then "del" if it emptied it.
  if (event !== null)
    c.keyModified(c.db, t.page(e), t.keyOffset(e), t.keyLen[e]!, NOTIFY_ZSET, event);
  if (z.size === 0) {
    if (event !== null) {
      c.keyModified(c.db, t.page(e), t.keyOffset(e), t.keyLen[e]!, NOTIFY_GENERIC, "del");
    }
    ks.removeEntry(t, e);
  }
}

/**
 * Store `z` under the key at argument i, replacing whatever is there; empty = delete. Signals
 * `event` (ZUNIONSTORE...), or "del" when an empty result removed an existing key.
 */
export function storeZ(c: CommandContext, i: number, z: ZSet, event: string): void {
  const ks = c.keyspace;
  const t = c.table;
  const e = lookupWrite(c, i);
  if (e >= 0) ks.removeEntry(t, e);
  if (z.size === 0) {
    if (e >= 0) c.modifiedArg(i, NOTIFY_GENERIC, "del");
    return;
  }
  z.convertIfSmall();
  const a = c.argv;
  t.overwriting = e >= 0; // setKey's dbOverwrite: no "new" event
  const ne = t.add(a.buf, a.off(i), a.len(i), TYPE_ZSET, 0);
  t.overwriting = false;
  t.setObj(ne, z); // the table's hook adds its size to keyspace.objectBytes
  c.modifiedArg(i, NOTIFY_ZSET, event);
}

/**
 * (member, score) pairs nest as [member, score] arrays for clients that asked for protocol 3:
 * RESP3, and typed v1 after HELLO 3 (typed v1 after HELLO 2 gets RESP2's flat list, with typed
 * doubles). The reply mode alone cannot tell: both HELLOs give MODE_V1_TYPED.
 */
export function pairsNested(c: CommandContext): boolean {
  const mode = c.reply.mode;
  return mode === MODE_RESP3 || (mode === MODE_V1_TYPED && c.protover === 3);
}

/** Array header for n members, with or without scores. */
export function rangeHeader(c: CommandContext, n: number, withscores: boolean): void {
  c.reply.array(withscores && !pairsNested(c) ? n * 2 : n);
}

export function replyMember(r: Reply, z: ZSet, id: number): void {
  r.bulk(z.mem, z.off(id), z.len(id));
}

/** One element of a range reply. */
export function replyElement(c: CommandContext, z: ZSet, id: number, withscores: boolean): void {
  const r = c.reply;
  if (!withscores) return replyMember(r, z, id);
  if (pairsNested(c)) r.array(2);
  r.bulk(z.mem, z.off(id), z.len(id));
  r.double(z.score[id]!);
}

/** Copy members [from, from+n) (rev: from, from-1, ...) of src into a new set. */
export function copyRange(src: ZSet, from: number, n: number, rev: boolean): ZSet {
  const z = new ZSet();
  if (n <= 0) return z;
  src.seek(from);
  for (let k = 0; k < n; k++) {
    const id = rev ? src.prevId() : src.nextId();
    z.insert(src.mem, src.off(id), src.len(id), src.score[id]!);
  }
  return z;
}

/** An int64 argument (Redis string2ll) as a number (beyond 2^53 rounded), NaN if invalid. */
export function longArg(c: CommandContext, i: number): number {
  const a = c.argv;
  const v = a.int(i);
  if (!Number.isNaN(v)) return v;
  const b = parseInt64Big(a.buf, a.off(i), a.len(i));
  return b === null ? Number.NaN : Number(b);
}
