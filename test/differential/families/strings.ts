// String commands for the differential test: every command, every option, wrong arities, bad
// numbers, binary values. Expiries are either far in the future or already in the past, so both
// servers agree whatever the timing.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, Family, KeyPicker } from "../gen.ts";
import { floatText, intText, pick, value } from "../values.ts";

type K = KeyPicker;

/** An expiry option that is deterministic: far future, already past, or invalid. */
function expiry(r: Prng): Arg[] {
  switch (r.int(10)) {
    case 0:
      return ["EX", String(1000 + r.int(100000))];
    case 1:
      return ["PX", String(10000000 + r.int(100000))];
    case 2:
      return ["EXAT", pick(r, ["1", "100", "4000000000"])];
    case 3:
      return ["PXAT", pick(r, ["1", "1000", "4000000000000"])];
    case 4:
      return [pick(r, ["EX", "PX", "EXAT", "PXAT"]), pick(r, ["0", "-1", "abc", "", "1.5"])];
    case 5:
      return [
        pick(r, ["EX", "EXAT"]),
        pick(r, ["9223372036854775", "9223372036854776", "9223372036854775807"]),
      ];
    case 6:
      return [pick(r, ["PX", "PXAT"]), pick(r, ["9223372036854775807", "9223372036854775808"])];
    case 7:
      return ["KEEPTTL"];
    case 8:
      return [pick(r, ["ex", "Px", "exat", "pXaT"])]; // missing value: syntax error
    default:
      return [];
  }
}

function lcsOptions(r: Prng): Arg[] {
  const out: Arg[] = [];
  for (let n = r.int(4); n > 0; n--) {
    const x = r.int(6);
    if (x === 0) out.push("LEN");
    else if (x <= 2) out.push("IDX");
    else if (x === 3) out.push("WITHMATCHLEN");
    else if (x === 4) out.push("MINMATCHLEN", pick(r, ["0", "1", "2", "4", "-1", "x"]));
    else out.push(pick(r, ["MINMATCHLEN", "BOGUS"]));
  }
  return out;
}

function setOptions(r: Prng): Arg[] {
  const out: Arg[] = [];
  const n = r.int(4);
  for (let i = 0; i < n; i++) {
    const x = r.int(8);
    if (x < 3) out.push(...expiry(r));
    else if (x < 5) out.push(pick(r, ["NX", "XX", "nx", "xx"]));
    else if (x < 7) out.push(pick(r, ["GET", "get"]));
    else out.push(pick(r, ["KEEPTTL", "BOGUS", "EXX", "N", "nx\x00"]));
  }
  return out;
}

function getexOptions(r: Prng): Arg[] {
  const x = r.int(6);
  if (x === 0) return [];
  if (x === 1) return ["PERSIST"];
  if (x === 2) return expiry(r).filter((a) => a !== "KEEPTTL");
  if (x === 3) return ["PERSIST", ...expiry(r)];
  if (x === 4) return [pick(r, ["NX", "KEEPTTL", "GET", "persist"])];
  return [...expiry(r), ...expiry(r)];
}

function keysAndValues(r: Prng, k: K): Arg[] {
  const out: Arg[] = [];
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) out.push(k.key(), value(r));
  if (r.int(8) === 0) out.pop(); // odd count: arity error
  return out;
}

function range(r: Prng): string {
  return r.int(4) === 0 ? intText(r, 0.3) : String(r.int(30) - 15);
}

export const stringsFamily: Family = {
  name: "strings",
  weight: 10,
  gens: [
    (_r, k) => ["GET", k.key()],
    (_r, k) => ["GET", k.key()],
    (r, k) => ["SET", k.key(), value(r)],
    (r, k) => ["SET", k.key(), value(r), ...setOptions(r)],
    (r, k) => ["SET", k.key(), value(r), ...setOptions(r)],
    (r, k) => ["SETNX", k.key(), value(r)],
    (r, k) => ["SETEX", k.key(), pick(r, ["100", "0", "-5", "x", "9223372036854775"]), value(r)],
    (r, k) => ["PSETEX", k.key(), pick(r, ["100000", "0", "-5", "x"]), value(r)],
    (r, k) => ["GETEX", k.key(), ...getexOptions(r)],
    (r, k) => ["GETSET", k.key(), value(r)],
    (_r, k) => ["GETDEL", k.key()],
    (r, k) => ["MGET", k.key(), ...Array.from({ length: r.int(4) }, () => k.key())],
    (r, k) => ["MSET", ...keysAndValues(r, k)],
    (r, k) => ["MSETNX", ...keysAndValues(r, k)],
    (r, k) => ["APPEND", k.key(), value(r)],
    (_r, k) => ["STRLEN", k.key()],
    (r, k) => [pick(r, ["GETRANGE", "SUBSTR"]), k.key(), range(r), range(r)],
    (r, k) => ["SETRANGE", k.key(), pick(r, ["0", "1", "3", "10", "-1", "x", ""]), value(r)],
    // past the 512 MB limit (never creating a huge value: the offset+length always exceeds it)
    (r, k) =>
      pick(r, [
        ["SETRANGE", k.key(), "536870911", "ab"],
        ["SETRANGE", k.key(), "536870912", "a"],
        ["SETRANGE", k.key(), "9223372036854775807", "a"],
        ["SETRANGE", k.key(), "536870912", ""],
      ]),
    (r, k) => [pick(r, ["INCR", "DECR"]), k.key()],
    (r, k) => [pick(r, ["INCRBY", "DECRBY"]), k.key(), intText(r)],
    (r, k) => ["INCRBYFLOAT", k.key(), floatText(r)],
    (r, k) => ["SET", k.key(), pick(r, ["ohmytext", "mynewtext", "abcabcab", "xyz", "aaab", ""])],
    (r, k) => ["LCS", k.key(), k.key(), ...lcsOptions(r)],
    (r, k) => ["SET", k.key(), intText(r, 0.05)],
    (r, k) => ["SET", k.key(), floatText(r)],
    // wrong arities
    (r, k) =>
      pick(r, [
        ["GET"],
        ["GET", k.key(), k.key()],
        ["SET", k.key()],
        ["SETNX", k.key()],
        ["SETEX", k.key(), "10"],
        ["GETSET", k.key()],
        ["GETDEL"],
        ["GETEX"],
        ["MGET"],
        ["MSET"],
        ["MSET", k.key()],
        ["APPEND", k.key()],
        ["STRLEN"],
        ["GETRANGE", k.key(), "0"],
        ["SETRANGE", k.key(), "0"],
        ["INCR"],
        ["INCRBY", k.key()],
        ["DECRBY", k.key(), "1", "2"],
        ["INCRBYFLOAT", k.key()],
        ["LCS", k.key()],
      ]),
  ],
};
