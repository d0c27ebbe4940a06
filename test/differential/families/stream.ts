// Stream commands for the differential test: every non-blocking stream command with random
// arguments, edge IDs ("(", "-", "+", "ms-*", bare ms, u64 extremes, bad IDs), trims (= and ~,
// LIMIT), consumer groups (XREADGROUP > and history, NOACK, XACK, XCLAIM options, XAUTOCLAIM),
// XINFO and XSETID, wrong types and wrong arities.
//
// Determinism: XADD never uses "*" (time-based IDs); IDs are explicit (or "ms-*", which Redis
// derives from the top ID). Min-idle times are 0 or huge, so whether an entry qualifies never
// depends on the clock. What does depend on it is normalised by `normalize` below, on both
// replies alike: idle times (XPENDING, XINFO CONSUMERS), absolute times (XINFO STREAM FULL's
// seen-time and delivery times), and XINFO's radix-tree-nodes, an artefact of Redis's rax that
// imds estimates (docs/COMMANDS.md).

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, CommandGen, Family, KeyPicker } from "../gen.ts";

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.int(xs.length)]!;

/** Stream keys (most commands) beside the shared key space (WRONGTYPE, missing keys). */
function skey(r: Prng, k: KeyPicker): Arg {
  return r.int(6) === 0 ? k.key() : `st:${r.int(3)}`;
}

const BAD_IDS = ["x", "1-x", "-1", "1-", "", "18446744073709551616", "1--5", "1.5", "1-*-1"];
const EDGE_IDS = ["0-1", "18446744073709551615-18446744073709551615", "18446744073709551615", "0"];

function ms(r: Prng): number {
  return r.int(40);
}

/** An explicit XADD ID: mostly ascending-ish small IDs. */
function addId(r: Prng): string {
  const k = r.int(30);
  if (k === 0) return pick(r, BAD_IDS);
  if (k === 1) return pick(r, EDGE_IDS);
  if (k < 6) return `${ms(r)}-*`;
  if (k < 9) return String(ms(r));
  return `${ms(r)}-${r.int(4)}`;
}

/** An ID argument (XDEL, XACK, XCLAIM...): strict. */
function anId(r: Prng): string {
  const k = r.int(25);
  if (k === 0) return pick(r, BAD_IDS);
  if (k === 1) return pick(r, ["-", "+", ...EDGE_IDS]);
  if (k < 5) return String(ms(r));
  return `${ms(r)}-${r.int(4)}`;
}

function rangeBound(r: Prng, start: boolean): string {
  const k = r.int(12);
  if (k === 0) return pick(r, ["x", "(", "(-", "(+", "((1", "1-x"]);
  if (k === 1) return pick(r, ["(0-0", "(18446744073709551615-18446744073709551615", "(0"]);
  if (k < 5) return start ? "-" : "+";
  const id = r.int(2) === 0 ? String(ms(r)) : `${ms(r)}-${r.int(4)}`;
  return r.int(4) === 0 ? `(${id}` : id;
}

const FIELDS = ["a", "b", "c", "field", "", "f:1"];
const VALUES = ["1", "2", "v", "", "hello", "12345678901234567890", "-7"];

function fieldsValues(r: Prng, out: Arg[]): void {
  const n = r.int(12) === 0 ? 0 : 1 + r.int(3);
  for (let i = 0; i < n; i++) out.push(pick(r, FIELDS), pick(r, VALUES));
  if (r.int(20) === 0) out.push("odd");
}

function count(r: Prng): string {
  return pick(r, ["0", "1", "2", "3", "5", "100", "-1", "x"]);
}

function trimOpts(r: Prng, out: Arg[], forXtrim: boolean): void {
  const k = r.int(forXtrim ? 8 : 3);
  if (k === 0 && !forXtrim) return;
  const strat = r.int(20) === 0 ? "LIMIT" : r.int(2) === 0 ? "MAXLEN" : "MINID";
  if (strat === "LIMIT") {
    out.push("LIMIT", count(r));
    return;
  }
  out.push(r.int(5) === 0 ? strat.toLowerCase() : strat);
  const op = r.int(3);
  if (op === 1) out.push("~");
  else if (op === 2) out.push("=");
  if (strat === "MAXLEN") out.push(pick(r, ["0", "1", "2", "3", "5", "10", "-1", "x"]));
  else out.push(anId(r));
  if (r.int(4) === 0) out.push("LIMIT", pick(r, ["0", "1", "2", "10", "-1", "x"]));
  if (r.int(25) === 0) out.push("MAXLEN", "1");
}

