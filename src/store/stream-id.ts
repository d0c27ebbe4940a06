// Stream IDs: two unsigned 64-bit parts, <ms>-<seq>, exact up to 2^64-1.
//
// An ID is four uint32 halves (msHi, msLo, seqHi, seqLo), in objects (`StreamId`) and in columns
// (Uint32Array, 4 words per ID). Measured (bench/stream-id.ts): 1M binary searches over 1M IDs
// take ~1.1 s with 4 x Uint32 against ~4 s with BigUint64Array columns, whose reads box a BigInt.
//
// Parsing mirrors t_stream.c streamGenericParseIDOrReply + util.c string2ull byte for byte: the
// argument is cut at its first NUL (C string), longer than 127 bytes is invalid, "-"/"+" are the
// extremes (refused where Redis parses strictly), "ms" alone takes the caller's missing seq, a
// part is string2ll-or-strtoull (so " 5", "+5", "05" and "-05" (= 2^64-5) are valid, "-5" not).

export const TWO32 = 4294967296;
const MAX32 = 0xffffffff;

export const ERR_INVALID_ID = "ERR Invalid stream ID specified as stream command argument";
export const ERR_XADD_SMALLER =
  "ERR The ID specified in XADD is equal or smaller than the target stream top item";
export const ERR_XADD_ZERO = "ERR The ID specified in XADD must be greater than 0-0";
export const ERR_EXHAUSTED =
  "ERR The stream has exhausted the last possible ID, unable to add more items";
export const ERR_START_INTERVAL = "ERR invalid start ID for the interval";
export const ERR_END_INTERVAL = "ERR invalid end ID for the interval";

/** A mutable stream ID. Callers keep scratch instances; nothing here allocates one per call. */
export class StreamId {
  msHi = 0;
  msLo = 0;
  seqHi = 0;
  seqLo = 0;

  constructor(ms = 0, seq = 0) {
    this.setNumbers(ms, seq);
  }

  /** From two integers below 2^53 (timestamps, tests). */
  setNumbers(ms: number, seq: number): this {
    this.msHi = Math.floor(ms / TWO32);
    this.msLo = ms >>> 0;
    this.seqHi = Math.floor(seq / TWO32);
    this.seqLo = seq >>> 0;
    return this;
  }

  set(o: StreamId): this {
    this.msHi = o.msHi;
    this.msLo = o.msLo;
    this.seqHi = o.seqHi;
    this.seqLo = o.seqLo;
    return this;
  }

  setMin(): this {
    this.msHi = this.msLo = this.seqHi = this.seqLo = 0;
    return this;
  }

  setMax(): this {
    this.msHi = this.msLo = this.seqHi = this.seqLo = MAX32;
    return this;
  }

  isZero(): boolean {
    return (this.msHi | this.msLo | this.seqHi | this.seqLo) === 0;
  }

  isMax(): boolean {
    return (this.msHi & this.msLo & this.seqHi & this.seqLo) === -1;
  }

  /** ms as a number (exact below 2^53; timestamps). */
  get ms(): number {
    return this.msHi * TWO32 + this.msLo;
  }

  get seq(): number {
    return this.seqHi * TWO32 + this.seqLo;
  }

  clone(): StreamId {
    return new StreamId().set(this);
  }

  toString(): string {
    return formatId(this);
  }
}

/** <0, 0, >0 (streamCompareID). */
export function compareIds(a: StreamId, b: StreamId): number {
  if (a.msHi !== b.msHi) return a.msHi < b.msHi ? -1 : 1;
  if (a.msLo !== b.msLo) return a.msLo < b.msLo ? -1 : 1;
  if (a.seqHi !== b.seqHi) return a.seqHi < b.seqHi ? -1 : 1;
  if (a.seqLo !== b.seqLo) return a.seqLo < b.seqLo ? -1 : 1;
  return 0;
}

