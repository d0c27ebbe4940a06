// Hash commands for the differential test. Fields come from a space of < 20 names and values
// stay <= 64 bytes, so every hash stays a listpack in Redis (insertion order: HGETALL, HKEYS,
// HVALS and HSCAN compare byte for byte). Conversions to hashtable are tested on their own
// (test/commands/hash-set-encoding.test.ts). HRANDFIELD is random: only its deterministic cases
// run here (count 0, a count past the size = the whole hash in order, errors); its
// distribution is checked in test/commands/hash-set-random.test.ts.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, CommandGen, Family, KeyPicker } from "../gen.ts";
import { floatText, intText, pattern, pick } from "../values.ts";

const FIELDS = ["f", "g", "a", "b", "f1", "f2", "f10", "", "n", "x:y", "long-field-name"];
const BINARY: Uint8Array[] = [new Uint8Array([0]), new Uint8Array([0xff, 0x61])];

function field(r: Prng): Arg {
  if (r.int(15) === 0) return pick(r, BINARY);
  return pick(r, FIELDS);
}

function hvalue(r: Prng): Arg {
  switch (r.int(6)) {
    case 0:
      return intText(r, 0.2);
    case 1:
      return floatText(r);
    case 2:
      return "x".repeat(r.int(3) === 0 ? 64 : r.int(20));
    case 3:
      return new Uint8Array([0, 1, 0xfe]);
    default:
      return pick(r, ["v", "1", "10", "-3", "1.5", "hello", "", "inf"]);
  }
}

function fields(r: Prng, out: Arg[]): void {
  for (let i = 0, n = 1 + r.int(3); i < n; i++) out.push(field(r));
}

/** Mostly the shared key space (WRONGTYPE, TTLs, RENAME...), sometimes keys of this family only. */
function key(r: Prng, k: KeyPicker): Arg {
  return r.int(3) === 0 ? `hk${r.int(2)}` : k.key();
}

const gens: CommandGen[] = [
  (r, k) => {
    const out: Arg[] = [r.int(5) === 0 ? "HMSET" : "HSET", key(r, k)];
    for (let i = 0, n = 1 + r.int(4); i < n; i++) out.push(field(r), hvalue(r));
    if (r.int(25) === 0) out.pop(); // odd count: arity error
    return out;
  },
  (r, k) => ["HSET", key(r, k), field(r), hvalue(r)],
  (r, k) => ["HSETNX", key(r, k), field(r), hvalue(r)],
  (r, k) => ["HGET", key(r, k), field(r)],
  (r, k) => {
    const out: Arg[] = ["HMGET", key(r, k)];
    fields(r, out);
    return out;
  },
  (r, k) => ["HGETALL", key(r, k)],
  (r, k) => [pick(r, ["HKEYS", "HVALS", "HLEN"]), key(r, k)],
  (r, k) => {
    const out: Arg[] = ["HDEL", key(r, k)];
    fields(r, out);
    return out;
  },
  (r, k) => [pick(r, ["HEXISTS", "HSTRLEN"]), key(r, k), field(r)],
  (r, k) => ["HINCRBY", key(r, k), field(r), intText(r, 0.15)],
  (r, k) => [
    "HINCRBYFLOAT",
    key(r, k),
    field(r),
    pick(r, [
      "1",
      "-1",
      "0.5",
      "1.1",
      "2.5e2",
      "-0.25",
      "abc",
      "inf",
      "-inf",
      "nan",
      "",
      " 1",
      "3",
    ]),
  ],
  (r, k) => {
    const out: Arg[] = ["HRANDFIELD", key(r, k)];
    const x = r.int(6);
    if (x === 0) out.push("0");
    else if (x === 1) out.push("100");
    else if (x === 2) out.push("100", pick(r, ["WITHVALUES", "withvalues", "bogus"]));
    else if (x === 3) out.push(pick(r, ["x", "9223372036854775808", "-9223372036854775808", ""]));
    else if (x === 4) out.push("4611686018427387904", "WITHVALUES");
    else out.push("0", "WITHVALUES", "extra");
    return out;
  },
  (r, k) => {
    const out: Arg[] = [
      "HSCAN",
      key(r, k),
      pick(r, ["0", "0", "0", "x", "-1", "18446744073709551616"]),
    ];
    if (r.int(3) === 0)
      out.push("MATCH", r.int(2) === 0 ? pattern(r) : pick(r, ["f*", "*", "?", "[ab]"]));
    if (r.int(4) === 0) out.push("COUNT", pick(r, ["1", "100", "0", "x", "-1"]));
    if (r.int(20) === 0) out.push(pick(r, ["NOVALUES", "TYPE", "COUNT"]));
    return out;
  },
  (r, k) =>
    pick(r, [
      ["HSET", key(r, k), "f"],
      ["HSET", key(r, k)],
      ["HSETNX", key(r, k), "f"],
      ["HGET", key(r, k)],
      ["HMGET", key(r, k)],
      ["HGETALL"],
      ["HLEN", key(r, k), "x"],
      ["HDEL", key(r, k)],
      ["HINCRBY", key(r, k), "f"],
      ["HINCRBYFLOAT", key(r, k), "f", "1", "2"],
      ["HRANDFIELD"],
      ["HSCAN", key(r, k)],
      ["HSTRLEN", key(r, k)],
    ]),
];

export const hashFamily: Family = { name: "hash", weight: 4, gens };
