// HRANDFIELD, SRANDMEMBER and SPOP: random, so not compared with Redis reply for reply. Checked
// here for validity (counts, distinctness, membership, pairs, reply types) on every encoding and
// count case of Redis's algorithms, and for uniformity (every element's share within a generous
// bound of the expected one).

import { describe, expect, test } from "bun:test";
import { randomLimits } from "../../src/commands/hash-scan.ts";
import { MODE_RESP2, MODE_RESP3, type ReplyMode } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { parseReply } from "../helpers/resp.ts";

const inproc = () => new InProc(MODE_RESP2, { "v1-max-args": String(1 << 20) });

function value(h: InProc, cmd: string | string[], mode: ReplyMode = MODE_RESP2): unknown {
  const r = h.text(cmd, mode);
  return parseReply(Buffer.from(r, "latin1"), 0, true)![0];
}

/** Keys of every encoding: listpack / hashtable hashes, intset / hashtable sets, n elements. */
function setup(h: InProc, n: number): void {
  const small = ["HSET", "hsmall"];
  const big = ["HSET", "hbig"];
  const si = ["SADD", "sint"];
  const sh = ["SADD", "shash"];
  for (let i = 0; i < n; i++) {
    small.push(`f${i}`, `v${i}`);
    big.push(`f${i}`, `v${i}`);
    si.push(String(i));
    sh.push(`m${i}`);
  }
  big.push("long", "x".repeat(100)); // a hashtable from the start
  h.text(small);
  h.text(big);
  h.text(si);
  h.text(sh);
  h.text("HDEL hbig long");
}

const ENCODED = [
  ["hsmall", "HRANDFIELD", "listpack"],
  ["hbig", "HRANDFIELD", "hashtable"],
  ["sint", "SRANDMEMBER", "intset"],
  ["shash", "SRANDMEMBER", "hashtable"],
] as const;

/** All elements of the key (fields or members). */
function universe(h: InProc, key: string): Set<string> {
  const v = key.startsWith("h") ? value(h, `HKEYS ${key}`) : value(h, `SMEMBERS ${key}`);
  return new Set(v as string[]);
}

describe("random element commands", () => {
  test("counts follow Redis's rules on every encoding", () => {
    const h = inproc();
    setup(h, 40);
    for (const [key, cmd, enc] of ENCODED) {
      expect(h.text(`OBJECT ENCODING ${key}`)).toContain(enc);
      const all = universe(h, key);
      expect(all.size).toBe(40);
      // no count: one bulk of an element
      for (let i = 0; i < 50; i++) expect(all.has(value(h, `${cmd} ${key}`) as string)).toBe(true);
      // positive counts: distinct elements, min(count, size) of them (both algorithms: count*3 > size and not)
      for (const count of [1, 5, 13, 14, 30, 39, 40, 41, 1000]) {
        const got = value(h, `${cmd} ${key} ${count}`) as string[];
        expect(got.length).toBe(Math.min(count, 40));
        expect(new Set(got).size).toBe(got.length);
        for (const x of got) expect(all.has(x)).toBe(true);
      }
      // negative counts: exactly |count| picks, repetition allowed
      for (const count of [-1, -7, -100]) {
        const got = value(h, `${cmd} ${key} ${count}`) as string[];
        expect(got.length).toBe(-count);
        for (const x of got) expect(all.has(x)).toBe(true);
      }
      expect(h.text(`${cmd} ${key} 0`)).toBe("*0\r\n");
      expect(h.text(`${cmd} nokey 5`)).toBe("*0\r\n");
      expect(h.text(`${cmd} nokey`)).toBe("$-1\r\n");
      expect(h.text(`${cmd} ${key} -${randomLimits.withRepetitionMax + 1}`)).toStartWith(
        "-ERR count",
      );
    }
  });

  test("HRANDFIELD WITHVALUES gives the field's own value, flat in RESP2, pairs in RESP3", () => {
    const h = inproc();
    setup(h, 20);
    for (const key of ["hsmall", "hbig"]) {
      for (const count of [3, -30, 100]) {
        const flat = value(h, `HRANDFIELD ${key} ${count} WITHVALUES`) as string[];
        expect(flat.length).toBe(2 * Math.min(Math.abs(count), count < 0 ? 30 : 20));
        for (let i = 0; i < flat.length; i += 2) expect(flat[i + 1]).toBe(`v${flat[i]!.slice(1)}`);
        const pairs = value(h, `HRANDFIELD ${key} ${count} WITHVALUES`, MODE_RESP3) as string[][];
        expect(pairs.length).toBe(flat.length / 2);
        for (const [f, v] of pairs) expect(v).toBe(`v${f!.slice(1)}`);
      }
    }
  });

  test("picks are uniform: single picks, negative counts and distinct subsets", () => {
    const h = inproc();
    const n = 10;
    setup(h, n);
    for (const [key, cmd] of ENCODED) {
      const all = [...universe(h, key)];
      const tally = (xs: string[]) => {
        const m = new Map<string, number>(all.map((x) => [x, 0]));
        for (const x of xs) m.set(x, m.get(x)! + 1);
        return [...m.values()];
      };
      // 20000 picks with repetition: each of 10 elements expected 2000 times
      const picks = value(h, `${cmd} ${key} -20000`) as string[];
      for (const c of tally(picks)) expect(Math.abs(c - 2000)).toBeLessThan(300);
      // distinct subsets of 3 (rejection sampling) and of 7 (count*3 > size): each element's
      // share is count/size of the draws
      for (const count of [3, 7]) {
        const got: string[] = [];
        for (let i = 0; i < 2000; i++)
          got.push(...(value(h, `${cmd} ${key} ${count}`) as string[]));
        const expected = (2000 * count) / n;
        for (const c of tally(got)) expect(Math.abs(c - expected)).toBeLessThan(expected * 0.15);
      }
    }
  });

  test("SPOP removes what it returns, distinct, uniformly; SPOP count replies a set", () => {
    const h = inproc();
    for (const kind of ["int", "str"]) {
      const member = (i: number) => (kind === "int" ? String(i) : `m${i}`);
      for (const count of [1, 3, 30, 37, 39, 40, 100]) {
        h.text(["SADD", "s", ...Array.from({ length: 40 }, (_, i) => member(i))]);
        const popped = value(h, `SPOP s ${count}`) as string[];
        expect(popped.length).toBe(Math.min(count, 40));
        expect(new Set(popped).size).toBe(popped.length);
        const rest = (value(h, "SMEMBERS s") as string[]) ?? [];
        expect(rest.length + popped.length).toBe(40);
        const seen = new Set([...rest, ...popped]);
        expect(seen.size).toBe(40);
        h.text("DEL s");
      }
      h.text(["SADD", "s", member(1), member(2)]);
      expect(h.text("SPOP s 5", MODE_RESP3)).toStartWith("~2\r\n");
      expect(h.text("EXISTS s")).toBe(":0\r\n");
    }
    // single SPOP over fresh 5-member sets: each member first about 1/5 of the time
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      h.text("SADD u a b c d e");
      const x = value(h, "SPOP u") as string;
      counts.set(x, (counts.get(x) ?? 0) + 1);
      h.text("DEL u");
    }
    expect(counts.size).toBe(5);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(200);
  }, 30000);
});