export function idsEqual(a: StreamId, b: StreamId): boolean {
  return a.msLo === b.msLo && a.seqLo === b.seqLo && a.msHi === b.msHi && a.seqHi === b.seqHi;
}

/** streamIncrID: false (and 0-0) when `id` was the last possible ID. */
export function incrId(id: StreamId): boolean {
  if (id.seqLo !== MAX32) {
    id.seqLo++;
    return true;
  }
  if (id.seqHi !== MAX32) {
    id.seqHi++;
    id.seqLo = 0;
    return true;
  }
  id.seqHi = id.seqLo = 0;
  if (id.msLo !== MAX32) {
    id.msLo++;
    return true;
  }
  if (id.msHi !== MAX32) {
    id.msHi++;
    id.msLo = 0;
    return true;
  }
  id.msHi = id.msLo = 0;
  return false;
}

/** streamDecrID: false (and max-max) when `id` was 0-0. */
export function decrId(id: StreamId): boolean {
  if (id.seqLo !== 0) {
    id.seqLo--;
    return true;
  }
  if (id.seqHi !== 0) {
    id.seqHi--;
    id.seqLo = MAX32;
    return true;
  }
  id.seqHi = id.seqLo = MAX32;
  if (id.msLo !== 0) {
    id.msLo--;
    return true;
  }
  if (id.msHi !== 0) {
    id.msHi--;
    id.msLo = MAX32;
    return true;
  }
  id.msHi = id.msLo = MAX32;
  return false;
}

/**
 * streamNextID for XADD `*`: (now, 0) when the clock is past last.ms, else last + 1 (Redis keeps
 * last.ms when the clock went backwards). False when last is the last possible ID.
 */
export function nextAutoId(last: StreamId, nowMs: number, out: StreamId): boolean {
  const nowHi = Math.floor(nowMs / TWO32);
  const nowLo = nowMs >>> 0;
  if (nowHi > last.msHi || (nowHi === last.msHi && nowLo > last.msLo)) {
    out.msHi = nowHi;
    out.msLo = nowLo;
    out.seqHi = out.seqLo = 0;
    return true;
  }
  out.set(last);
  return incrId(out);
}

// ---- columns: 4 uint32 words per ID ----

export function loadId(col: Uint32Array, i: number, out: StreamId): StreamId {
  const o = 4 * i;
  out.msHi = col[o]!;
  out.msLo = col[o + 1]!;
  out.seqHi = col[o + 2]!;
  out.seqLo = col[o + 3]!;
  return out;
}

export function storeId(col: Uint32Array, i: number, id: StreamId): void {
  const o = 4 * i;
  col[o] = id.msHi;
  col[o + 1] = id.msLo;
  col[o + 2] = id.seqHi;
  col[o + 3] = id.seqLo;
}

/** Compare the ID in column slot i with `id`. */
export function compareIdAt(col: Uint32Array, i: number, id: StreamId): number {
  const o = 4 * i;
  let a = col[o]!;
  if (a !== id.msHi) return a < id.msHi ? -1 : 1;
  a = col[o + 1]!;
  if (a !== id.msLo) return a < id.msLo ? -1 : 1;
  a = col[o + 2]!;
  if (a !== id.seqHi) return a < id.seqHi ? -1 : 1;
  a = col[o + 3]!;
  if (a !== id.seqLo) return a < id.seqLo ? -1 : 1;
  return 0;
}

/** First slot in [0, n) whose ID is >= id (or > id when `after`); n when none. */
export function lowerBoundId(col: Uint32Array, n: number, id: StreamId, after: boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    const c = compareIdAt(col, m, id);
    if (c < 0 || (after && c === 0)) lo = m + 1;
    else hi = m;
  }
  return lo;
}

// ---- formatting ----

/** Longest formatted ID: 20 + 1 + 20 bytes. */
export const MAX_ID_TEXT = 41;

