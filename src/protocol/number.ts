// Numbers as Redis reads and writes them, working on bytes where it matters.

/**
 * Redis 7.0's double reply text: "%.17g", with "inf"/"-inf" (addReplyDouble).
 * e.g. 3.1 -> "3.1000000000000001", 1e21 -> "1e+21", 0.0001 -> "0.0001".
 */
export function formatDouble(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return "inf";
  if (d === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isNaN(d)) return "nan";
  // Fast path (~15x): a nonzero safe integer has at most 16 digits, so "%.17g" prints it
  // exactly, as String() does (beyond 2^53 String() would round to the shortest digits).
  if (d !== 0 && Number.isSafeInteger(d)) return String(d);
  return formatG(d, 17);
}

/** C's printf("%.<precision>g"). */
export function formatG(d: number, precision: number): string {
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const exp = d.toExponential(precision - 1); // "m.mmmme+X"
  const e = exp.indexOf("e");
  const x = Number(exp.slice(e + 1));
  if (x < -4 || x >= precision) {
    let mant = exp.slice(0, e);
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const ax = Math.abs(x);
    return `${mant}e${x < 0 ? "-" : "+"}${ax < 10 ? "0" : ""}${ax}`;
  }
  let fixed = d.toFixed(Math.max(0, precision - 1 - x));
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Write the decimal digits of a safe integer at buf[p] (room for 17 bytes needed); returns the
 * offset after them. Values below 2^31 take 32-bit integer division (the common counters,
 * lengths and replies of INCR/HSET/LPUSH...); larger ones exact double arithmetic.
 */
export function writeDecimal(buf: Uint8Array, p: number, x: number): number {
  if (x < 0) {
    buf[p++] = 45; // '-'
    x = -x;
  }
  if (x < 10) {
    buf[p] = 48 + x;
    return p + 1;
  }
  if (x <= 0x7fffffff) {
    let v = x | 0;
    const n =
      v < 100
        ? 2
        : v < 1000
          ? 3
          : v < 10000
            ? 4
            : v < 100000
              ? 5
              : v < 1000000
                ? 6
                : v < 10000000
                  ? 7
                  : v < 100000000
                    ? 8
                    : v < 1000000000
                      ? 9
                      : 10;
    let q = p + n;
    const end = q;
    do {
      const t = (v / 10) | 0;
      buf[--q] = 48 + v - t * 10;
      v = t;
    } while (v !== 0);
    return end;
  }
  let n = 1;
  for (let t = x; t >= 10; t = Math.floor(t / 10)) n++;
  let q = p + n;
  const end = q;
  do {
    const d = x % 10;
    buf[--q] = 48 + d;
    x = (x - d) / 10;
  } while (x > 0);
  return end;
}

/**
 * Parse a signed decimal integer exactly as Redis's string2ll: optional '-',
 * no '+', no leading zeros (except "0"), no spaces, at most 20 chars, within
 * int64. Returns NaN when invalid. Values beyond 2^53 come back as NaN too
 * unless `allowBig` (then use parseInt64Big).
 */
export function parseInt64(buf: Uint8Array, off: number, len: number): number {
  if (len === 0 || len > 20) return Number.NaN;
  let i = off;
  const end = off + len;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return Number.NaN;
  }
  const first = buf[i]!;
  if (first === 48) return i + 1 === end && !neg ? 0 : Number.NaN; // "0" only, no "-0"
  if (first < 49 || first > 57) return Number.NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  if (v > MAX_SAFE) return parseBigFallback(buf, off, len);
  return neg ? -v : v;
}

// Beyond 2^53 a JS number cannot hold the value exactly. Redis accepts the full
// int64 range; we accept it too, but only where exact: the value must round-trip.
function parseBigFallback(buf: Uint8Array, off: number, len: number): number {
  const s = latin1(buf, off, len);
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return Number.NaN;
  const n = Number(b);
  return BigInt(n) === b ? n : Number.NaN;
}

/** Parse an int64 as a bigint (exact over the whole range), or null. */
export function parseInt64Big(buf: Uint8Array, off: number, len: number): bigint | null {
  if (len === 0 || len > 20) return null;
  const s = latin1(buf, off, len);
  if (!/^(-?[1-9][0-9]*|0)$/.test(s)) return null;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return b;
}

export function latin1(buf: Uint8Array, off: number, len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(buf[off + i]!);
  return s;
}
