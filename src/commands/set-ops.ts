// Set algebra (t_set.c sinterGenericCommand / sunionDiffGenericCommand): SMEMBERS, SINTER,
// SUNION, SDIFF, their STORE forms, SINTERCARD; and SSCAN.
//
// A result is gathered into the context's MemberList (bytes copied out of the inputs) before
// anything is stored, so a destination that is also an input is read whole first. Replies
// follow Redis's order where Redis has one: SINTER walks the smallest input; SUNION/SDIFF build
// a new set, an intset (ascending) when every member is an integer and there are at most
// set-max-intset-entries of them.

import { parseInt64Big } from "../protocol/number.ts";
import { ByteDict } from "../store/bytedict.ts";
import { NOTIFY_GENERIC, NOTIFY_SET } from "../store/notify.ts";
import {
  isCanonicalInt64,
  setAdd,
  setCreate,
  setFind,
  setFirst,
  setMember,
  setNext,
  setScan,
  setSize,
} from "../store/set.ts";
import type { Table } from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { SYNTAX, WRONGTYPE } from "./errors.ts";
import { emptyScan, SCAN_OPTS, scanMatches, scanOptions } from "./hash-scan.ts";
import { lookupWrite } from "./lookup.ts";
import { SET_STATE, setRead, setState } from "./set.ts";
import { type CommandDef, cmd } from "./table.ts";
import { parseCursor } from "./zset-parse.ts";

/** Members gathered by one command: bytes back to back, with offsets and lengths. */
class MemberList {
  bytes = new Uint8Array(256);
  offs = new Int32Array(32);
  lens = new Int32Array(32);
  n = 0;
  used = 0;
  allInts = true;
  /** Input entries of this command (-1 missing), in argument order, then sorted. */
  inputs = new Int32Array(8);

  reset(): void {
    this.n = 0;
    this.used = 0;
    this.allInts = true;
  }

  push(buf: Uint8Array, off: number, len: number): void {
    if (this.n === this.offs.length) {
      const o = new Int32Array(this.n * 2);
      o.set(this.offs);
      this.offs = o;
      const l = new Int32Array(this.n * 2);
      l.set(this.lens);
      this.lens = l;
    }
    if (this.used + len > this.bytes.length) {
      let cap = this.bytes.length * 2;
      while (cap < this.used + len) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.bytes.subarray(0, this.used));
      this.bytes = b;
    }
    this.bytes.set(buf.subarray(off, off + len), this.used);
    this.offs[this.n] = this.used;
    this.lens[this.n] = len;
    this.n++;
    this.used += len;
    if (this.allInts && !isCanonicalInt64(buf, off, len)) this.allInts = false;
  }

  /** Order as an intset would: ascending integers (every member is a canonical int64). */
  sortAsIntegers(): void {
    const idx = Array.from({ length: this.n }, (_, i) => i);
    const b = this.bytes;
    idx.sort((x, y) =>
      compareIntText(b, this.offs[x]!, this.lens[x]!, this.offs[y]!, this.lens[y]!),
    );
    const offs = Int32Array.from(idx, (i) => this.offs[i]!);
    const lens = Int32Array.from(idx, (i) => this.lens[i]!);
    this.offs.set(offs);
    this.lens.set(lens);
  }
}

/** Compare two canonical decimal integers without parsing them. */
function compareIntText(b: Uint8Array, xo: number, xl: number, yo: number, yl: number): number {
  const xn = b[xo] === 45;
  const yn = b[yo] === 45;
  if (xn !== yn) return xn ? -1 : 1;
  let c = xl - yl;
  if (c === 0) {
    for (let k = 0; k < xl && c === 0; k++) c = b[xo + k]! - b[yo + k]!;
  }
  return xn ? -c : c;
}

const LIST = new RecordSlot(() => new MemberList());

const INTER = 0;
const UNION = 1;
const DIFF = 2;

/**
 * Look up the input sets at arguments [from, from + n) into list.inputs (-1 for a missing key).
 * False after replying WRONGTYPE.
 */
