// Model test: random string commands on a few keys whose values are often integers (the INCR
// family rewrites those in place: src/commands/strings.ts incrInPlace), against a Map of
// strings with BigInt arithmetic. Every reply is compared byte for byte with the one the model
// builds, so an in-place rewrite that left a stale length, a wrong digit or a leading zero
// shows up in GET / GETRANGE / STRLEN / APPEND / SETRANGE or a later INCR; DUMP + RESTORE
// (the RDB string encodings, integers included) and OBJECT ENCODING (Redis's int / embstr /
// raw rules) are checked on the same values.

import { expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";

const SEED = Number(process.env.MODEL_SEED ?? 20261202);
const STEPS = Number(process.env.MODEL_STEPS ?? 6000);

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
const NOT_INT = "-ERR value is not an integer or out of range\r\n";
const OVERFLOW = "-ERR increment or decrement would overflow\r\n";

/** string2ll: the exact value, or null when Redis would not read the text as an int64. */
function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(-?[1-9][0-9]*|0)$/.test(s)) return null;
  const v = BigInt(s);
  return v < LLONG_MIN || v > LLONG_MAX ? null : v;
}

/** Redis's encoding of a value SET (tryObjectEncoding) or INCR left. */
function derived(s: string): string {
  if (string2ll(s) !== null) return "int";
  return s.length <= 44 ? "embstr" : "raw";
}

const bulk = (s: string | undefined) => (s === undefined ? "$-1\r\n" : `$${s.length}\r\n${s}\r\n`);
const int = (n: number | bigint) => `:${n}\r\n`;

/** GETRANGE's arithmetic (getrangeCommand). */
function getrange(s: string, start: number, end: number): string {
  const len = s.length;
  if (start < 0 && end < 0 && start > end) return "";
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return "";
  return s.slice(start, end + 1);
}

/** The payload of a bulk reply, as bytes (DUMP). */
function bulkBytes(b: Uint8Array): Uint8Array {
  let i = 1;
  let n = 0;
  while (b[i] !== 13) n = n * 10 + (b[i++]! - 48);
  return b.slice(i + 2, i + 2 + n);
}

