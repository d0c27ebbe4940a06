// INCRBYFLOAT's arithmetic, exactly as Redis 7.0 on x86-64 does it: C `long double` (x87 80-bit
// extended: 64-bit significand, 15-bit exponent), parsed with glibc strtold (correctly rounded),
// added with one rounding (to nearest, ties to even), printed with "%.17Lf" and trimmed
// (util.c ld2string, LD_STR_HUMAN). JS has no such type, so values are exact binary fractions in
// BigInt: value = (-1)^neg * mant * 2^exp. Not a hot path; a few BigInt operations per call.

/** A finite or infinite long double. mant === 0n is zero; inf marks an infinity. */
export interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
  inf: boolean;
}

const MANT_BITS = 64;
const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;
/** Smallest exponent of the last significand bit: denormals below 2^-16382 use it. */
const MIN_EXP = -16445;
/** Largest finite value is (2^64-1) * 2^MAX_EXP. */
const MAX_EXP = 16320;
/** Redis refuses numbers this long (MAX_LONG_DOUBLE_CHARS). */
export const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
/** Decimal/binary exponents are clamped here: far past both ends of the range, BigInt-cheap. */
const EXP_CLAMP = 40000;
const LOG10_2 = Math.log10(2);

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Round num/den * 2^binExp (num, den > 0) to the nearest long double. */
function roundRational(neg: boolean, num: bigint, den: bigint, binExp: number): LongDouble {
  // Pick shift s so that q = num*2^s/den has 64 bits; the result exponent is binExp - s.
  let s = MANT_BITS - (bitLength(num) - bitLength(den));
  const scaled = (sh: number): [bigint, bigint] => {
    const n = sh >= 0 ? num << BigInt(sh) : num;
    const d = sh >= 0 ? den : den << BigInt(-sh);
    return [n / d, n % d];
  };
  let [q, r] = scaled(s);
  if (q >= TWO64) [q, r] = scaled(--s);
  else if (q < TWO63) [q, r] = scaled(++s);
  let exp = binExp - s;
  if (exp < MIN_EXP) {
    // Denormal: fewer significant bits, fixed exponent.
    s = binExp - MIN_EXP;
    [q, r] = scaled(s);
    exp = MIN_EXP;
  }
  const d = s >= 0 ? den : den << BigInt(-s);
  const twice = r * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
  if (q === TWO64) {
    q = TWO63;
    exp++;
  }
  if (exp > MAX_EXP) return { neg, mant: 0n, exp: 0, inf: true };
  return { neg, mant: q, exp, inf: false };
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function digitValue(c: number, hex: boolean): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (!hex) return -1;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function lowerAscii(buf: Uint8Array, off: number, len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(buf[off + i]! | 0x20);
  return s;
}

/**
 * Redis's string2ld: the whole string must be a number strtold accepts (no leading space; hex
 * floats, "inf" and "infinity" allowed; "nan" refused; overflow and underflow-to-zero refused;
 * strtold must consume every byte, so an embedded NUL is refused too). Returns null when
 * Redis would answer "value is not a valid float".
 */
export function parseLongDouble(buf: Uint8Array, off: number, len: number): LongDouble | null {
  if (len === 0 || len >= MAX_LONG_DOUBLE_CHARS) return null;
  const end = off + len;
  if (isSpace(buf[off]!)) return null;
  let i = off;
  let neg = false;
  if (buf[i] === 43 || buf[i] === 45) {
    neg = buf[i] === 45;
    i++;
  }
  const rest = lowerAscii(buf, i, end - i);
  if (rest === "inf" || rest === "infinity") return { neg, mant: 0n, exp: 0, inf: true };
  const hex = end - i > 2 && buf[i] === 48 && (buf[i + 1]! | 0x20) === 120; // "0x"
  if (hex) i += 2;
  let mant = 0n;
  let digits = 0;
  let fracDigits = 0;
  let seenDot = false;
  // Accumulate in chunks of plain numbers to keep BigInt work low.
  const base = hex ? 16 : 10;
  let chunk = 0;
  let chunkLen = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 46 && !seenDot) {
      seenDot = true;
      continue;
    }
    const v = digitValue(c, hex);
    if (v < 0) break;
    chunk = chunk * base + v;
    if (++chunkLen === 12) {
      mant = mant * BigInt(base ** 12) + BigInt(chunk);
      chunk = 0;
      chunkLen = 0;
    }
    digits++;
    if (seenDot) fracDigits++;
  }
  if (chunkLen > 0) mant = mant * BigInt(base ** chunkLen) + BigInt(chunk);
  if (digits === 0) return null; // "", ".", "0x" alone, "-": nothing converted
  let e = 0;
  if (i < end && (buf[i]! | 0x20) === (hex ? 112 : 101)) {
    // exponent: [eEpP][+-]digits; without digits strtold stops before the letter (then refused)
    let j = i + 1;
    let eneg = false;
    if (j < end && (buf[j] === 43 || buf[j] === 45)) {
      eneg = buf[j] === 45;
      j++;
    }
    const start = j;
    for (; j < end; j++) {
      const c = buf[j]!;
      if (c < 48 || c > 57) break;
      if (e < EXP_CLAMP) e = e * 10 + (c - 48);
    }
    if (j === start) return null;
    if (e > EXP_CLAMP) e = EXP_CLAMP;
    if (eneg) e = -e;
    i = j;
  }
  if (i !== end) return null; // trailing garbage
  if (mant === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  let r: LongDouble;
  if (hex) {
    r = roundRational(neg, mant, 1n, e - 4 * fracDigits);
  } else {
    const e10 = e - fracDigits;
    // Quick range checks so 10^e10 stays small: beyond these the result is certainly out of range.
    // LDBL_MAX ~ 1.19e4932, smallest denormal ~ 3.6e-4951.
    const mag = (bitLength(mant) - 1) * LOG10_2 + e10; // decimal exponent, +-1
    if (mag > 4940) return null; // > LDBL_MAX: HUGE_VAL with ERANGE
    if (mag < -4960) return null; // underflows to zero: ERANGE
    r =
      e10 >= 0
        ? roundRational(neg, mant * 10n ** BigInt(e10), 1n, 0)
        : roundRational(neg, mant, 10n ** BigInt(-e10), 0);
  }
  if (r.inf) return null; // overflow: HUGE_VAL with ERANGE
  if (r.mant === 0n) return null; // underflow to zero: ERANGE
  return r;
}