function lookupInputs(c: CommandContext, list: MemberList, from: number, n: number): boolean {
  if (list.inputs.length < n) list.inputs = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const e = setRead(c, from + k); // Redis 7.0: lookupKeyRead, STORE forms too
    if (e === -2) {
      c.reply.error(WRONGTYPE);
      return false;
    }
    list.inputs[k] = e;
  }
  return true;
}

function sizeOf(t: Table, e: number): number {
  return e < 0 ? 0 : setSize(t, e);
}

/**
 * The intersection of the inputs: gathered into list when `collect`, else only counted (and
 * stopped at `limit` members if > 0, SINTERCARD). Returns the count.
 */
function gatherInter(
  c: CommandContext,
  list: MemberList,
  n: number,
  collect: boolean,
  limit: number,
): number {
  const t = c.table;
  const ins = list.inputs.subarray(0, n);
  for (let k = 0; k < n; k++) if (ins[k]! < 0) return 0;
  // smallest first: an insertion sort in place (stable, as glibc's merge-sort qsort)
  const order = ins;
  for (let k = 1; k < n; k++) {
    const x = order[k]!;
    const sx = setSize(t, x);
    let j = k - 1;
    for (; j >= 0 && setSize(t, order[j]!) > sx; j--) order[j + 1] = order[j]!;
    order[j + 1] = x;
  }
  const ref = c.scratch.record(SET_STATE).ref;
  const first = order[0]!;
  let count = 0;
  for (let h = setFirst(t, first); h >= 0; h = setNext(t, first, h)) {
    setMember(t, first, h, ref);
    let all = true;
    for (let k = 1; k < n && all; k++) {
      const other = order[k]!;
      if (other !== first && setFind(t, other, ref.buf, ref.off, ref.len) < 0) all = false;
    }
    if (!all) continue;
    count++;
    if (collect) list.push(ref.buf, ref.off, ref.len);
    if (limit > 0 && count >= limit) break;
  }
  return count;
}

function gatherUnion(c: CommandContext, list: MemberList, n: number): void {
  const t = c.table;
  const ref = c.scratch.record(SET_STATE).ref;
  let total = 0;
  for (let k = 0; k < n; k++) total += sizeOf(t, list.inputs[k]!);
  const seen = new ByteDict(false, total);
  for (let k = 0; k < n; k++) {
    const e = list.inputs[k]!;
    if (e < 0) continue;
    for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
      setMember(t, e, h, ref);
      if (seen.find(ref.buf, ref.off, ref.len) >= 0) continue;
      seen.add(ref.buf, ref.off, ref.len, ref.buf, 0, 0);
      list.push(ref.buf, ref.off, ref.len);
    }
  }
}

function gatherDiff(c: CommandContext, list: MemberList, n: number): void {
  const t = c.table;
  const ref = c.scratch.record(SET_STATE).ref;
  const first = list.inputs[0]!;
  if (first < 0) return;
  for (let h = setFirst(t, first); h >= 0; h = setNext(t, first, h)) {
    setMember(t, first, h, ref);
    let found = false;
    for (let k = 1; k < n && !found; k++) {
      const other = list.inputs[k]!;
      if (other >= 0 && setFind(t, other, ref.buf, ref.off, ref.len) >= 0) found = true;
    }
    if (!found) list.push(ref.buf, ref.off, ref.len);
  }
}

/** SMEMBERS (and SINTER of one key): the set as it is, in its own order. */
function replyWhole(c: CommandContext, e: number): void {
  const r = c.reply;
  if (e < 0) return r.set(0);
  const t = c.table;
  const ref = c.scratch.record(SET_STATE).ref;
  r.set(setSize(t, e));
  for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
    setMember(t, e, h, ref);
    r.bulk(ref.buf, ref.off, ref.len);
  }
}

