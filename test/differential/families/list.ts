// List commands for the differential test: pushes, pops with and without counts, ranges and
// indexes with negative and out-of-range values, LSET/LINSERT/LREM/LTRIM, LPOS with RANK,
// COUNT and MAXLEN (and their errors), LMOVE/RPOPLPUSH (same key included), LMPOP, and the
// blocking commands with a zero-ish timeout where they return at once (non-empty key, wrong
// type, bad timeouts) or after a 10 ms timeout (the stream is pipelined: an empty key just
// times out on both servers). Blocking itself is tested on sockets in test/server/blocking.test.ts. Keys come from the shared space (WRONGTYPE against
// other families) plus a few list-only keys, so lists get long enough for ranges to matter.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, CommandGen, Family, KeyPicker } from "../gen.ts";

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.int(xs.length)]!;

const ELEMENTS = ["a", "b", "c", "a", "x", "", "1", "22", "-3", "hello world", "a"];
const BINARY: Uint8Array[] = [new Uint8Array([0]), new Uint8Array([0xff, 0]), new Uint8Array(200)];

function el(r: Prng): Arg {
  if (r.int(20) === 0) return pick(r, BINARY);
  return pick(r, ELEMENTS);
}

function idx(r: Prng): string {
  if (r.int(20) === 0)
    return pick(r, ["x", "1.5", "", "9223372036854775807", "-9223372036854775808"]);
  return String(r.int(24) - 12);
}

function listKey(r: Prng, keys: KeyPicker): Arg {
  return r.int(3) === 0 ? keys.key() : `list:${r.int(3)}`;
}

function where(r: Prng): string {
  if (r.int(25) === 0) return pick(r, ["UP", "", "lefty"]);
  return pick(r, ["LEFT", "RIGHT", "left", "right"]);
}

function count(r: Prng): string {
  if (r.int(12) === 0) return pick(r, ["-1", "x", "0", "9223372036854775807"]);
  return String(1 + r.int(5));
}

/** Timeouts a blocking command accepts or refuses (accepted ones only on non-empty keys). */
function badTimeout(r: Prng): string {
  return pick(r, ["-1", "x", "-0.5", "inf", "1e400", "nan", ""]);
}

function keys(r: Prng, k: KeyPicker, out: Arg[]): number {
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) out.push(listKey(r, k));
  return n;
}

const push: CommandGen = (r, k) => {
  const out: Arg[] = [
    pick(r, ["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]),
    listKey(r, k),
  ];
  for (let i = 0, n = 1 + r.int(5); i < n; i++) out.push(el(r));
  return out;
};

const gens: CommandGen[] = [
  push,
  push,
  push,
  push,
  (r, k) => {
    const out: Arg[] = [r.int(2) === 0 ? "LPOP" : "RPOP", listKey(r, k)];
    if (r.int(2) === 0) out.push(count(r));
    if (r.int(30) === 0) out.push("1");
    return out;
  },
  (r, k) => ["LLEN", listKey(r, k)],
  (r, k) => ["LRANGE", listKey(r, k), idx(r), idx(r)],
  (r, k) => ["LRANGE", listKey(r, k), "0", "-1"],
  (r, k) => ["LINDEX", listKey(r, k), idx(r)],
  (r, k) => ["LSET", listKey(r, k), idx(r), el(r)],
  (r, k) => [
    "LINSERT",
    listKey(r, k),
    r.int(15) === 0 ? "MIDDLE" : pick(r, ["BEFORE", "AFTER", "before"]),
    el(r),
    el(r),
  ],
  (r, k) => ["LREM", listKey(r, k), r.int(15) === 0 ? "x" : String(r.int(7) - 3), el(r)],
  (r, k) => ["LTRIM", listKey(r, k), idx(r), idx(r)],
  (r, k) => {
    const out: Arg[] = ["LPOS", listKey(r, k), el(r)];
    const opts = r.int(4);
    for (let i = 0; i < opts; i++) {
      const o = r.int(4);
      if (o === 0)
        out.push("RANK", pick(r, ["1", "2", "-1", "-2", "3", "0", "x", "-9223372036854775808"]));
      else if (o === 1) out.push("COUNT", pick(r, ["0", "1", "2", "5", "-1", "x"]));
      else if (o === 2) out.push("MAXLEN", pick(r, ["0", "1", "3", "10", "-1"]));
      else out.push(pick(r, ["RANK", "FOO", "count"]));
    }
    return out;
  },
  (r, k) => ["LMOVE", listKey(r, k), listKey(r, k), where(r), where(r)],
  (r, k) => {
    const s = listKey(r, k);
    return ["LMOVE", s, s, where(r), where(r)];
  },
  (r, k) => ["RPOPLPUSH", listKey(r, k), listKey(r, k)],
  (r, k) => {
    const out: Arg[] = ["LMPOP"];
    const n = 1 + r.int(3);
    out.push(r.int(20) === 0 ? pick(r, ["0", "-1", "x", String(n + 2)]) : String(n));
    for (let i = 0; i < n; i++) out.push(listKey(r, k));
    out.push(where(r));
    if (r.int(2) === 0) out.push("COUNT", count(r));
    return out;
  },
  // Blocking commands where they answer at once: refused timeouts, and keys that exist
  // ("list:0" is pushed to far more often than popped, so it is usually non-empty).
  (r, k) => {
    const out: Arg[] = [r.int(2) === 0 ? "BLPOP" : "BRPOP"];
    if (r.int(2) === 0) {
      keys(r, k, out);
      out.push(badTimeout(r));
    } else out.push("list:0", "0.01");
    return out;
  },
  (r, k) =>
    r.int(2) === 0
      ? ["BLMOVE", listKey(r, k), listKey(r, k), where(r), where(r), badTimeout(r)]
      : ["BRPOPLPUSH", listKey(r, k), listKey(r, k), badTimeout(r)],
  (r, k) => ["BLMPOP", badTimeout(r), "1", listKey(r, k), where(r)],
  (r, k) => ["BLMPOP", "0.01", "2", "list:0", listKey(r, k), where(r), "COUNT", count(r)],
  (r, k) => ["BZPOPMIN", k.key(), badTimeout(r)],
];

export const listFamily: Family = { name: "list", weight: 3, gens };
