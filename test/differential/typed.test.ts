// Typed binary replies carry the same values as RESP3: the string, key, sorted set, hash and set streams run
// through two in-process servers, one answering RESP3 and one typed v1 after HELLO 3
// (docs/PROTOCOL.md), and every reply must decode to the same value. Together with diff.test.ts (RESP vs redis-server) this pins the
// typed protocol to Redis's replies for every command the families generate.

import { expect, test } from "bun:test";
import { MODE_RESP3, MODE_V1_TYPED } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { parseReply, RespError, type RespValue } from "../helpers/resp.ts";
import { type Typed, typedWhole } from "../helpers/v1typed.ts";
import { hashFamily } from "./families/hash.ts";
import { keysFamily } from "./families/keys.ts";
import { setFamily } from "./families/set.ts";
import { stringsFamily } from "./families/strings.ts";
import { zsetFamily } from "./families/zset.ts";
import { commandStream } from "./stream.ts";

// Sorted sets nest WITHSCORES pairs in RESP3: typed v1 does too after HELLO 3 (not after HELLO 2).
const FAMILIES = [stringsFamily, keysFamily, zsetFamily, hashFamily, setFamily];

const N = Number(process.env.DIFF_N ?? 5000);
const SEED = Number(process.env.DIFF_SEED ?? 20261125);

/** A RESP3 value in the typed decoder's shape. */
function asTyped(v: RespValue): Typed {
  if (v === null) return { s: "nil" };
  if (typeof v === "string") return { s: "str", v };
  if (typeof v === "number") return { s: "int", v: BigInt(v) };
  if (typeof v === "bigint") return { s: "int", v };
  if (typeof v === "boolean") return { s: "bool", v };
  if (v instanceof RespError) return { s: "err", v: v.message };
  if (Array.isArray(v)) return { s: "array", v: v.map(asTyped) };
  if (v instanceof Map) {
    const items: Typed[] = [];
    for (const [k, x] of v) items.push(asTyped(k), asTyped(x));
    return { s: "map", v: items };
  }
  if ("double" in v) return { s: "double", v: v.double };
  return { s: "str", v: v.verbatim };
}

/** parseReply reads a RESP3 set (`~`, SMEMBERS...) as an array: compare typed sets likewise. */
function setsAsArrays(t: Typed): Typed {
  if (t.s === "set" || t.s === "array") return { s: "array", v: t.v.map(setsAsArrays) };
  if (t.s === "map") return { s: "map", v: t.v.map(setsAsArrays) };
  return t;
}

test(`typed v1 replies decode to the RESP3 values (N=${N}, seed=${SEED})`, () => {
  const resp = new InProc(MODE_RESP3);
  const typed = new InProc(MODE_V1_TYPED);
  typed.exec("HELLO", "3"); // the protocol version decides the shapes, as for a real client
  expect(typed.client.ctx.protover).toBe(3);
  const stream = commandStream(new Prng(SEED), FAMILIES);
  let compared = 0;
  for (let i = 0; i < N; i++) {
    const cmd = stream.next();
    if (String(cmd[0]).toLowerCase() === "randomkey") continue; // a random pick on each side
    const a = resp.exec(...cmd);
    const b = typed.exec(...cmd);
    const want = asTyped(parseReply(a, 0, true)![0]);
    const got = setsAsArrays(typedWhole(b));
    if (
      JSON.stringify(got, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)) !==
      JSON.stringify(want, (_k, x) => (typeof x === "bigint" ? `${x}n` : x))
    ) {
      throw new Error(
        `#${i} ${JSON.stringify(cmd.map(String))}: RESP3 ${JSON.stringify(want, (_k, x) => (typeof x === "bigint" ? `${x}` : x))} typed ${JSON.stringify(got, (_k, x) => (typeof x === "bigint" ? `${x}` : x))}`,
      );
    }
    compared++;
  }
  expect(compared).toBeGreaterThan(N * 0.9);
});

/** Shapes of a typed value: "s" for a string, "d" for a double, [..] for arrays. */
function shape(t: Typed): unknown {
  if (t.s === "array") return t.v.map(shape);
  return t.s === "double" ? "d" : t.s === "str" ? "s" : t.s;
}

test("typed v1 sorted set replies: nested pairs after HELLO 3, flat after HELLO 2", () => {
  const typed = new InProc(MODE_V1_TYPED);
  typed.exec("ZADD", "z", "1", "a", "2.5", "b", "3", "c");
  typed.exec("ZADD", "y", "1", "a");
  const cmds = [
    ["ZRANGE", "z", "0", "1", "WITHSCORES"],
    ["ZRANGEBYSCORE", "z", "-inf", "2.5", "WITHSCORES"],
    ["ZREVRANGE", "z", "0", "1", "WITHSCORES"],
    ["ZDIFF", "2", "z", "y", "WITHSCORES"],
    ["ZRANDMEMBER", "z", "-2", "WITHSCORES"],
  ];
  const shapes = () => cmds.map((c) => shape(typedWhole(typed.exec(...c))));
  const pops = () => {
    typed.exec("ZADD", "p", "1", "a", "2", "b");
    return shape(typedWhole(typed.exec("ZPOPMIN", "p", "2")));
  };
  const flat = ["s", "d", "s", "d"];
  const nested = [
    ["s", "d"],
    ["s", "d"],
  ];
  typed.exec("HELLO", "2");
  expect(shapes()).toEqual(cmds.map(() => flat));
  expect(pops()).toEqual(flat);
  typed.exec("HELLO", "3");
  expect(shapes()).toEqual(cmds.map(() => nested));
  expect(pops()).toEqual(nested);
  // ZMPOP nests in both (as in Redis's RESP2 too).
  typed.exec("HELLO", "2");
  typed.exec("ZADD", "p", "1", "a");
  expect(shape(typedWhole(typed.exec("ZMPOP", "1", "p", "MIN")))).toEqual(["s", [["s", "d"]]]);
});
