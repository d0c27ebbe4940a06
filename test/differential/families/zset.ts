// Sorted set commands for the differential test: random arguments including edge scores
// ("inf", "(1.5", "-inf", bad floats), lex ranges, LIMIT, wrong types and wrong arities.
//
// Lex range commands only make sense when all scores are equal (Redis leaves the result
// unspecified otherwise), so they run on their own keys ("zlex:0".."zlex:2") that only ever get
// score-0 members. Members come from a space of < 128 names, so every set stays one that Redis
// holds as a listpack (ZSCAN order matches). Everything else uses the shared key space, where other families' strings
// make WRONGTYPE cases. ZRANDMEMBER is random and is tested by properties elsewhere.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, CommandGen, Family, KeyPicker } from "../gen.ts";

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.int(xs.length)]!;

const SCORES = [
  "0",
  "1",
  "-1",
  "2",
  "3",
  "1.5",
  "-2.5",
  "10",
  "0.1",
  "1e3",
  "-0",
  "+5",
  ".5",
  "5.",
  "inf",
  "-inf",
  "+inf",
  "3.0000000000000004",
  "1e-300",
  "123456789012345678",
];
const BAD_SCORES = ["abc", "nan", "", " 1", "1e400", "1x", "--1", "inf1"];

function score(r: Prng): string {
  if (r.int(20) === 0) return pick(r, BAD_SCORES);
  if (r.int(3) === 0) return String(r.int(10));
  return pick(r, SCORES);
}

function bound(r: Prng): string {
  const k = r.int(12);
  if (k === 0) return pick(r, ["(", "(inf", "(-inf", "x", "(x", "nan", "", " 2"]);
  const s =
    r.int(3) === 0 ? String(r.int(10)) : pick(r, ["-inf", "+inf", "inf", "1.5", "0", "2", "-1"]);
  return r.int(3) === 0 ? `(${s}` : s;
}

const MEMBERS = ["a", "b", "c", "d", "e", "f", "aa", "ab", "ba", "", "zz", "m:1", "m:2"];

/** Binary members: NUL, high bytes, a byte-order edge against "a". */
const BINARY: Uint8Array[] = [
  new Uint8Array([0]),
  new Uint8Array([0xff]),
  new Uint8Array([0x61, 0]),
  new Uint8Array([0xc3, 0x28]),
];

function member(r: Prng): Arg {
  if (r.int(15) === 0) return pick(r, BINARY);
  if (r.int(4) === 0) {
    let s = "";
    for (let i = 0, n = 1 + r.int(2); i < n; i++) s += String.fromCharCode(97 + r.int(5));
    return s;
  }
  return pick(r, MEMBERS);
}

function lexBound(r: Prng): Arg {
  const k = r.int(10);
  if (k === 0) return pick(r, ["-", "+"]);
  if (k === 1) return pick(r, ["a", "", "[", "(", "--", "++", "x"]);
  const prefix = r.int(2) === 0 ? 0x5b : 0x28; // '[' or '('
  const m = member(r);
  if (typeof m === "string") return String.fromCharCode(prefix) + m;
  const b = new Uint8Array(m.length + 1);
  b[0] = prefix;
  b.set(m, 1);
  return b;
}

function index(r: Prng): string {
  if (r.int(15) === 0)
    return pick(r, ["x", "1.5", "", "9223372036854775807", "-9223372036854775808"]);
  return String(r.int(14) - 7);
}

function lexKey(r: Prng): string {
  return `zlex:${r.int(3)}`;
}

function limit(r: Prng, out: Arg[]): void {
  if (r.int(3) !== 0) return;
  out.push(
    "LIMIT",
    pick(r, ["0", "1", "2", "-1", "5", "x"]),
    pick(r, ["-1", "0", "1", "2", "3", "x"]),
  );
}

function withscores(r: Prng, out: Arg[]): void {
  if (r.int(2) === 0) out.push(r.int(4) === 0 ? "withscores" : "WITHSCORES");
}

function keyList(r: Prng, keys: KeyPicker, out: Arg[]): number {
  const n = 1 + r.int(3);
  const numkeys = r.int(25) === 0 ? pick(r, ["0", "-1", "x", String(n + 1)]) : String(n);
  out.push(numkeys);
  for (let i = 0; i < n; i++) out.push(r.int(4) === 0 ? lexKey(r) : keys.key());
  return n;
}

const zadd: CommandGen = (r, keys) => {
  const out: Arg[] = ["ZADD", keys.key()];
  const flags = ["NX", "XX", "GT", "LT", "CH", "INCR", "nx", "ch"];
  const nf = r.int(4) === 0 ? 1 + r.int(2) : 0;
  for (let i = 0; i < nf; i++) out.push(pick(r, flags));
  const pairs = r.int(8) === 0 ? 2 : 1 + r.int(4);
  for (let i = 0; i < pairs; i++) out.push(score(r), member(r));
  if (r.int(30) === 0) out.pop(); // odd element count
  return out;
};

const zaddLex: CommandGen = (r) => {
  const out: Arg[] = ["ZADD", lexKey(r)];
  for (let i = 0, n = 1 + r.int(4); i < n; i++) out.push("0", member(r));
  return out;
};

