// Typed binary replies carry the same values as RESP3: the string and key streams run through two
// in-process servers, one answering RESP3 and one typed v1 (docs/PROTOCOL.md), and every reply
// must decode to the same value. Together with diff.test.ts (RESP vs redis-server) this pins the
// typed protocol to Redis's replies for every command the families generate.

import { expect, test } from "bun:test";
import { MODE_RESP3, MODE_V1_TYPED } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { parseReply, RespError, type RespValue } from "../helpers/resp.ts";
import { type Typed, typedWhole } from "../helpers/v1typed.ts";
import { keysFamily } from "./families/keys.ts";
import { stringsFamily } from "./families/strings.ts";
import { commandStream } from "./stream.ts";

// Families whose replies have one shape in RESP2 and RESP3 (apart from the types themselves).
// Sorted-set replies nest WITHSCORES pairs in RESP3 only, so they are not compared here.
const FAMILIES = [stringsFamily, keysFamily];

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

test(`typed v1 replies decode to the RESP3 values (N=${N}, seed=${SEED})`, () => {
  const resp = new InProc(MODE_RESP3);
  const typed = new InProc(MODE_V1_TYPED);
  const stream = commandStream(new Prng(SEED), FAMILIES);
  let compared = 0;
  for (let i = 0; i < N; i++) {
    const cmd = stream.next();
    if (String(cmd[0]).toLowerCase() === "randomkey") continue; // a random pick on each side
    const a = resp.exec(...cmd);
    const b = typed.exec(...cmd);
    const want = asTyped(parseReply(a, 0, true)![0]);
    const got = typedWhole(b);
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
