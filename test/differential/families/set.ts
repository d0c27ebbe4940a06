// Set commands for the differential test. Members mix canonical integers (intsets, which Redis
// answers in ascending order), integer-like texts that are not canonical ("+1", "007", "-0"),
// words and bytes (hashtables, whose order Redis leaves unspecified: those replies compare as
// sorted elements; SSCAN always asks COUNT 1000 so one call returns everything
// (a cursor other than 0 means different things in a Redis dict and here: not compared). SPOP and
// SRANDMEMBER run only their deterministic cases here (0, a count past the size, errors); the
// random ones are checked in test/commands/hash-set-random.test.ts.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, CommandGen, Family, KeyPicker } from "../gen.ts";
import { pattern, pick } from "../values.ts";

const INTS = [
  "1",
  "2",
  "3",
  "10",
  "-5",
  "0",
  "100000",
  "9223372036854775807",
  "-9223372036854775808",
];
const OTHER = ["a", "b", "c", "", "+1", "007", "-0", "9223372036854775808", "1.5", "m:1"];

function member(r: Prng): Arg {
  if (r.int(20) === 0) return pick(r, [new Uint8Array([0]), new Uint8Array([0xff, 0x31])]);
  return r.int(3) === 0 ? pick(r, OTHER) : pick(r, INTS);
}

function members(r: Prng, out: Arg[], max = 4): void {
  for (let i = 0, n = 1 + r.int(max); i < n; i++) out.push(member(r));
}

function someKeys(r: Prng, k: KeyPicker, out: Arg[]): number {
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) out.push(key(r, k));
  return n;
}

/** Mostly the shared key space (WRONGTYPE, TTLs, RENAME...), sometimes keys of this family only. */
function key(r: Prng, k: KeyPicker): Arg {
  return r.int(3) === 0 ? `sk${r.int(3)}` : k.key();
}

const gens: CommandGen[] = [
  (r, k) => {
    const out: Arg[] = ["SADD", key(r, k)];
    members(r, out, 6);
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["SADD", key(r, k)];
    members(r, out);
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["SREM", key(r, k)];
    members(r, out);
    return out;
  },
  (r, k) => ["SISMEMBER", key(r, k), member(r)],
  (r, k) => {
    const out: Arg[] = ["SMISMEMBER", key(r, k)];
    members(r, out);
    return out;
  },
  (r, k) => [pick(r, ["SMEMBERS", "SCARD"]), key(r, k)],
  (r, k) => ["SMOVE", key(r, k), key(r, k), member(r)],
  (r, k) => {
    const out: Arg[] = [pick(r, ["SINTER", "SUNION", "SDIFF"])];
    someKeys(r, k, out);
    return out;
  },
  (r, k) => {
    const out: Arg[] = [pick(r, ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), key(r, k)];
    someKeys(r, k, out);
    return out;
  },
  (r, k) => {
    const n = 1 + r.int(3);
    const out: Arg[] = [
      "SINTERCARD",
      r.int(15) === 0 ? pick(r, ["0", "-1", "x", String(n + 1)]) : String(n),
    ];
    for (let i = 0; i < n; i++) out.push(key(r, k));
    if (r.int(3) === 0) out.push("LIMIT", pick(r, ["0", "1", "2", "-1", "x"]));
    if (r.int(20) === 0) out.push("BOGUS");
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["SSCAN", key(r, k), pick(r, ["0", "0", "0", "x", " 0"])];
    if (r.int(3) === 0)
      out.push("MATCH", r.int(2) === 0 ? pattern(r) : pick(r, ["1*", "*", "?", "[ab]"]));
    out.push("COUNT", r.int(12) === 0 ? pick(r, ["0", "x", "-1"]) : "1000");
    if (r.int(20) === 0) out.push("TYPE", "set");
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["SPOP", key(r, k)];
    const x = r.int(4);
    if (x === 0) out.push("0");
    else if (x === 1) out.push("100");
    else if (x === 2) out.push(pick(r, ["-1", "x", "", "9223372036854775808"]));
    else out.push("1", "2");
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["SRANDMEMBER", key(r, k)];
    const x = r.int(4);
    if (x === 0) out.push("0");
    else if (x === 1) out.push("100");
    else if (x === 2) out.push(pick(r, ["x", "-9223372036854775808", "9223372036854775808"]));
    else out.push("1", "2");
    return out;
  },
  (r, k) => {
    const out: Arg[] = [pick(r, ["ZUNION", "ZINTER", "ZDIFF"]), "2", key(r, k), key(r, k)];
    if (r.int(2) === 0) out.push("WITHSCORES");
    return out;
  },
  (r, k) => [
    pick(r, ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]),
    key(r, k),
    "2",
    key(r, k),
    key(r, k),
  ],
  (r, k) => ["OBJECT", "ENCODING", key(r, k)],
  (r, k) =>
    pick(r, [
      ["SADD", key(r, k)],
      ["SREM", key(r, k)],
      ["SISMEMBER", key(r, k)],
      ["SMISMEMBER", key(r, k)],
      ["SMEMBERS"],
      ["SCARD", key(r, k), "x"],
      ["SMOVE", key(r, k), key(r, k)],
      ["SINTER"],
      ["SUNIONSTORE", key(r, k)],
      ["SINTERCARD", "1"],
      ["SSCAN", key(r, k)],
      ["SPOP"],
      ["SRANDMEMBER"],
    ]),
];

export const setFamily: Family = {
  name: "set",
  weight: 4,
  unordered: ["smembers", "sinter", "sunion", "sdiff", "spop", "srandmember", "sscan"],
  gens,
};