/** SINTER/SUNION/SDIFF and their STORE forms. dst: destination argument or -1. */
function setOp(c: CommandContext, op: number, dst: number, event: string): void {
  const a = c.argv;
  const r = c.reply;
  const list = c.scratch.record(LIST);
  list.reset();
  const from = dst < 0 ? 1 : 2;
  const n = a.count - from;
  if (!lookupInputs(c, list, from, n)) return;
  if (n === 1 && dst < 0 && op === INTER) return replyWhole(c, list.inputs[0]!);
  if (op === INTER) gatherInter(c, list, n, true, 0);
  else if (op === UNION) gatherUnion(c, list, n);
  else gatherDiff(c, list, n);
  const st = setState(c);
  // A new set (SUNION/SDIFF's result, every STORE) is an intset while it can be.
  if (list.allInts && list.n <= st.limits.maxIntsetEntries && (op !== INTER || dst >= 0)) {
    list.sortAsIntegers();
  }
  if (dst < 0) {
    r.set(list.n);
    for (let k = 0; k < list.n; k++) r.bulk(list.bytes, list.offs[k]!, list.lens[k]!);
    return;
  }
  const t = c.table;
  const old = lookupWrite(c, dst);
  if (old >= 0) c.keyspace.removeEntry(t, old);
  if (list.n === 0) {
    if (old >= 0) c.modifiedArg(dst, NOTIFY_GENERIC, "del");
    return r.int(0);
  }
  t.overwriting = old >= 0; // setKey's dbOverwrite: no "new" event
  const e = setCreate(t, a.buf, a.off(dst), a.len(dst), true);
  t.overwriting = false;
  for (let k = 0; k < list.n; k++) {
    setAdd(c.keyspace, t, e, list.bytes, list.offs[k]!, list.lens[k]!, st.limits);
  }
  c.modifiedArg(dst, NOTIFY_SET, event);
  r.int(list.n);
}

function sintercard(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const big = parseInt64Big(a.buf, a.off(1), a.len(1));
  if (big === null || big < 1n) return r.error("ERR numkeys should be greater than 0");
  if (big > BigInt(a.count - 2)) {
    return r.error("ERR Number of keys can't be greater than number of args");
  }
  const n = Number(big);
  let limit = 0;
  for (let i = 2 + n; i < a.count; i++) {
    const more = a.count - 1 - i;
    if (a.is(i, "limit") && more > 0) {
      i++;
      const l = parseInt64Big(a.buf, a.off(i), a.len(i));
      if (l === null || l < 0n) return r.error("ERR LIMIT can't be negative");
      limit = l > 2n ** 53n ? 0 : Number(l);
    } else return r.error(SYNTAX);
  }
  const list = c.scratch.record(LIST);
  list.reset();
  if (!lookupInputs(c, list, 2, n)) return;
  r.int(gatherInter(c, list, n, false, limit));
}

// ---- SSCAN ----------------------------------------------------------------------------------

function sscan(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const cursor = parseCursor(a.buf, a.off(2), a.len(2));
  if (cursor < 0) return r.error("ERR invalid cursor");
  const e = setRead(c, 1);
  if (e === -1) return emptyScan(c);
  if (e === -2) return r.error(WRONGTYPE);
  const opts = c.scratch.record(SCAN_OPTS);
  if (!scanOptions(c, 3, opts)) return;
  const st = c.scratch.record(SET_STATE);
  const t = c.table;
  const out = st.handles;
  const ref = st.ref;
  const next = setScan(t, e, Math.min(cursor, 2 ** 31), opts.count, out);
  let n = 0;
  for (let k = 0; k < out.n; k++) {
    const h = out.ids[k]!;
    setMember(t, e, h, ref);
    if (scanMatches(c, opts.pattern, ref.buf, ref.off, ref.len)) out.ids[n++] = h;
  }
  r.array(2);
  r.bulkStr(String(next));
  r.array(n);
  for (let k = 0; k < n; k++) {
    setMember(t, e, out.ids[k]!, ref);
    r.bulk(ref.buf, ref.off, ref.len);
  }
}

export const setOpCommands: CommandDef[] = [
  cmd("smembers", (c) => setOp(c, INTER, -1, "")),
  cmd("sinter", (c) => setOp(c, INTER, -1, "")),
  cmd("sunion", (c) => setOp(c, UNION, -1, "")),
  cmd("sdiff", (c) => setOp(c, DIFF, -1, "")),
  cmd("sinterstore", (c) => setOp(c, INTER, 1, "sinterstore")),
  cmd("sunionstore", (c) => setOp(c, UNION, 1, "sunionstore")),
  cmd("sdiffstore", (c) => setOp(c, DIFF, 1, "sdiffstore")),
  cmd("sintercard", sintercard),
  cmd("sscan", sscan),
];