/** Decimal digits of hi*2^32+lo into out at off; returns the new offset. Allocation-free. */
export function writeU64(hi: number, lo: number, out: Uint8Array, off: number): number {
  if (hi < 0x200000) {
    // < 2^53: exact as a double.
    let v = hi * TWO32 + lo;
    if (v === 0) {
      out[off] = 48;
      return off + 1;
    }
    let n = 0;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) n++;
    for (let i = off + n - 1; i >= off; i--) {
      const q = Math.floor(v / 10);
      out[i] = 48 + (v - q * 10);
      v = q;
    }
    return off + n;
  }
  // Long division of the two halves by 10, digits come out least significant first.
  let end = off;
  while (hi !== 0 || lo !== 0) {
    const qh = Math.floor(hi / 10);
    const rem = (hi - qh * 10) * TWO32 + lo;
    const ql = Math.floor(rem / 10);
    out[end++] = 48 + (rem - ql * 10);
    hi = qh;
    lo = ql;
  }
  for (let i = off, j = end - 1; i < j; i++, j--) {
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return end;
}

/** "<ms>-<seq>" into out at off; returns the new offset (at most MAX_ID_TEXT bytes written). */
export function writeId(id: StreamId, out: Uint8Array, off: number): number {
  off = writeU64(id.msHi, id.msLo, out, off);
  out[off++] = 45;
  return writeU64(id.seqHi, id.seqLo, out, off);
}

