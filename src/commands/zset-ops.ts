// Sorted set algebra (ZUNION/ZINTER/ZDIFF, their STORE forms, ZINTERCARD) and ZSCAN.

import { formatDouble } from "../protocol/number.ts";
import { globMatch } from "../store/glob.ts";
import { ByteRef, setFirst, setMember, setNext } from "../store/set.ts";
import { TYPE_SET } from "../store/table.ts";
import { ZSet } from "../store/zset.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { type CommandDef, cmd } from "./table.ts";
import {
  longArg,
  lookupZRead,
  rangeHeader,
  replyElement,
  replyMember,
  SYNTAX,
  storeZ,
  WRONGTYPE,
} from "./zset-common.ts";
import { parseCursor, parseScore } from "./zset-parse.ts";

const UNION = 0;
const INTER = 1;
const DIFF = 2;

const SUM = 0;
const MIN = 1;
const MAX = 2;

interface Source {
  z: ZSet | null;
  weight: number;
}

function aggregate(target: number, val: number, how: number): number {
  if (how === SUM) {
    const s = target + val;
    return Number.isNaN(s) ? 0 : s;
  }
  // Ternaries, not Math.min/max: C's comparison keeps the first of 0 and -0, as Redis does.
  // biome-ignore lint/complexity/useMathMinMax: see above
  if (how === MIN) return val < target ? val : target;
  // biome-ignore lint/complexity/useMathMinMax: see above
  return val > target ? val : target;
}

function weighted(score: number, weight: number): number {
  const s = score * weight;
  return Number.isNaN(s) ? 0 : s;
}

/**
 * Redis's zunionInterDiffGenericCommand. dst: argument index of the destination (STORE forms)
 * or -1; numkeysIdx: where numkeys is; cardOnly: ZINTERCARD.
 */
function zsetOp(
  c: CommandContext,
  name: string,
  dst: number,
  numkeysIdx: number,
  op: number,
  cardOnly: boolean,
): void {
  const a = c.argv;
  const r = c.reply;
  const setnum = longArg(c, numkeysIdx);
  if (Number.isNaN(setnum)) return r.error("ERR value is not an integer or out of range");
  if (setnum < 1) return r.error(`ERR at least 1 input key is needed for '${name}' command`);
  if (setnum > a.count - (numkeysIdx + 1)) return r.error(SYNTAX);
  const src: Source[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const z = lookupZOrSetRead(c, j); // Redis 7.0: lookupKeyRead, STORE forms too
    if (z === undefined) return r.error(WRONGTYPE);
    src.push({ z, weight: 1 });
  }
  let how = SUM;
  let withscores = false;
  let limit = 0;
  let remaining = a.count - j;
  while (remaining > 0) {
    if (op !== DIFF && !cardOnly && remaining >= setnum + 1 && a.is(j, "weights")) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        const w = parseScore(a.buf, a.off(j), a.len(j));
        if (Number.isNaN(w)) return r.error("ERR weight value is not a float");
        src[i]!.weight = w;
      }
    } else if (op !== DIFF && !cardOnly && remaining >= 2 && a.is(j, "aggregate")) {
      j++;
      if (a.is(j, "sum")) how = SUM;
      else if (a.is(j, "min")) how = MIN;
      else if (a.is(j, "max")) how = MAX;
      else return r.error(SYNTAX);
      j++;
      remaining -= 2;
    } else if (remaining >= 1 && dst < 0 && !cardOnly && a.is(j, "withscores")) {
      j++;
      remaining--;
      withscores = true;
    } else if (cardOnly && remaining >= 2 && a.is(j, "limit")) {
      limit = longArg(c, j + 1);
      if (!(limit >= 0)) return r.error("ERR LIMIT can't be negative");
      j += 2;
      remaining -= 2;
    } else return r.error(SYNTAX);
  }
  const size = (s: Source) => (s.z === null ? 0 : s.z.size);
  if (op === DIFF) {
    const rest = src.slice(1).sort((x, y) => size(y) - size(x));
    src.length = 1;
    src.push(...rest);
  } else {
    src.sort((x, y) => size(x) - size(y)); // stable, like glibc's merge-sort qsort
  }
  if (cardOnly) return r.int(interCard(src, limit));
  const out = new ZSet();
  // Redis builds the result as a skiplist (-0 survives until stored); beginUnordered converts.
  out.beginUnordered();
  if (op === UNION) union(out, src, how);
  else if (op === INTER) inter(out, src, how);
  else diff(out, src);
  out.finishOrder();
  if (dst >= 0) {
    storeZ(c, dst, out, name);
    return r.int(out.size);
  }
  rangeHeader(c, out.size, withscores);
  out.seek(0);
  for (let k = 0; k < out.size; k++) replyElement(c, out, out.nextId(), withscores);
}

