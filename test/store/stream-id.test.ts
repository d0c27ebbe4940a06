import { describe, expect, test } from "bun:test";
import {
  decrId,
  ERR_END_INTERVAL,
  ERR_INVALID_ID,
  ERR_START_INTERVAL,
  formatId,
  ID_EXCLUSIVE,
  ID_INVALID,
  ID_OK,
  ID_SEQ_AUTO,
  incrId,
  nextAutoId,
  parseId,
  parseIntervalId,
  parseRangeBound,
  StreamId,
  writeId,
} from "../../src/store/stream-id.ts";
import { Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();
const MAX = "18446744073709551615";

function parse(text: string | Uint8Array, seqMax = false, strict = false, star = false): string {
  const b = typeof text === "string" ? enc.encode(text) : text;
  const out = new StreamId();
  const r = parseId(b, 0, b.length, out, seqMax, strict, star);
  if (r === ID_INVALID) return "invalid";
  return (r === ID_SEQ_AUTO ? "auto:" : "") + formatId(out);
}

describe("parseId (streamGenericParseIDOrReply + string2ull)", () => {
  test("plain forms", () => {
    expect(parse("1-2")).toBe("1-2");
    expect(parse("5")).toBe("5-0");
    expect(parse("5", true)).toBe(`5-${MAX}`);
    expect(parse("-")).toBe("0-0");
    expect(parse("+")).toBe(`${MAX}-${MAX}`);
    expect(parse("-", false, true)).toBe("invalid");
    expect(parse("+", false, true)).toBe("invalid");
    expect(parse(`${MAX}-${MAX}`)).toBe(`${MAX}-${MAX}`);
    expect(parse("18446744073709551616-0")).toBe("invalid");
    expect(parse("0-18446744073709551616")).toBe("invalid");
    expect(parse("9007199254740993-9007199254740993")).toBe("9007199254740993-9007199254740993");
  });
  test("strtoull leniency and string2ll strictness, as Redis", () => {
    expect(parse(" 5-1")).toBe("5-1");
    expect(parse("+5-1")).toBe("5-1");
    expect(parse("05-01")).toBe("5-1");
    expect(parse("1--5")).toBe("invalid"); // string2ll parses -5: negative refused
    expect(parse("1--05")).toBe(`1-18446744073709551611`); // strtoull negates mod 2^64
    expect(parse("1--0")).toBe("1-0");
    expect(parse("1--9223372036854775808")).toBe("invalid");
    expect(parse("1--9223372036854775809")).toBe("1-9223372036854775807");
    expect(parse("1-")).toBe("invalid");
    expect(parse("-1")).toBe("invalid");
    expect(parse("")).toBe("invalid");
    expect(parse("1-2-3")).toBe("invalid");
    expect(parse("5 ")).toBe("invalid");
    expect(parse("0x10")).toBe("invalid");
    expect(parse("a")).toBe("invalid");
    expect(parse("1".repeat(128))).toBe("invalid");
    expect(parse(new Uint8Array([49, 45, 50, 0, 120]))).toBe("1-2"); // C string: cut at NUL
    expect(parse(new Uint8Array([45, 0, 49]))).toBe("0-0");
  });
  test("ms-* only where XADD asks", () => {
    expect(parse("7-*", false, true, true)).toBe("auto:7-0");
    expect(parse("7-*")).toBe("invalid");
    expect(parse("*", false, true, true)).toBe("invalid"); // "*" alone is the caller's
  });
  test("interval bounds", () => {
    const out = new StreamId();
    const b = enc.encode("(5-3");
    expect(parseIntervalId(b, 0, b.length, out, false)).toBe(ID_EXCLUSIVE);
    expect(formatId(out)).toBe("5-3");
    const c = enc.encode("(");
    expect(parseIntervalId(c, 0, 1, out, false)).toBe(ID_INVALID);
    const d = enc.encode("(-");
    expect(parseIntervalId(d, 0, 2, out, false)).toBe(ID_INVALID); // strict after "("
    const bound = (t: string, start: boolean) => {
      const x = enc.encode(t);
      const r = parseRangeBound(x, 0, x.length, out, start);
      return r ?? formatId(out);
    };
    expect(bound("(5", true)).toBe("5-1");
    expect(bound("(5", false)).toBe("5-18446744073709551614"); // missing seq is max, then decr
    expect(bound("(5-0", false)).toBe(`4-${MAX}`);
    expect(bound(`(${MAX}-${MAX}`, true)).toBe(ERR_START_INTERVAL);
    expect(bound("(0-0", false)).toBe(ERR_END_INTERVAL);
    expect(bound("x", true)).toBe(ERR_INVALID_ID);
    expect(bound("5", false)).toBe(`5-${MAX}`);
  });
});

describe("increment, decrement, next id", () => {
  test("carries across halves", () => {
    const id = new StreamId();
    const t = enc.encode("4294967295-18446744073709551615");
    parseId(t, 0, t.length, id, false, false);
    expect(incrId(id)).toBe(true);
    expect(formatId(id)).toBe("4294967296-0");
    expect(decrId(id)).toBe(true);
    expect(formatId(id)).toBe("4294967295-18446744073709551615");
    const max = new StreamId().setMax();
    expect(incrId(max)).toBe(false);
    expect(formatId(max)).toBe("0-0");
    expect(decrId(max)).toBe(false);
    expect(formatId(max)).toBe(`${MAX}-${MAX}`);
  });
  test("nextAutoId: clock forward, equal, backwards", () => {
    const last = new StreamId(1000, 5);
    const out = new StreamId();
    nextAutoId(last, 2000, out);
    expect(formatId(out)).toBe("2000-0");
    nextAutoId(last, 1000, out);
    expect(formatId(out)).toBe("1000-6");
    nextAutoId(last, 10, out);
    expect(formatId(out)).toBe("1000-6");
    expect(nextAutoId(new StreamId().setMax(), 5, out)).toBe(false);
  });
});

describe("formatting", () => {
  test("writeId and formatId agree with BigInt for random 64-bit parts", () => {
    const rng = new Prng(7);
    const buf = new Uint8Array(64);
    for (let i = 0; i < 2000; i++) {
      const id = new StreamId();
      const shape = i % 4;
      id.msHi = shape === 0 ? 0 : rng.u32();
      id.msLo = rng.u32();
      id.seqHi = shape === 1 ? 0xffffffff : shape === 2 ? 0 : rng.u32();
      id.seqLo = rng.u32();
      const ms = (BigInt(id.msHi) << 32n) | BigInt(id.msLo);
      const seq = (BigInt(id.seqHi) << 32n) | BigInt(id.seqLo);
      const want = `${ms}-${seq}`;
      expect(formatId(id)).toBe(want);
      const n = writeId(id, buf, 3);
      expect(new TextDecoder().decode(buf.subarray(3, n))).toBe(want);
      expect(parse(want)).toBe(want);
    }
    expect(parse(`${MAX}`)).toBe(`${MAX}-0`);
    expect(parseId(enc.encode("0"), 0, 1, new StreamId(), false, false)).toBe(ID_OK);
  });
});