/** a + b with one rounding; an infinite or NaN result comes back as null. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) return null; // inf + x is inf, inf - inf is NaN: both refused by Redis
  if (a.mant === 0n && b.mant === 0n) {
    return { neg: a.neg && b.neg, mant: 0n, exp: 0, inf: false };
  }
  if (a.mant === 0n) return b;
  if (b.mant === 0n) return a;
  const m = Math.min(a.exp, b.exp);
  const sa = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - m);
  const sb = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - m);
  const sum = sa + sb;
  if (sum === 0n) return { neg: false, mant: 0n, exp: 0, inf: false };
  const r = roundRational(sum < 0n, sum < 0n ? -sum : sum, 1n, m);
  return r.inf ? null : r;
}

const FRAC_DIGITS = 17;

const TEN17 = 10n ** 17n;

/** ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros (and a bare '.') trimmed, "-0" -> "0". */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.inf) return x.neg ? "-inf" : "inf";
  let intPart: bigint;
  let frac: bigint;
  if (x.exp >= 0) {
    intPart = x.mant << BigInt(x.exp);
    frac = 0n;
  } else {
    const sh = BigInt(-x.exp);
    const n = x.mant * TEN17;
    let q = n >> sh;
    const r = n - (q << sh);
    const half = 1n << (sh - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q++; // glibc rounds exactly, ties to even
    intPart = q / TEN17;
    frac = q % TEN17;
  }
  let s = intPart.toString();
  if (frac !== 0n) s += `.${frac.toString().padStart(FRAC_DIGITS, "0").replace(/0+$/, "")}`;
  if (x.neg && s !== "0") s = `-${s}`;
  return s;
}