/**
 * An input of the algebra: a sorted set, or a plain set read as one with every score 1 (as
 * Redis's zuiInitIterator over OBJ_SET); null when missing, undefined for another type.
 */
function lookupZOrSetRead(c: CommandContext, i: number): ZSet | null | undefined {
  const z = lookupZRead(c, i);
  if (z !== undefined) return z;
  const t = c.table;
  const e = c.entry;
  if (t.type[e] !== TYPE_SET) return undefined;
  const ref = c.scratch.record(SET_REF);
  const out = new ZSet();
  for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
    setMember(t, e, h, ref);
    out.insert(ref.buf, ref.off, ref.len, 1);
  }
  return out;
}

const SET_REF = new RecordSlot(() => new ByteRef());

function union(out: ZSet, src: Source[], how: number): void {
  for (const s of src) {
    const z = s.z;
    if (z === null || z.size === 0) continue;
    z.seek(0);
    for (let k = 0, n = z.size; k < n; k++) {
      const id = z.nextId();
      const score = weighted(z.score[id]!, s.weight);
      const o = z.off(id);
      const l = z.len(id);
      const have = out.find(z.mem, o, l);
      if (have < 0) out.insert(z.mem, o, l, score);
      else out.writeScoreUnordered(have, aggregate(out.score[have]!, score, how));
    }
  }
}

function inter(out: ZSet, src: Source[], how: number): void {
  const first = src[0]!.z;
  if (first === null || first.size === 0) return;
  for (const s of src) if (s.z === null || s.z.size === 0) return;
  first.seek(0);
  for (let k = 0, n = first.size; k < n; k++) {
    const id = first.nextId();
    let score = weighted(first.score[id]!, src[0]!.weight);
    const o = first.off(id);
    const l = first.len(id);
    let all = true;
    for (let i = 1; i < src.length; i++) {
      const z = src[i]!.z!;
      const other = z.find(first.mem, o, l);
      if (other < 0) {
        all = false;
        break;
      }
      // Unlike the first score, Redis does not zero a NaN product here (inf * 0): SUM turns
      // the sum into 0, MIN/MAX keep the current score.
      score = aggregate(score, z.score[other]! * src[i]!.weight, how);
    }
    // find() never moves the cursor, even when another source is this very set.
    if (all) out.insert(first.mem, o, l, score);
  }
}

function diff(out: ZSet, src: Source[]): void {
  const first = src[0]!.z;
  if (first === null || first.size === 0) return;
  first.seek(0);
  for (let k = 0, n = first.size; k < n; k++) {
    const id = first.nextId();
    const o = first.off(id);
    const l = first.len(id);
    let found = false;
    for (let i = 1; i < src.length && !found; i++) {
      const z = src[i]!.z;
      if (z !== null && z.find(first.mem, o, l) >= 0) found = true;
    }
    if (!found) out.insert(first.mem, o, l, first.score[id]!);
  }
}

function interCard(src: Source[], limit: number): number {
  const first = src[0]!.z;
  if (first === null || first.size === 0) return 0;
  for (const s of src) if (s.z === null || s.z.size === 0) return 0;
  let n = 0;
  first.seek(0);
  for (let k = 0, size = first.size; k < size; k++) {
    const id = first.nextId();
    let all = true;
    for (let i = 1; i < src.length && all; i++) {
      if (src[i]!.z!.find(first.mem, first.off(id), first.len(id)) < 0) all = false;
    }
    if (all && ++n === limit) break;
  }
  return n;
}