const gens: CommandGen[] = [
  zadd,
  zadd,
  zadd,
  zaddLex,
  zaddLex,
  (r, k) => ["ZINCRBY", k.key(), score(r), member(r)],
  (r, k) => {
    const out: Arg[] = ["ZREM", r.int(5) === 0 ? lexKey(r) : k.key()];
    for (let i = 0, n = 1 + r.int(3); i < n; i++) out.push(member(r));
    return out;
  },
  (r, k) => ["ZSCORE", k.key(), member(r)],
  (r, k) => ["ZMSCORE", k.key(), member(r), member(r)],
  (_r, k) => ["ZCARD", k.key()],
  (r, k) => ["ZCOUNT", k.key(), bound(r), bound(r)],
  (r) => ["ZLEXCOUNT", lexKey(r), lexBound(r), lexBound(r)],
  (r, k) => [r.int(2) === 0 ? "ZRANK" : "ZREVRANK", k.key(), member(r)],
  (r, k) => {
    const out: Arg[] = [r.int(2) === 0 ? "ZRANGE" : "ZREVRANGE", k.key(), index(r), index(r)];
    withscores(r, out);
    if (r.int(15) === 0) out.push("LIMIT", "0", "1");
    return out;
  },
  (r, k) => {
    const rev = r.int(2) === 0;
    const out: Arg[] = [rev ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE", k.key(), bound(r), bound(r)];
    withscores(r, out);
    limit(r, out);
    if (r.int(20) === 0) out.push("REV");
    return out;
  },
  (r) => {
    const rev = r.int(2) === 0;
    const out: Arg[] = [
      rev ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX",
      lexKey(r),
      lexBound(r),
      lexBound(r),
    ];
    limit(r, out);
    if (r.int(20) === 0) out.push("WITHSCORES");
    return out;
  },
  // ZRANGE with BYSCORE / BYLEX / REV / LIMIT in any order.
  (r, k) => {
    const by = r.int(3);
    const out: Arg[] = ["ZRANGE"];
    if (by === 2) out.push(lexKey(r), lexBound(r), lexBound(r), "BYLEX");
    else if (by === 1) out.push(k.key(), bound(r), bound(r), "BYSCORE");
    else out.push(k.key(), index(r), index(r));
    if (r.int(2) === 0) out.push("REV");
    if (by !== 2 || r.int(10) === 0) withscores(r, out);
    if (by !== 0 || r.int(10) === 0) limit(r, out);
    if (r.int(25) === 0) out.push(pick(r, ["BYSCORE", "REV", "foo"]));
    return out;
  },
  (r, k) => {
    const by = r.int(3);
    const out: Arg[] = ["ZRANGESTORE", k.key()];
    if (by === 2) out.push(lexKey(r), lexBound(r), lexBound(r), "BYLEX");
    else if (by === 1) out.push(k.key(), bound(r), bound(r), "BYSCORE");
    else out.push(k.key(), index(r), index(r));
    if (r.int(2) === 0) out.push("REV");
    if (by !== 0) limit(r, out);
    if (r.int(20) === 0) out.push("WITHSCORES");
    return out;
  },
  (r, k) => {
    const out: Arg[] = [r.int(2) === 0 ? "ZPOPMIN" : "ZPOPMAX", k.key()];
    if (r.int(2) === 0) out.push(pick(r, ["0", "1", "2", "5", "-1", "x"]));
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["ZMPOP"];
    keyList(r, k, out);
    out.push(pick(r, ["MIN", "MAX", "min", "foo"]));
    if (r.int(2) === 0) out.push("COUNT", pick(r, ["1", "2", "10", "0", "-1"]));
    return out;
  },
  (r, k) => ["ZREMRANGEBYRANK", k.key(), index(r), index(r)],
  (r, k) => ["ZREMRANGEBYSCORE", k.key(), bound(r), bound(r)],
  (r) => ["ZREMRANGEBYLEX", lexKey(r), lexBound(r), lexBound(r)],
  (r, k) => {
    const out: Arg[] = ["ZSCAN", k.key(), pick(r, ["0", "0", "0", "x", "-1"])];
    if (r.int(3) === 0) out.push("MATCH", pick(r, ["a*", "*", "?", "[ab]*", "m:*", "*b"]));
    if (r.int(4) === 0) out.push("COUNT", pick(r, ["1", "100", "0", "x"]));
    return out;
  },
  (r, k) => {
    const op = pick(r, ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
    const out: Arg[] = [op, k.key()];
    const n = keyList(r, k, out);
    if (op !== "ZDIFFSTORE" || r.int(10) === 0) setOpts(r, out, n);
    return out;
  },
  (r, k) => {
    const op = pick(r, ["ZUNION", "ZINTER", "ZDIFF"]);
    const out: Arg[] = [op];
    const n = keyList(r, k, out);
    if (op !== "ZDIFF" || r.int(10) === 0) setOpts(r, out, n);
    withscores(r, out);
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["ZINTERCARD"];
    keyList(r, k, out);
    if (r.int(2) === 0) out.push("LIMIT", pick(r, ["0", "1", "2", "-1", "x"]));
    return out;
  },
  // Wrong arities.
  (r, k) =>
    pick(r, [
      ["ZADD", k.key(), "1"],
      ["ZSCORE", k.key()],
      ["ZRANK", k.key(), "a", "b"],
      ["ZRANGE", k.key(), "0"],
      ["ZCARD"],
      ["ZPOPMIN", k.key(), "1", "2"],
      ["ZINCRBY", k.key(), "1"],
      ["ZREMRANGEBYSCORE", k.key(), "0"],
      ["ZRANGESTORE", k.key(), k.key(), "0"],
      ["ZUNION", "1"],
    ]),
];

function setOpts(r: Prng, out: Arg[], n: number): void {
  if (r.int(2) === 0) {
    out.push("WEIGHTS");
    const m = r.int(15) === 0 ? n + 1 : n;
    for (let i = 0; i < m; i++) out.push(pick(r, ["1", "2", "0", "-1", "0.5", "inf", "x"]));
  }
  if (r.int(2) === 0) out.push("AGGREGATE", pick(r, ["SUM", "MIN", "MAX", "min", "avg"]));
}

export const zsetFamily: Family = { name: "zset", weight: 3, gens };
