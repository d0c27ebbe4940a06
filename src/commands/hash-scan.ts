// HRANDFIELD and HSCAN (t_hash.c hrandfieldCommand, db.c scanGenericCommand), plus the pieces
// SRANDMEMBER and SSCAN share with them: the count argument and the SCAN options.

import { parseInt64Big } from "../protocol/number.ts";
import { globMatch } from "../store/glob.ts";
import { hashField, hashRandom, hashRandomHandles, hashScan, hashValue } from "../store/hash.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { NOT_INT, SYNTAX, WRONGTYPE } from "./errors.ts";
import { HASH_STATE, hashRead } from "./hash.ts";
import { type CommandDef, cmd } from "./table.ts";
import { pairsNested } from "./zset-common.ts";
import { parseCursor } from "./zset-parse.ts";

/** Explicit bounds of the random-element commands (mutable for tests). */
export const randomLimits = {
  /** HRANDFIELD / SRANDMEMBER negative count: elements (with repetition) in one reply. */
  withRepetitionMax: 10_000_000,
};

const LONG_RANGE =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/**
 * The count of HRANDFIELD / SRANDMEMBER (getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)),
 * or NaN after replying with the error. `withValues`: HRANDFIELD's extra |count| <= LONG_MAX/2.
 * A negative count past randomLimits.withRepetitionMax is refused (our explicit bound).
 */
export function randomCount(c: CommandContext, i: number, withValues: boolean): number {
  const a = c.argv;
  let v = a.int(i);
  if (Number.isNaN(v) || !Number.isSafeInteger(v)) {
    const b = parseInt64Big(a.buf, a.off(i), a.len(i));
    if (b === null) {
      c.reply.error(NOT_INT);
      return Number.NaN;
    }
    if (b === -9223372036854775808n) {
      c.reply.error(LONG_RANGE);
      return Number.NaN;
    }
    if (withValues && (b > 4611686018427387903n || b < -4611686018427387903n)) {
      c.reply.error("ERR value is out of range");
      return Number.NaN;
    }
    v = Number(b);
  }
  const max = randomLimits.withRepetitionMax;
  if (v < -max) {
    c.reply.error(`ERR count is out of range (at most ${max} with repetition)`);
    return Number.NaN;
  }
  return v;
}

/** Parsed SCAN options: COUNT and the MATCH pattern's argument index (-1: none). */
export interface ScanOptions {
  count: number;
  pattern: number;
}

/** The context's ScanOptions record (HSCAN, SSCAN). */
export const SCAN_OPTS = new RecordSlot<ScanOptions>(() => ({ count: 10, pattern: -1 }));

/**
 * HSCAN/SSCAN's options from argument `from` on (scanGenericCommand: COUNT >= 1, MATCH; TYPE
 * only for SCAN itself). Fills `out`; false after replying with the error.
 */
export function scanOptions(c: CommandContext, from: number, out: ScanOptions): boolean {
  const a = c.argv;
  out.count = 10;
  out.pattern = -1;
  for (let i = from; i < a.count; i += 2) {
    const left = a.count - i;
    if (a.is(i, "count") && left >= 2) {
      const n = a.int(i + 1);
      const big = Number.isNaN(n) ? parseInt64Big(a.buf, a.off(i + 1), a.len(i + 1)) : null;
      if (Number.isNaN(n) && big === null) {
        c.reply.error(NOT_INT);
        return false;
      }
      const v = Number.isNaN(n) ? Number(big) : n;
      if (v < 1) {
        c.reply.error(SYNTAX);
        return false;
      }
      out.count = v;
    } else if (a.is(i, "match") && left >= 2) {
      out.pattern = i + 1;
    } else {
      c.reply.error(SYNTAX);
      return false;
    }
  }
  // "*" matches everything: skip the matching (as Redis's use_pattern)
  if (out.pattern >= 0 && a.len(out.pattern) === 1 && a.buf[a.off(out.pattern)] === 42) {
    out.pattern = -1;
  }
  return true;
}