test(`string commands on integer-like values match a model (seed=${SEED}, ${STEPS} steps)`, () => {
  const h = new InProc(MODE_RESP2);
  const r = new Prng(SEED);
  const model = new Map<string, string>();
  /** Keys whose encoding is "raw" whatever their bytes (APPEND/SETRANGE unshare the value). */
  const rawMarked = new Set<string>();
  const KEYS = ["a", "b", "c", "n"];
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)]!;
  const FIXED = [
    "0",
    "1",
    "-1",
    "9",
    "-9",
    "99",
    "999",
    "-100",
    "007",
    "-0",
    "+5",
    " 5",
    "5 ",
    "",
    "-",
    "abc",
    "12a",
    "1.5",
    "9007199254740991",
    "-9007199254740991",
    "9007199254740993",
    "99999999999999",
    "999999999999999",
    "9999999999999999",
    "9223372036854775806",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "123456789012345678901",
    "x".repeat(50),
  ];
  const value = (): string => {
    const x = r.int(4);
    if (x === 0) return pick(FIXED);
    if (x === 1) return String(r.int(20) - 10);
    const digits = 1 + r.int(16);
    let s = String(1 + r.int(9));
    for (let i = 1; i < digits; i++) s += String(r.int(10));
    return r.int(3) === 0 ? `-${s}` : s;
  };
  const increment = (): string =>
    pick([
      "1",
      "-1",
      "0",
      "7",
      "-7",
      "100",
      "-1000",
      "99999",
      "9007199254740993",
      "9223372036854775807",
      "-9223372036854775808",
      "abc",
      "",
      "+1",
      "01",
      String(r.int(2_000_000) - 1_000_000),
    ]);

  for (let step = 0; step < STEPS; step++) {
    const k = pick(KEYS);
    const cur = model.get(k);
    const where = `step ${step}`;
    const x = r.int(16);
    let cmd: string[];
    let want: string;
    if (x <= 1) {
      const v = value();
      cmd = ["SET", k, v];
      want = "+OK\r\n";
      model.set(k, v);
      rawMarked.delete(k);
    } else if (x <= 6) {
      // the INCR family, most of the steps
      const which = r.int(4);
      const arg = increment();
      cmd =
        which === 0
          ? ["INCR", k]
          : which === 1
            ? ["DECR", k]
            : [which === 2 ? "INCRBY" : "DECRBY", k, arg];
      let by = which === 0 ? 1n : which === 1 ? -1n : string2ll(arg);
      const old = cur === undefined ? 0n : string2ll(cur);
      if (by === null) want = NOT_INT;
      else if (which === 3 && by === LLONG_MIN) want = "-ERR decrement would overflow\r\n";
      else if (old === null) want = NOT_INT;
      else {
        if (which === 3) by = -by;
        const sum = old + by;
        if (sum > LLONG_MAX || sum < LLONG_MIN) want = OVERFLOW;
        else {
          want = int(sum);
          model.set(k, String(sum));
          rawMarked.delete(k);
        }
      }
    } else if (x === 7) {
      cmd = ["GET", k];
      want = bulk(cur);
    } else if (x === 8) {
      const s = pick(["", "0", "1", "x", "-", "99"]);
      cmd = ["APPEND", k, s];
      const v = (cur ?? "") + s;
      want = int(v.length);
      model.set(k, v);
      if (cur !== undefined)
        rawMarked.add(k); // a new key is stored as SET would
      else rawMarked.delete(k);
    } else if (x === 9) {
      const off = r.int(cur === undefined ? 3 : cur.length + 2);
      const s = pick(["", "0", "5", "9", "-", "ab", "00"]);
      cmd = ["SETRANGE", k, String(off), s];
      if (s === "") want = int(cur?.length ?? 0);
      else {
        const base = (cur ?? "").padEnd(off, "\0");
        const v = base.slice(0, off) + s + base.slice(off + s.length);
        want = int(v.length);
        model.set(k, v);
        rawMarked.add(k);
      }
    } else if (x === 10) {
      const a = r.int(12) - 6;
      const b = r.int(12) - 6;
      cmd = ["GETRANGE", k, String(a), String(b)];
      want = bulk(cur === undefined ? "" : getrange(cur, a, b));
    } else if (x === 11) {
      cmd = ["STRLEN", k];
      want = int(cur?.length ?? 0);
    } else if (x === 12) {
      const v = value();
      cmd = ["GETSET", k, v];
      want = bulk(cur);
      model.set(k, v);
      rawMarked.delete(k);
    } else if (x === 13) {
      const other = pick(KEYS);
      cmd = ["MGET", k, other];
      want = `*2\r\n${bulk(cur)}${bulk(model.get(other))}`;
    } else if (x === 14) {
      cmd = ["OBJECT", "ENCODING", k];
      if (cur === undefined) want = "$-1\r\n";
      else want = bulk(rawMarked.has(k) ? "raw" : derived(cur));
    } else {
      // DUMP, then RESTORE into "copy": the same bytes back, and the encoding RESTORE derives
      const dump = h.exec("DUMP", k);
      if (cur === undefined) {
        expect([where, "DUMP", String.fromCharCode(...dump)]).toEqual([where, "DUMP", "$-1\r\n"]);
        continue;
      }
      const restored = h.raw("RESTORE", "copy", "0", bulkBytes(dump), "REPLACE");
      expect([where, "RESTORE", restored]).toEqual([where, "RESTORE", "+OK\r\n"]);
      cmd = ["GET", "copy"];
      want = bulk(cur);
      const enc = h.raw("OBJECT", "ENCODING", "copy");
      expect([where, "RESTORE encoding", enc]).toEqual([
        where,
        "RESTORE encoding",
        bulk(derived(cur)),
      ]);
    }
    expect([where, cmd, h.raw(...cmd)]).toEqual([where, cmd, want]);
  }
  // the store's own view of the same keys
  const t = h.server.keyspace.db(0);
  t.checkInvariants();
  for (const [k, v] of model) expect([k, h.raw("GET", k)]).toEqual([k, bulk(v)]);
});
