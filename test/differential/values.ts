// Random argument values shared by the families: numbers around the edges Redis checks, float
// texts, binary bytes. Everything draws from the seeded Prng so a run replays exactly.

import type { Prng } from "../helpers/prng.ts";
import type { Arg } from "./gen.ts";

export function pick<T>(r: Prng, xs: readonly T[]): T {
  return xs[r.int(xs.length)]!;
}

const INT_EDGES = [
  "0",
  "1",
  "-1",
  "2",
  "10",
  "-10",
  "100",
  "9999",
  "10000",
  "9007199254740991",
  "9007199254740992",
  "-9007199254740993",
  "9223372036854775807",
  "9223372036854775806",
  "-9223372036854775808",
  "-9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "4611686018427387904",
  "-4611686018427387904",
];

const NOT_INTS = ["", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "abc", "0x10", "--1", "1\x00"];

/** An integer text: small, at int64/2^53 edges, or not an integer at all (sometimes). */
export function intText(r: Prng, badShare = 0.1): string {
  const x = r.u32() / 4294967296;
  if (x < badShare) return pick(r, NOT_INTS);
  if (x < 0.5) return String(r.int(21) - 10);
  if (x < 0.8) return pick(r, INT_EDGES);
  return String((r.u32() - 2147483648) * (r.int(2) === 0 ? 1 : 4294967));
}

const FLOATS = [
  "0",
  "1",
  "-1",
  "0.1",
  "0.2",
  "-0.3",
  "1.5",
  "3.0e3",
  "1e30",
  "-1e30",
  "1e-20",
  "2.5e-18",
  "1.23456789012345678901",
  "12345678901234567890.5",
  "0x1p3",
  "0x1.8p-2",
  ".5",
  "5.",
  "inf",
  "-inf",
  "nan",
  "1e400",
  "1e5000",
  "1e-5000",
  "abc",
  " 1",
  "1 ",
  "",
  "1e",
  "+7",
  "9223372036854775807",
];

export function floatText(r: Prng): string {
  if (r.int(3) === 0) {
    const n = (r.u32() - 2147483648) / 2 ** r.int(40);
    return r.int(2) === 0 ? String(n) : n.toExponential(r.int(18));
  }
  return pick(r, FLOATS);
}

const enc = new TextEncoder();

/** A value: short text, number text, empty, or random bytes (incl. NUL, CR, LF, 0xff). */
export function value(r: Prng): Arg {
  switch (r.int(8)) {
    case 0:
      return "";
    case 1:
      return intText(r, 0);
    case 2:
      return floatText(r);
    case 3:
      return r.bytes(r.int(12));
    case 4:
      return enc.encode("v".repeat(r.int(60)));
    default:
      return pick(r, ["a", "bb", "hello", "x\r\ny", "\x00\xff", "123", "-5", "ab*"]);
  }
}

/** A Redis glob pattern over the shared key space (classes, escapes, stars). */
export function pattern(r: Prng): string {
  if (r.int(2) === 0) {
    // random over the glob metacharacters and the key space's letters
    const alphabet = "k0123*?[]^-\\b";
    let p = "";
    for (let n = 1 + r.int(6); n > 0; n--) p += alphabet[r.int(alphabet.length)];
    return p;
  }
  return pick(r, [
    "*",
    "k*",
    "k?",
    "k[0-3]",
    "k[^0-3]",
    "k[3-0]",
    "*1*",
    "?",
    "",
    "\\k*",
    "k\\*",
    "[k]*",
    "[",
    "k[",
    "[^",
    "**",
    "*[\\]]*",
    "b*",
    "\x00*",
    "*\xff",
  ]);
}