// --- ZSCAN ---------------------------------------------------------------------------------------

// Matched entry ids of one call (grown as needed, reused by the context's later calls).
const FOUND = new RecordSlot(() => ({ ids: new Int32Array(64) }));

function zscan(c: CommandContext): void {
  const st = c.scratch.record(FOUND);
  const a = c.argv;
  const r = c.reply;
  const cursor = parseCursor(a.buf, a.off(2), a.len(2));
  if (cursor < 0) return r.error("ERR invalid cursor");
  const z = lookupZRead(c, 1);
  if (z === undefined) return r.error(WRONGTYPE);
  if (z === null) {
    r.array(2);
    r.bulkStr("0");
    return r.array(0);
  }
  let count = 10;
  let pat = -1;
  for (let i = 3; i < a.count; i += 2) {
    const left = a.count - i;
    if (a.is(i, "count") && left >= 2) {
      count = longArg(c, i + 1);
      if (Number.isNaN(count)) return r.error("ERR value is not an integer or out of range");
      if (count < 1) return r.error(SYNTAX);
    } else if (a.is(i, "match") && left >= 2) {
      pat = i + 1;
    } else return r.error(SYNTAX);
  }
  if (pat >= 0 && a.len(pat) === 1 && a.buf[a.off(pat)] === 42) pat = -1; // "*" matches all
  const matches = (id: number) =>
    pat < 0 || globMatch(a.buf, a.off(pat), a.len(pat), z.mem, z.off(id), z.len(id));
  let n = 0;
  let next = 0;
  if (z.listpack) {
    // Small sets answer everything at once, in order, whatever the cursor (as Redis's listpack).
    if (st.ids.length < z.size) st.ids = new Int32Array(z.size);
    z.seek(0);
    for (let k = 0, size = z.size; k < size; k++) {
      const id = z.nextId();
      if (matches(id)) st.ids[n++] = id;
    }
  } else {
    // The cursor is a member id: ids are stable while a member lives, so a member present for
    // the whole scan is returned at least once. Visit at most 10*count ids per call.
    const hw = z.idHighWater;
    let id = Math.min(cursor, hw);
    let visited = 0;
    let live = 0;
    if (st.ids.length < count) st.ids = new Int32Array(Math.min(count, hw) + 16);
    for (; id < hw && live < count && visited < count * 10; id++, visited++) {
      if (!z.isLive(id)) continue;
      live++;
      if (matches(id)) {
        if (n === st.ids.length) {
          const bigger = new Int32Array(n * 2);
          bigger.set(st.ids);
          st.ids = bigger;
        }
        st.ids[n++] = id;
      }
    }
    next = id >= hw ? 0 : id;
  }
  r.array(2);
  r.bulkStr(String(next));
  r.array(n * 2);
  for (let k = 0; k < n; k++) {
    const id = st.ids[k]!;
    replyMember(r, z, id);
    const v = z.score[id]!;
    // A listpack holds integral scores as integers, and ZSCAN shows them that way.
    if (z.listpack && Number.isInteger(v) && Math.abs(v) < 2 ** 63) {
      r.bulkStr(BigInt(v).toString());
    } else r.bulkStr(formatDouble(v));
  }
}

export const zsetOpCommands: CommandDef[] = [
  cmd("zunionstore", (c) => zsetOp(c, "zunionstore", 1, 2, UNION, false)),
  cmd("zinterstore", (c) => zsetOp(c, "zinterstore", 1, 2, INTER, false)),
  cmd("zdiffstore", (c) => zsetOp(c, "zdiffstore", 1, 2, DIFF, false)),
  cmd("zunion", (c) => zsetOp(c, "zunion", -1, 1, UNION, false)),
  cmd("zinter", (c) => zsetOp(c, "zinter", -1, 1, INTER, false)),
  cmd("zdiff", (c) => zsetOp(c, "zdiff", -1, 1, DIFF, false)),
  cmd("zintercard", (c) => zsetOp(c, "zintercard", -1, 1, INTER, true)),
  cmd("zscan", zscan),
];