function u64Text(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** "<ms>-<seq>" as a string (replies via writeId in hot paths; this is for tests and logs). */
export function formatId(id: StreamId): string {
  return `${u64Text(id.msHi, id.msLo)}-${u64Text(id.seqHi, id.seqLo)}`;
}

// ---- parsing ----

/** Scratch for a parsed 64-bit part: (hi, lo). Module constant, used only within one call. */
const part = new Float64Array(2);

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * util.c string2ull on buf[s, e): string2ll's strict form first (negative -> invalid), else
 * strtoull's (leading space, optional sign, a minus negates mod 2^64, overflow invalid). The
 * result goes to part[0..1]. Returns false when Redis would.
 */
function string2ull(buf: Uint8Array, s: number, e: number): boolean {
  if (s >= e) return false;
  // string2ll accepts exactly "0" or -?[1-9][0-9]* within int64.
  let i = s;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  let strict = i < e && buf[i]! >= 49 && buf[i]! <= 57;
  if (e - s === 1 && buf[s] === 48) strict = true;
  for (let j = i; strict && j < e; j++) if (buf[j]! < 48 || buf[j]! > 57) strict = false;
  // strtoull: skip spaces, one sign, digits to the end.
  i = s;
  while (i < e && isSpace(buf[i]!)) i++;
  let minus = false;
  if (i < e && (buf[i] === 43 || buf[i] === 45)) {
    minus = buf[i] === 45;
    i++;
  }
  if (i >= e) return false;
  let hi = 0;
  let lo = 0;
  for (; i < e; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return false;
    const l = lo * 10 + (c - 48);
    const carry = Math.floor(l / TWO32);
    lo = l - carry * TWO32;
    hi = hi * 10 + carry;
    if (hi > MAX32) return false; // ERANGE
  }
  if (strict && neg) {
    // string2ll succeeded iff the magnitude fits int64's negative range (<= 2^63): then the
    // value is negative and refused; past it string2ll failed and strtoull's rule applies.
    if (hi < 0x80000000 || (hi === 0x80000000 && lo === 0)) return false;
  }
  if (minus && (hi !== 0 || lo !== 0)) {
    // two's complement negation mod 2^64
    lo = TWO32 - lo;
    hi = MAX32 - hi;
    if (lo === TWO32) {
      lo = 0;
      hi = (hi + 1) % TWO32;
    }
  }
  part[0] = hi;
  part[1] = lo;
  return true;
}

/** parseId results. */
export const ID_INVALID = 0;
export const ID_OK = 1;
/** "<ms>-*" (only when allowSeqStar): ms parsed, seq to be generated. */
export const ID_SEQ_AUTO = 2;

/**
 * streamGenericParseIDOrReply on buf[off, off+len) into out.
 * - missingSeqMax: the seq for a bare "<ms>" (false: 0, true: 2^64-1).
 * - strict: "-" and "+" are invalid (streamParseStrictIDOrReply).
 * - allowSeqStar: accept "<ms>-*" (XADD's seq_given pointer).
 */
export function parseId(
  buf: Uint8Array,
  off: number,
  len: number,
  out: StreamId,
  missingSeqMax: boolean,
  strict: boolean,
  allowSeqStar = false,
): number {
  if (len > 127) return ID_INVALID;
  let e = off;
  const end = off + len;
  while (e < end && buf[e] !== 0) e++; // C string: stops at the first NUL
  const n = e - off;
  if (n === 1 && (buf[off] === 45 || buf[off] === 43)) {
    if (strict) return ID_INVALID;
    if (buf[off] === 45) out.setMin();
    else out.setMax();
    return ID_OK;
  }
  let dash = -1;
  for (let i = off; i < e; i++) {
    if (buf[i] === 45) {
      dash = i;
      break;
    }
  }
  if (!string2ull(buf, off, dash < 0 ? e : dash)) return ID_INVALID;
  const msHi = part[0]!;
  const msLo = part[1]!;
  let result = ID_OK;
  if (dash < 0) {
    if (missingSeqMax) out.seqHi = out.seqLo = MAX32;
    else out.seqHi = out.seqLo = 0;
  } else if (allowSeqStar && e - dash === 2 && buf[dash + 1] === 42) {
    out.seqHi = out.seqLo = 0;
    result = ID_SEQ_AUTO;
  } else {
    if (!string2ull(buf, dash + 1, e)) return ID_INVALID;
    out.seqHi = part[0]!;
    out.seqLo = part[1]!;
  }
  out.msHi = msHi;
  out.msLo = msLo;
  return result;
}

/** parseIntervalId results beyond ID_INVALID / ID_OK. */
export const ID_EXCLUSIVE = 3;

/**
 * streamParseIntervalIDOrReply: "(" + a strict ID is exclusive (ID_EXCLUSIVE; the caller then
 * applies incrId/decrId and answers ERR_START_INTERVAL / ERR_END_INTERVAL when it fails), else
 * a non-strict ID. missingSeqMax: false for a range start, true for an end.
 */
export function parseIntervalId(
  buf: Uint8Array,
  off: number,
  len: number,
  out: StreamId,
  missingSeqMax: boolean,
): number {
  if (len > 1 && buf[off] === 40) {
    return parseId(buf, off + 1, len - 1, out, missingSeqMax, true) === ID_OK
      ? ID_EXCLUSIVE
      : ID_INVALID;
  }
  return parseId(buf, off, len, out, missingSeqMax, false);
}

/**
 * A range bound as XRANGE/XREVRANGE/XPENDING take it, exclusive bounds already stepped. Returns
 * null or the error text to answer. `isStart`: the lower bound (missing seq 0, "(" increments).
 */
export function parseRangeBound(
  buf: Uint8Array,
  off: number,
  len: number,
  out: StreamId,
  isStart: boolean,
): string | null {
  const r = parseIntervalId(buf, off, len, out, !isStart);
  if (r === ID_INVALID) return ERR_INVALID_ID;
  if (r === ID_EXCLUSIVE) {
    if (isStart ? !incrId(out) : !decrId(out))
      return isStart ? ERR_START_INTERVAL : ERR_END_INTERVAL;
  }
  return null;
}

/** Test/bench helper: parse a JS string (non-strict, missing seq 0). Throws when invalid. */
export function idOf(text: string): StreamId {
  const b = new TextEncoder().encode(text);
  const out = new StreamId();
  if (parseId(b, 0, b.length, out, false, false) !== ID_OK) throw new Error(`bad id ${text}`);
  return out;
}