/** The element bytes match the MATCH argument (or there is none). */
export function scanMatches(
  c: CommandContext,
  pattern: number,
  buf: Uint8Array,
  off: number,
  len: number,
): boolean {
  if (pattern < 0) return true;
  const a = c.argv;
  return globMatch(a.buf, a.off(pattern), a.len(pattern), buf, off, len);
}

/** The empty scan reply: ["0", []]. */
export function emptyScan(c: CommandContext): void {
  c.reply.array(2);
  c.reply.bulkStr("0");
  c.reply.array(0);
}

// ---- HRANDFIELD --------------------------------------------------------------------------------

function hrandfield(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const st = c.scratch.record(HASH_STATE);
  const ref = st.ref;
  if (a.count === 2) {
    const e = hashRead(c, 1);
    if (e === -1) return r.nil();
    if (e === -2) return r.error(WRONGTYPE);
    const h = hashRandom(c.keyspace, c.table, e);
    hashField(c.table, e, h, ref);
    return r.bulk(ref.buf, ref.off, ref.len);
  }
  let withValues = false;
  if (a.count > 4 || (a.count === 4 && !a.is(3, "withvalues"))) {
    // Redis parses the count first, then the rest
    if (Number.isNaN(randomCount(c, 2, false))) return;
    return r.error(SYNTAX);
  }
  if (a.count === 4) withValues = true;
  const count = randomCount(c, 2, withValues);
  if (Number.isNaN(count)) return;
  const e = hashRead(c, 1);
  if (e === -1) return r.array(0);
  if (e === -2) return r.error(WRONGTYPE);
  if (count === 0) return r.array(0);
  const t = c.table;
  const out = st.handles;
  // count 1 takes Redis's "with repetition" path (one pick); same distribution.
  hashRandomHandles(c.keyspace, t, e, count === 1 ? -1 : count, out);
  const nested = withValues && pairsNested(c);
  r.array(withValues && !nested ? out.n * 2 : out.n);
  for (let k = 0; k < out.n; k++) {
    const h = out.ids[k]!;
    if (nested) r.array(2);
    hashField(t, e, h, ref);
    r.bulk(ref.buf, ref.off, ref.len);
    if (withValues) {
      hashValue(t, e, h, ref);
      r.bulk(ref.buf, ref.off, ref.len);
    }
  }
}

// ---- HSCAN ---------------------------------------------------------------------------------------

function hscan(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const cursor = parseCursor(a.buf, a.off(2), a.len(2));
  if (cursor < 0) return r.error("ERR invalid cursor");
  const e = hashRead(c, 1);
  if (e === -1) return emptyScan(c);
  if (e === -2) return r.error(WRONGTYPE);
  const st = c.scratch.record(HASH_STATE);
  const opts = c.scratch.record(SCAN_OPTS);
  if (!scanOptions(c, 3, opts)) return;
  const t = c.table;
  const out = st.handles;
  const ref = st.ref;
  const next = hashScan(t, e, Math.min(cursor, 2 ** 31), opts.count, out);
  // Drop what MATCH filters out (in place), then reply field/value pairs.
  let n = 0;
  for (let k = 0; k < out.n; k++) {
    const h = out.ids[k]!;
    hashField(t, e, h, ref);
    if (scanMatches(c, opts.pattern, ref.buf, ref.off, ref.len)) out.ids[n++] = h;
  }
  r.array(2);
  r.bulkStr(String(next));
  r.array(n * 2);
  for (let k = 0; k < n; k++) {
    const h = out.ids[k]!;
    hashField(t, e, h, ref);
    r.bulk(ref.buf, ref.off, ref.len);
    hashValue(t, e, h, ref);
    r.bulk(ref.buf, ref.off, ref.len);
  }
}

export const hashScanCommands: CommandDef[] = [cmd("hrandfield", hrandfield), cmd("hscan", hscan)];
