// Parsing for the sorted set commands, on argument bytes: scores as Redis reads them (C strtod
// rules), score and lex range bounds and SCAN cursors (glob patterns: src/store/glob.ts).

import { latin1 } from "../protocol/number.ts";

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INFINITY = /^[+-]?inf(inity)?$/i;
const HEX = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i;
const NONZERO_DIGIT = /[1-9]/;

/** strtod over the whole string s (no whitespace). NaN when not fully a number. */
function strtod(s: string): number {
  if (DECIMAL.test(s)) return Number(s);
  if (INFINITY.test(s)) return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
  const h = HEX.exec(s);
  if (h !== null) {
    const int = h[2]!;
    const frac = h[3] ?? "";
    if (int.length + frac.length === 0) return Number.NaN;
    let v = 0;
    for (const ch of int) v = v * 16 + Number.parseInt(ch, 16);
    let scale = 1 / 16;
    for (const ch of frac) {
      v += Number.parseInt(ch, 16) * scale;
      scale /= 16;
    }
    if (h[4] !== undefined) v *= 2 ** Number(h[4]);
    return h[1] === "-" ? -v : v;
  }
  return Number.NaN;
}

/**
 * A score argument (ZADD, ZINCRBY, WEIGHTS) as Redis's getDoubleFromObject: the whole argument
 * must be a number, no leading space, no NaN, no overflow to inf and no underflow to zero
 * (glibc's ERANGE); "inf"/"-inf"/"infinity" are fine. Returns NaN when invalid.
 */
export function parseScore(buf: Uint8Array, off: number, len: number): number {
  // Fast path: a short plain integer (what most clients send).
  if (len > 0 && len <= 15) {
    let i = off;
    const end = off + len;
    const neg = buf[i] === 45;
    if (neg) i++;
    if (i < end) {
      let v = 0;
      for (; i < end; i++) {
        const d = buf[i]! - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (i === end) return neg ? -v : v;
    }
  }
  if (len === 0 || len > 400) return Number.NaN;
  const s = latin1(buf, off, len);
  const v = strtod(s);
  if (!Number.isFinite(v)) {
    if (Number.isNaN(v) || !INFINITY.test(s)) return Number.NaN; // overflow is ERANGE
    return v;
  }
  if (v === 0 && NONZERO_DIGIT.test(s.replace(/e.*$/i, "").replace(/p.*$/i, ""))) {
    return Number.NaN; // underflow to zero is ERANGE
  }
  return v;
}

/** A score range bound value, as zslParseRange's strtod: leading space ok, overflow ok. */
function parseBoundNumber(buf: Uint8Array, off: number, len: number): number {
  // C strings end at the first NUL; strtod skips leading isspace().
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  let i = off;
  while (i < end && (buf[i] === 32 || (buf[i]! >= 9 && buf[i]! <= 13))) i++;
  if (i === end) return 0; // nothing to parse: strtod returns 0 and *eptr is the NUL
  if (end - i > 400) return Number.NaN;
  return strtod(latin1(buf, i, end - i));
}

/** A parsed score bound: value and exclusivity (a caller-owned record parseScoreBound fills). */
export interface ScoreBound {
  value: number;
  excl: boolean;
}

/** Parse a ZRANGEBYSCORE-style bound ("1.5", "(1.5", "-inf"...) into `bound`. False = error. */
export function parseScoreBound(
  buf: Uint8Array,
  off: number,
  len: number,
  bound: ScoreBound,
): boolean {
  let excl = false;
  if (len > 0 && buf[off] === 40) {
    excl = true;
    off++;
    len--;
  }
  const v = parseBoundNumber(buf, off, len);
  if (Number.isNaN(v)) return false;
  bound.value = v;
  bound.excl = excl;
  return true;
}

export const LEX_MIN = 0; // "-"
export const LEX_MAX = 1; // "+"
export const LEX_VALUE = 2; // "[x" or "(x"

/** A parsed lex bound: kind, exclusivity and the value's bytes (a caller-owned record). */
export interface LexBound {
  kind: number;
  excl: boolean;
  off: number;
  len: number;
}

/** Parse a ZRANGEBYLEX-style bound ("-", "+", "[a", "(a") into `lex`. False = error. */
export function parseLexBound(buf: Uint8Array, off: number, len: number, lex: LexBound): boolean {
  if (len === 0) return false;
  const c = buf[off];
  if (c === 43 || c === 45) {
    if (len !== 1) return false;
    lex.kind = c === 43 ? LEX_MAX : LEX_MIN;
    lex.excl = c === 43;
    lex.off = off;
    lex.len = 0;
    return true;
  }
  if (c !== 40 && c !== 91) return false;
  lex.kind = LEX_VALUE;
  lex.excl = c === 40;
  lex.off = off + 1;
  lex.len = len - 1;
  return true;
}

/** SCAN cursor as strtoul: optional sign, decimal digits, within u64. -1 = invalid. */
export function parseCursor(buf: Uint8Array, off: number, len: number): number {
  if (len === 0) return 0;
  const s = latin1(buf, off, len);
  if (!/^[+-]?\d+$/.test(s)) return -1;
  const neg = s[0] === "-";
  const b = BigInt(neg || s[0] === "+" ? s.slice(1) : s);
  if (b > 18446744073709551615n) return -1;
  // A negative cursor wraps around (strtoul); it is past any real cursor either way.
  if (neg && b !== 0n) return Number.MAX_SAFE_INTEGER;
  return b > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(b);
}