const GROUPS = ["g1", "g2", "g3"];
const CONSUMERS = ["c1", "c2", "c3", "alice"];
const group = (r: Prng) => (r.int(15) === 0 ? "nog" : pick(r, GROUPS));
const consumer = (r: Prng) => pick(r, CONSUMERS);
const idle = (r: Prng) => pick(r, ["0", "0", "100000000", "-5", "x"]);

const gens: CommandGen[] = [
  // XADD (weighted: three generators)
  ...Array.from(
    { length: 4 },
    (): CommandGen => (r, k) => {
      const out: Arg[] = ["XADD", skey(r, k)];
      if (r.int(8) === 0) out.push("NOMKSTREAM");
      if (r.int(3) === 0) trimOpts(r, out, false);
      out.push(addId(r));
      fieldsValues(r, out);
      return out;
    },
  ),
  (r, k) => {
    const out: Arg[] = [pick(r, ["XRANGE", "XREVRANGE"]), skey(r, k)];
    const a = rangeBound(r, true);
    const b = rangeBound(r, false);
    if (out[0] === "XRANGE") out.push(a, b);
    else out.push(b, a);
    if (r.int(2) === 0) out.push(r.int(6) === 0 ? "count" : "COUNT", count(r));
    if (r.int(20) === 0) out.push("EXTRA");
    return out;
  },
  (r, k) => ["XLEN", skey(r, k)],
  (r, k) => {
    const out: Arg[] = ["XDEL", skey(r, k)];
    for (let i = 0, n = 1 + r.int(3); i < n; i++) out.push(anId(r));
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["XTRIM", skey(r, k)];
    trimOpts(r, out, true);
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["XREAD"];
    if (r.int(2) === 0) out.push("COUNT", count(r));
    if (r.int(15) === 0) out.push(pick(r, ["NOACK", "GROUP", "BLOCK"]), "g1", "c1");
    if (r.int(20) === 0) out.push("BLOCK", pick(r, ["-1", "x", "1.5", "-9223372036854775808"])); // never a valid one: Redis would block
    out.push(r.int(15) === 0 ? "streams" : "STREAMS");
    const n = 1 + r.int(2);
    for (let i = 0; i < n; i++) out.push(skey(r, k));
    const m = r.int(20) === 0 ? n + 1 : n;
    for (let i = 0; i < m; i++) out.push(r.int(4) === 0 ? pick(r, ["$", ">"]) : anId(r));
    return out;
  },
  // XGROUP
  (r, k) => {
    const out: Arg[] = ["XGROUP", "CREATE", skey(r, k), group(r)];
    out.push(r.int(4) === 0 ? "$" : r.int(8) === 0 ? pick(r, BAD_IDS) : anId(r));
    if (r.int(2) === 0) out.push("MKSTREAM");
    if (r.int(4) === 0) out.push("ENTRIESREAD", pick(r, ["0", "1", "5", "-1", "-2", "x"]));
    if (r.int(20) === 0) out.push("BOGUS");
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["XGROUP", "SETID", skey(r, k), group(r)];
    out.push(r.int(4) === 0 ? "$" : rangeBound(r, true).replace("(", ""));
    if (r.int(3) === 0) out.push("ENTRIESREAD", pick(r, ["0", "2", "-1", "-3"]));
    if (r.int(20) === 0) out.push("MKSTREAM");
    return out;
  },
  (r, k) =>
    pick(r, [
      ["XGROUP", "DESTROY", skey(r, k), group(r)],
      ["XGROUP", "CREATECONSUMER", skey(r, k), group(r), consumer(r)],
      ["XGROUP", "DELCONSUMER", skey(r, k), group(r), consumer(r)],
      ["XGROUP", "HELP"],
      ["XGROUP", "BOGUS", "st:0", "g1"],
      ["XGROUP", "help", "extra"],
    ]),
  // XREADGROUP (weighted)
  ...Array.from(
    { length: 3 },
    (): CommandGen => (r, k) => {
      const out: Arg[] = ["XREADGROUP", "GROUP", group(r), consumer(r)];
      if (r.int(2) === 0) out.push("COUNT", count(r));
      if (r.int(4) === 0) out.push("NOACK");
      out.push("STREAMS");
      const n = r.int(5) === 0 ? 2 : 1;
      for (let i = 0; i < n; i++) out.push(skey(r, k));
      for (let i = 0; i < n; i++) out.push(r.int(3) !== 0 ? ">" : r.int(6) === 0 ? "$" : anId(r));
      if (r.int(25) === 0) return ["XREADGROUP", "COUNT", "1", "STREAMS", "st:0", ">"];
      return out;
    },
  ),
  (r, k) => {
    const out: Arg[] = ["XACK", skey(r, k), group(r)];
    for (let i = 0, n = 1 + r.int(3); i < n; i++) out.push(anId(r));
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["XPENDING", skey(r, k), group(r)];
    if (r.int(3) === 0) return out;
    if (r.int(3) === 0) out.push("IDLE", idle(r));
    out.push(rangeBound(r, true), rangeBound(r, false), count(r));
    if (r.int(2) === 0) out.push(consumer(r));
    if (r.int(20) === 0) out.push("extra", "x");
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["XCLAIM", skey(r, k), group(r), consumer(r), idle(r)];
    for (let i = 0, n = 1 + r.int(3); i < n; i++) out.push(anId(r));
    if (r.int(3) === 0) out.push("IDLE", pick(r, ["0", "1000", "x", "-5"]));
    if (r.int(4) === 0) out.push("TIME", pick(r, ["1000", "0", "-1", "x"]));
    if (r.int(3) === 0) out.push("RETRYCOUNT", pick(r, ["0", "3", "x", "-1"]));
    if (r.int(3) === 0) out.push("FORCE");
    if (r.int(3) === 0) out.push("JUSTID");
    if (r.int(4) === 0) out.push("LASTID", anId(r));
    if (r.int(20) === 0) out.push("BOGUS");
    return out;
  },
  (r, k) => {
    const out: Arg[] = ["XAUTOCLAIM", skey(r, k), group(r), consumer(r), idle(r)];
    out.push(rangeBound(r, true));
    if (r.int(2) === 0) out.push("COUNT", pick(r, ["1", "2", "3", "0", "-1", "x", "100"]));
    if (r.int(3) === 0) out.push("JUSTID");
    if (r.int(20) === 0) out.push("BOGUS");
    return out;
  },
  (r, k) => {
    const key = skey(r, k);
    return pick(r, [
      ["XINFO", "STREAM", key],
      ["XINFO", "STREAM", key, "FULL"],
      ["XINFO", "STREAM", key, "FULL", "COUNT", count(r)],
      ["XINFO", "STREAM", key, "FULL", "COUNT"],
      ["XINFO", "STREAM", key, "NOTFULL"],
      ["XINFO", "GROUPS", key],
      ["XINFO", "CONSUMERS", key, group(r)],
      ["XINFO", "HELP"],
      ["XINFO", "HELP", "x"],
      ["XINFO", "BOGUS", key],
    ]);
  },
  (r, k) => {
    const out: Arg[] = [
      "XSETID",
      skey(r, k),
      r.int(3) === 0 ? anId(r) : `${30 + ms(r)}-${r.int(3)}`,
    ];
    if (r.int(3) === 0) out.push("ENTRIESADDED", pick(r, ["0", "3", "100", "-1", "x"]));
    if (r.int(3) === 0) out.push("MAXDELETEDID", anId(r));
    if (r.int(20) === 0) out.push("BOGUS");
    return out;
  },
  // Wrong arities.
  (r, k) =>
    pick(r, [
      ["XADD", skey(r, k), "1-1"],
      ["XADD", skey(r, k)],
      ["XRANGE", skey(r, k), "-"],
      ["XLEN"],
      ["XDEL", skey(r, k)],
      ["XTRIM", skey(r, k)],
      ["XREAD", "STREAMS"],
      ["XACK", skey(r, k), "g1"],
      ["XCLAIM", skey(r, k), "g1", "c1", "0"],
      ["XAUTOCLAIM", skey(r, k), "g1", "c1", "0"],
      ["XSETID", skey(r, k)],
      ["XGROUP", "CREATE", skey(r, k), "g1"],
      ["XINFO", "STREAM"],
      ["XPENDING", skey(r, k)],
    ]),
];

/** Clock-dependent parts of a reply (raw bytes as latin1), made equal on both sides. */
function normalize(name: string, reply: string): string {
  if (name === "xpending") {
    // extended form: [id, consumer, idle ms, deliveries]
    return reply.replace(/(\*4\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, "$1:I\r\n");
  }
  if (name === "xinfo") {
    return reply
      .replace(/(\$16\r\nradix-tree-nodes\r\n):\d+/g, "$1:N")
      .replace(/(\$4\r\nidle\r\n):\d+/g, "$1:I")
      .replace(/:\d{12,}\r\n/g, ":T\r\n");
  }
  return reply;
}

export const streamFamily: Family = { name: "stream", weight: 4, gens, normalize };
